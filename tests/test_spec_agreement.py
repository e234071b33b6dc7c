"""Our schemas agree with Twilio's published OpenAPI for the Sim operations.

Every example Twilio publishes must validate against our contract, and every enum, SID
pattern, parameter name and bound must match. Where we are deliberately different, the
difference is listed once, with its reason, in ``DELIBERATE_DIFFERENCES``; any other
difference fails ``test_only_deliberate_differences``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import contract

SPEC_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "twilio_supersim_v1.json"

#: (what, detail) -> why we differ from Twilio's published spec on purpose.
DELIBERATE_DIFFERENCES: dict[tuple[str, str], str] = {
    ("nullable", "sid"): "the published spec marks every property nullable; the page documents sid as always present",
    ("nullable", "account_sid"): "every Sim belongs to an account; a null account_sid is a defect",
    ("nullable", "iccid"): "every Super SIM has an ICCID; the ICCID filter depends on it",
    ("nullable", "date_created"): "the page documents both dates as always present (GMT, ISO 8601)",
    ("nullable", "date_updated"): "the page documents both dates as always present (GMT, ISO 8601)",
    ("nullable", "url"): "'The absolute URL of the Sim Resource' is always present",
    ("nullable", "links"): "links to billing_periods and sim_ip_addresses are always present",
    ("required", "sim"): "the published spec requires nothing; every documented property must be present",
    ("required", "meta"): "the published spec requires nothing in meta; every documented field must be present",
    ("pattern", "iccid"): "the published spec gives no pattern; an ICCID is 18-22 decimal digits (ITU-T E.118)",
    ("pattern", "date_created"): "'in GMT': a zero offset (Z or +00:00) only; any other offset, or none, breaks it",
    ("pattern", "date_updated"): "'in GMT': a zero offset (Z or +00:00) only; any other offset, or none, breaks it",
    ("pattern", "url"): "'absolute URL': format uri alone accepts 'urn:x'; we require http(s)://host",
    ("links", "properties"): "the published spec says only 'uri-map'; the page's examples always carry both links",
    ("meta", "key"): "the published spec types key as any string; the page always shows 'sims'",
    ("meta", "bounds"): "page >= 0 and 1 <= page_size <= 1000 follow from the Page and PageSize parameters",
    ("request", "AccountSid"): "the published spec types AccountSid as any string; it is an Account SID (^AC...)",
    ("request", "Sid"): "a path segment cannot be empty (minLength 1)",
    ("request", "PageSize default"): "the page says 'The default is 50'; the published spec omits the default",
    (
        "responses",
        "errors",
    ): "the published spec documents no 4xx; Twilio answers 400/401/404/409/429 with its error body",
}


@pytest.fixture(scope="module")
def twilio_spec() -> dict:
    if not SPEC_PATH.is_file():
        pytest.skip("../shared/reference/twilio_supersim_v1.json is absent (a user's fresh clone); this runs in CI")
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def _examples(twilio_spec):
    paths = twilio_spec["paths"]
    for path, method in (
        ("/v1/Sims", "post"),
        ("/v1/Sims", "get"),
        ("/v1/Sims/{Sid}", "get"),
        ("/v1/Sims/{Sid}", "post"),
    ):
        for status, response in paths[path][method]["responses"].items():
            for name, example in response["content"]["application/json"]["examples"].items():
                kind = "sim-page" if (path, method) == ("/v1/Sims", "get") else "sim"
                yield f"{method.upper()} {path} {status} {name}", kind, example["value"]


def test_every_published_example_validates(twilio_spec):
    examples = list(_examples(twilio_spec))
    assert len(examples) >= 11, "the published spec should hold at least 11 Sim examples"
    failures = {label: [str(e) for e in contract.validate(kind, value)] for label, kind, value in examples}
    assert {label: errors for label, errors in failures.items() if errors} == {}


def _common(name: str) -> dict:
    return contract.load_json_schema("common.schema.json")["$defs"][name]


def _our_property(name: str) -> dict:
    """Our Sim property schema with its $ref into common.schema.json resolved."""
    prop = contract.load_json_schema("sim.schema.json")["properties"][name]
    if "anyOf" in prop:
        prop = next(p for p in prop["anyOf"] if p.get("type") != "null")
    if "$ref" in prop:
        prop = {**_common(prop["$ref"].split("/")[-1]), **{k: v for k, v in prop.items() if k != "$ref"}}
    return prop


@pytest.mark.parametrize("name", ["sid", "account_sid", "fleet_sid"])
def test_sid_patterns_and_lengths_agree(twilio_spec, name):
    theirs = twilio_spec["components"]["schemas"]["supersim.v1.sim"]["properties"][name]
    ours = _our_property(name)
    assert (ours["pattern"], ours["minLength"], ours["maxLength"]) == (
        theirs["pattern"],
        theirs["minLength"],
        theirs["maxLength"],
    )


def test_status_enums_agree(twilio_spec):
    schemas = twilio_spec["components"]["schemas"]
    assert _common("status")["enum"] == schemas["sim_enum_status"]["enum"]
    assert _common("status_update")["enum"] == schemas["sim_enum_status_update"]["enum"]


def test_property_names_agree(twilio_spec):
    theirs = set(twilio_spec["components"]["schemas"]["supersim.v1.sim"]["properties"])
    ours = set(contract.load_json_schema("sim.schema.json")["properties"])
    assert ours == theirs
    their_meta = twilio_spec["paths"]["/v1/Sims"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    our_meta = contract.load_json_schema("sim-page.schema.json")["properties"]["meta"]["properties"]
    assert set(our_meta) == set(their_meta["properties"]["meta"]["properties"])


def _our_operation(path: str, method: str) -> dict:
    return contract.load_openapi()["paths"][path][method]


def _form_schema(operation: dict, components: dict) -> dict:
    schema = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    if "$ref" in schema:
        schema = components[schema["$ref"].split("/")[-1]]
    return schema


@pytest.mark.parametrize("path,method", [("/v1/Sims", "post"), ("/v1/Sims/{Sid}", "post")])
def test_form_parameters_agree(twilio_spec, path, method):
    theirs = _form_schema(twilio_spec["paths"][path][method], twilio_spec["components"]["schemas"])
    ours = _form_schema(_our_operation(path, method), contract.load_openapi()["components"]["schemas"])
    assert set(ours["properties"]) == set(theirs["properties"])
    assert set(ours.get("required", [])) == set(theirs.get("required", []))
    if "CallbackMethod" in theirs["properties"]:
        assert ours["properties"]["CallbackMethod"]["enum"] == theirs["properties"]["CallbackMethod"]["enum"]


def test_list_parameters_and_page_size_bounds_agree(twilio_spec):
    theirs = {p["name"]: p for p in twilio_spec["paths"]["/v1/Sims"]["get"]["parameters"]}
    ours = {p["name"]: p for p in _our_operation("/v1/Sims", "get")["parameters"]}
    assert set(ours) == set(theirs)
    for bound in ("minimum", "maximum"):
        assert ours["PageSize"]["schema"][bound] == theirs["PageSize"]["schema"][bound]
    assert ours["Page"]["schema"]["minimum"] == theirs["Page"]["schema"]["minimum"]
    for name in ("Sid",):
        their_params = twilio_spec["paths"]["/v1/Sims/{Sid}"]["get"]["parameters"]
        assert [p["name"] for p in their_params] == [name]


def test_security_scheme_agrees(twilio_spec):
    theirs = twilio_spec["components"]["securitySchemes"]
    ours = contract.load_openapi()["components"]["securitySchemes"]
    assert {k: (v["type"], v["scheme"]) for k, v in ours.items()} == {
        k: (v["type"], v["scheme"]) for k, v in theirs.items()
    }


def _observed_differences(twilio_spec) -> set[tuple[str, str]]:
    """Compute, mechanically, where our contract differs from the published spec."""
    found: set[tuple[str, str]] = set()
    their_sim = twilio_spec["components"]["schemas"]["supersim.v1.sim"]
    our_sim = contract.load_json_schema("sim.schema.json")
    for name, theirs in their_sim["properties"].items():
        ours_raw = our_sim["properties"][name]
        ours_nullable = "null" in json.dumps(ours_raw) or name == "unique_name"
        if theirs.get("nullable") and not ours_nullable:
            found.add(("nullable", name))
        ours = _our_property(name) if name != "links" else ours_raw
        if ours.get("pattern") != theirs.get("pattern"):
            found.add(("pattern", name))
    if set(our_sim.get("required", [])) != set(their_sim.get("required", [])):
        found.add(("required", "sim"))
    if our_sim["properties"]["links"].get("properties"):
        found.add(("links", "properties"))
    list_schema = twilio_spec["paths"]["/v1/Sims"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    our_meta = contract.load_json_schema("sim-page.schema.json")["properties"]["meta"]
    if set(our_meta.get("required", [])) != set(list_schema["properties"]["meta"].get("required", [])):
        found.add(("required", "meta"))
    if "const" in our_meta["properties"]["key"]:
        found.add(("meta", "key"))
    if "minimum" in our_meta["properties"]["page"]:
        found.add(("meta", "bounds"))
    their_update = _form_schema(twilio_spec["paths"]["/v1/Sims/{Sid}"]["post"], twilio_spec["components"]["schemas"])
    our_update = _form_schema(
        _our_operation("/v1/Sims/{Sid}", "post"), contract.load_openapi()["components"]["schemas"]
    )
    if (
        our_update["properties"]["AccountSid"] != their_update["properties"]["AccountSid"]
        and "$ref" in our_update["properties"]["AccountSid"]
    ):
        found.add(("request", "AccountSid"))
    our_sid_param = contract.load_openapi()["paths"]["/v1/Sims/{Sid}"]["parameters"][0]["schema"]
    if our_sid_param.get("minLength"):
        found.add(("request", "Sid"))
    our_page_size = {p["name"]: p for p in _our_operation("/v1/Sims", "get")["parameters"]}["PageSize"]["schema"]
    their_page_size = {p["name"]: p for p in twilio_spec["paths"]["/v1/Sims"]["get"]["parameters"]}["PageSize"][
        "schema"
    ]
    if our_page_size.get("default") != their_page_size.get("default"):
        found.add(("request", "PageSize default"))
    their_codes = set(twilio_spec["paths"]["/v1/Sims/{Sid}"]["get"]["responses"])
    our_codes = set(_our_operation("/v1/Sims/{Sid}", "get")["responses"])
    if our_codes - their_codes:
        found.add(("responses", "errors"))
    return found


def test_only_deliberate_differences(twilio_spec):
    observed = _observed_differences(twilio_spec)
    undeclared = observed - set(DELIBERATE_DIFFERENCES)
    stale = set(DELIBERATE_DIFFERENCES) - observed
    assert not undeclared, f"differences from Twilio's spec with no stated reason: {sorted(undeclared)}"
    assert not stale, f"declared differences that no longer exist (remove them): {sorted(stale)}"
