"""conformance.validators: each broken rule names its requirement, JSON path, rule and value."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from conformance import contract, validators
from conformance.validators import (
    ContractViolation,
    assert_valid_callback,
    assert_valid_error,
    assert_valid_sim,
    assert_valid_sim_page,
    problems,
)

SID = "HS" + "a" * 32
ACCOUNT = "AC" + "b" * 32
FLEET = "HF" + "c" * 32
BASE = "https://supersim.twilio.com"
SIM = {
    "sid": SID,
    "unique_name": "pump-7",
    "account_sid": ACCOUNT,
    "iccid": "89883070000123456789",
    "status": "active",
    "fleet_sid": FLEET,
    "date_created": "2026-01-02T03:04:05Z",
    "date_updated": "2026-01-02T03:04:06Z",
    "url": f"{BASE}/v1/Sims/{SID}",
    "links": {
        "billing_periods": f"{BASE}/v1/Sims/{SID}/BillingPeriods",
        "sim_ip_addresses": f"{BASE}/v1/Sims/{SID}/IpAddresses",
    },
}
PAGE = {
    "sims": [SIM],
    "meta": {
        "first_page_url": f"{BASE}/v1/Sims?PageSize=50&Page=0",
        "key": "sims",
        "next_page_url": None,
        "page": 0,
        "page_size": 50,
        "previous_page_url": None,
        "url": f"{BASE}/v1/Sims?PageSize=50&Page=0",
    },
}
CALLBACK = {"SimSid": SID, "SimUniqueName": "pump-7", "SimStatus": "active", "AccountSid": ACCOUNT}
ERROR = {
    "code": 20404,
    "message": "The requested resource was not found",
    "more_info": "https://www.twilio.com/docs/errors/20404",
    "status": 404,
}


def changed(document: dict, change: Callable[[dict], Any]) -> dict:
    copied = copy.deepcopy(document)
    change(copied)
    return copied


def delete(*path: Any) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        for key in path[:-1]:
            doc = doc[key]
        del doc[path[-1]]

    return apply


def put(value: Any, *path: Any) -> Callable[[dict], None]:
    def apply(doc: dict) -> None:
        for key in path[:-1]:
            doc = doc[key]
        doc[path[-1]] = value

    return apply


# (document kind, broken document, requirement, JSON path, rule)
CASES = [
    ("sim", changed(SIM, put("hs" + "a" * 32, "sid")), "SIM-PROP-001", "$.sid", "pattern"),
    ("sim", changed(SIM, delete("sid")), "SIM-PROP-001", "$.sid", "required"),
    ("sim", changed(SIM, put(7, "unique_name")), "SIM-PROP-003", "$.unique_name", "type"),
    ("sim", changed(SIM, put("AC123", "account_sid")), "SIM-PROP-004", "$.account_sid", "pattern"),
    ("sim", changed(SIM, delete("account_sid")), "SIM-PROP-004", "$.account_sid", "required"),
    ("sim", changed(SIM, put("8988", "iccid")), "SIM-PROP-006", "$.iccid", "pattern"),
    ("sim", changed(SIM, put("enabled", "status")), "SIM-PROP-008", "$.status", "enum"),
    ("sim", changed(SIM, put("hf" + "c" * 32, "fleet_sid")), "SIM-PROP-009", "$.fleet_sid", "pattern"),
    ("sim", changed(SIM, put("2026-01-02 03:04:05", "date_created")), "SIM-PROP-011", "$.date_created", "pattern"),
    (
        "sim",
        changed(SIM, put("2026-01-02T03:04:05+01:00", "date_updated")),
        "SIM-PROP-012",
        "$.date_updated",
        "pattern",
    ),
    ("sim", changed(SIM, put("2026-01-01T00:00:00Z", "date_updated")), "SIM-PROP-012", "$.date_updated", "date-order"),
    ("sim", changed(SIM, put(f"/v1/Sims/{SID}", "url")), "SIM-PROP-013", "$.url", "pattern"),
    ("sim", changed(SIM, put(f"{BASE}/v1/Sims/HS" + "d" * 32, "url")), "SIM-PROP-013", "$.url", "own-url"),
    ("sim", changed(SIM, delete("links", "sim_ip_addresses")), "SIM-PROP-014", "$.links.sim_ip_addresses", "required"),
    (
        "sim",
        changed(SIM, put("/BillingPeriods", "links", "billing_periods")),
        "SIM-PROP-014",
        "$.links.billing_periods",
        "pattern",
    ),
    (
        "sim",
        changed(SIM, put(f"{BASE}/v1/Other", "links", "billing_periods")),
        "SIM-PROP-014",
        "$.links.billing_periods",
        "sub-resource-url",
    ),
    ("sim-page", changed(PAGE, put("items", "meta", "key")), "SIM-LIST-002", "$.meta.key", "const"),
    ("sim-page", changed(PAGE, delete("sims")), "SIM-LIST-003", "$.sims", "required"),
    ("sim-page", changed(PAGE, put({}, "sims")), "SIM-LIST-003", "$.sims", "type"),
    ("sim-page", changed(PAGE, delete("meta")), "SIM-LIST-001", "$.meta", "required"),
    ("sim-page", changed(PAGE, delete("meta", "first_page_url")), "SIM-LIST-004", "$.meta.first_page_url", "required"),
    (
        "sim-page",
        changed(PAGE, put("/v1/Sims?Page=1", "meta", "next_page_url")),
        "SIM-PAGE-010",
        "$.meta.next_page_url",
        "pattern",
    ),
    (
        "sim-page",
        changed(PAGE, put("/v1/Sims?Page=1", "meta", "next_page_url")),
        "SIM-LIST-005",
        "$.meta.next_page_url",
        "pattern",
    ),
    (
        "sim-page",
        changed(PAGE, put(f"{BASE}/v1/Sims?Page=0", "meta", "previous_page_url")),
        "SIM-PAGE-009",
        "$.meta.previous_page_url",
        "first-page",
    ),
    ("sim-page", changed(PAGE, delete("meta", "url")), "SIM-LIST-007", "$.meta.url", "required"),
    ("sim-page", changed(PAGE, put("0", "meta", "page")), "SIM-LIST-008", "$.meta.page", "type"),
    ("sim-page", changed(PAGE, put(-1, "meta", "page")), "SIM-PAGE-004", "$.meta.page", "minimum"),
    ("sim-page", changed(PAGE, put(1001, "meta", "page_size")), "SIM-PAGE-003", "$.meta.page_size", "maximum"),
    ("sim-page", changed(PAGE, put(0, "meta", "page_size")), "SIM-LIST-009", "$.meta.page_size", "minimum"),
    (
        "sim-page",
        changed(changed(PAGE, put([SIM, SIM], "sims")), put(1, "meta", "page_size")),
        "SIM-PAGE-002",
        "$.sims",
        "page-size",
    ),
    ("sim-page", changed(PAGE, put("enabled", "sims", 0, "status")), "SIM-PROP-008", "$.sims[0].status", "enum"),
    ("sim-page", changed(PAGE, delete("sims", 0, "iccid")), "SIM-PROP-006", "$.sims[0].iccid", "required"),
    ("sim-page", changed(PAGE, put("x", "sims", 0)), "SIM-LIST-003", "$.sims[0]", "type"),
    ("callback", changed(CALLBACK, put("HS1", "SimSid")), "SIM-CB-002", "$.SimSid", "pattern"),
    ("callback", changed(CALLBACK, put(3, "SimUniqueName")), "SIM-CB-003", "$.SimUniqueName", "type"),
    ("callback", changed(CALLBACK, put("scheduled", "SimStatus")), "SIM-CB-004", "$.SimStatus", "enum"),
    ("callback", changed(CALLBACK, delete("AccountSid")), "SIM-CB-005", "$.AccountSid", "required"),
    ("error", changed(ERROR, delete("more_info")), "SIM-ERR-002", "$.more_info", "required"),
    ("error", changed(ERROR, put("404", "status")), "SIM-ERR-002", "$.status", "type"),
]


@pytest.mark.parametrize(
    ("kind", "document", "requirement", "path", "rule"), CASES, ids=[f"{c[0]}-{c[2]}-{c[3]}-{c[4]}" for c in CASES]
)
def test_each_broken_rule_names_requirement_path_and_rule(kind, document, requirement, path, rule):
    assert_function = {
        "sim": assert_valid_sim,
        "sim-page": assert_valid_sim_page,
        "callback": assert_valid_callback,
        "error": assert_valid_error,
    }[kind]
    with pytest.raises(ContractViolation) as failure:
        assert_function(document)
    matching = [p for p in failure.value.problems if p.path == path and p.rule == rule]
    assert matching, str(failure.value)
    assert requirement in matching[0].requirements
    assert requirement in failure.value.requirements
    assert f"at {path} [{rule}]" in str(failure.value)


def test_the_message_shows_the_offending_value():
    with pytest.raises(ContractViolation) as failure:
        assert_valid_sim(changed(SIM, put("hs0123", "sid")))
    problem = next(p for p in failure.value.problems if p.rule == "pattern")
    assert problem.value == "hs0123"
    assert "'hs0123' does not match '^HS[0-9a-fA-F]{32}$'" in str(failure.value)
    assert str(failure.value).startswith("invalid Sim: breaks SIM-PROP-001 (2 problems)")


@pytest.mark.parametrize(
    "as_input",
    [
        pytest.param(lambda doc: doc, id="dict"),
        pytest.param(json.dumps, id="str"),
        pytest.param(lambda doc: json.dumps(doc).encode(), id="bytes"),
        pytest.param(
            lambda doc: type("Response", (), {"text": json.dumps(doc), "status_code": doc.get("status", 200)})(),
            id="response",
        ),
    ],
)
def test_valid_documents_pass_in_every_accepted_form(as_input):
    assert assert_valid_sim(as_input(SIM)) == SIM
    assert assert_valid_sim_page(as_input(PAGE)) == PAGE
    assert assert_valid_callback(as_input(CALLBACK)) == CALLBACK
    assert assert_valid_error(as_input(ERROR)) == ERROR


def test_callbacks_as_form_or_query_string_or_received_callback():
    form = f"SimSid={SID}&SimStatus=active&AccountSid={ACCOUNT}"
    expected = {"SimSid": SID, "SimStatus": "active", "AccountSid": ACCOUNT}
    assert assert_valid_callback(form) == expected
    assert assert_valid_callback("?" + form) == expected
    received = type("ReceivedCallback", (), {"params": expected})()
    assert assert_valid_callback(received) == expected


def test_not_json_breaks_the_json_requirement():
    for text in ("<html>", b"\xff\xfe"):
        with pytest.raises(ContractViolation) as failure:
            assert_valid_sim(text)
        assert failure.value.requirements == ("SIM-REQ-002",)
        assert failure.value.problems[0].rule == "json"


def test_a_twilio_sim_instance_is_refused_with_advice():
    from twilio.rest.supersim.v1.sim import SimInstance

    with pytest.raises(TypeError, match="validate the raw JSON body"):
        assert_valid_sim(SimInstance(None, SIM))


def test_error_status_must_match_the_http_status():
    assert_valid_error(ERROR, status=404)
    with pytest.raises(ContractViolation, match=r"SIM-ERR-002 at \$\.status \[http-status\]: 404 differs"):
        assert_valid_error(ERROR, status=400)
    response = type("Response", (), {"text": json.dumps(ERROR), "status_code": 410})()
    with pytest.raises(ContractViolation, match="differs from the HTTP status 410"):
        assert_valid_error(response)


def test_problems_returns_the_list_without_raising():
    assert problems("sim", SIM) == []
    found = problems("sim", changed(SIM, put("enabled", "status")))
    assert [(p.requirements, p.path, p.rule) for p in found] == [(("SIM-PROP-008",), "$.status", "enum")]


def test_every_mapped_requirement_is_in_the_catalog():
    known = contract.requirement_ids()
    mapped = set(validators.SIM_WHOLE) | set(validators.NOT_JSON)
    for table in (
        validators.SIM_PROPERTIES,
        validators.META_PROPERTIES,
        validators.CALLBACK_PARAMETERS,
        validators.META_RULE_EXTRAS,
    ):
        for ids in table.values():
            mapped |= set(ids)
    assert mapped and mapped <= known, mapped - known


def test_long_values_are_shortened():
    with pytest.raises(ContractViolation) as failure:
        assert_valid_sim(changed(SIM, put("x" * 5000, "iccid")))
    assert len(str(failure.value)) < 1500
