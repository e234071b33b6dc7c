"""The two lists a Sim's ``links`` point at: an empty page of Twilio's shape, so a client can follow them.

They are outside the contract (the kit tests only the Sim resource); the shape is the one of
Twilio's published OpenAPI (``../shared/reference/twilio_supersim_v1.json``, when present).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from twilio.rest import Client

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "twilio_supersim_v1.json"
#: path segment -> (the list's key, the path in Twilio's spec)
LISTS = {
    "BillingPeriods": ("billing_periods", "/v1/Sims/{SimSid}/BillingPeriods"),
    "IpAddresses": ("ip_addresses", "/v1/Sims/{SimSid}/IpAddresses"),
}
META_KEYS = {"page", "page_size", "first_page_url", "previous_page_url", "url", "next_page_url", "key"}


def _client(mock, role="primary", index=0):
    account = mock.profile.accounts_with(role)[index]
    return httpx.Client(
        base_url=mock.base_url, auth=(account.sid, mock.profile.token_for(account.sid)), trust_env=False, timeout=10
    )


def _query(url):
    return dict(parse_qsl(urlsplit(url).query))


@pytest.mark.parametrize("name", list(LISTS))
def test_a_sims_sub_resource_is_an_empty_twilio_list_page(mock, name):
    key, _ = LISTS[name]
    sim = mock.profile.sims_of(mock.profile.primary.sid)[0]
    with _client(mock) as client:
        response = client.get(f"/v1/Sims/{sim.sid}/{name}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    page = response.json()
    assert set(page) == {key, "meta"} and page[key] == []
    meta = page["meta"]
    assert set(meta) == META_KEYS
    own = f"{mock.base_url}/v1/Sims/{sim.sid}/{name}"
    assert meta == {
        "page": 0,
        "page_size": 50,
        "first_page_url": f"{own}?PageSize=50&Page=0",
        "previous_page_url": None,
        "url": f"{own}?PageSize=50&Page=0",
        "next_page_url": None,
        "key": key,
    }


@pytest.mark.parametrize("name", list(LISTS))
def test_the_page_has_the_shape_of_twilios_published_spec(mock, name):
    if not SPEC.is_file():
        pytest.skip("../shared/reference/twilio_supersim_v1.json is absent (a user's fresh clone); this runs in CI")
    key, path = LISTS[name]
    answer = json.loads(SPEC.read_text(encoding="utf-8"))["paths"][path]["get"]["responses"]["200"]
    content = answer["content"]["application/json"]
    schema, example = content["schema"], content["examples"]["readEmpty"]["value"]
    sim = mock.profile.sims_of(mock.profile.primary.sid)[0]
    with _client(mock) as client:
        page = client.get(f"/v1/Sims/{sim.sid}/{name}").json()
    assert set(page) == set(schema["properties"]) == set(example)
    assert set(page["meta"]) == set(schema["properties"]["meta"]["properties"]) == set(example["meta"])
    for field, rule in schema["properties"]["meta"]["properties"].items():
        value = page["meta"][field]
        if value is None:
            assert rule.get("nullable"), field
        else:
            assert isinstance(value, {"string": str, "integer": int}[rule["type"]]), field
    assert page["meta"]["key"] == example["meta"]["key"] == key
    # the same URLs as the example, on the mock's host
    for field in ("first_page_url", "url"):
        assert urlsplit(page["meta"][field]).path == urlsplit(example["meta"][field]).path.replace(
            "HS" + "a" * 32, sim.sid
        )
        assert _query(page["meta"][field]) == _query(example["meta"][field])


def test_paging_parameters_are_echoed(mock):
    sim = mock.profile.sims_of(mock.profile.primary.sid)[0]
    with _client(mock) as client:
        meta = client.get(f"/v1/Sims/{sim.sid}/IpAddresses", params={"PageSize": 7, "Page": 3}).json()["meta"]
        assert (meta["page"], meta["page_size"]) == (3, 7)
        assert _query(meta["url"]) == {"PageSize": "7", "Page": "3"}
        assert _query(meta["first_page_url"]) == {"PageSize": "7", "Page": "0"}
        for bad in ({"PageSize": 0}, {"PageSize": 1001}, {"PageSize": "x"}, {"Page": -1}):
            refused = client.get(f"/v1/Sims/{sim.sid}/IpAddresses", params=bad)
            assert refused.status_code == 400 and refused.json()["code"] == 20001, bad


@pytest.mark.parametrize("name", list(LISTS))
def test_unknown_and_foreign_sims_are_404_and_credentials_are_checked(mock, name):
    primary = mock.profile.primary.sid
    foreign = mock.profile.sims_of(mock.profile.accounts_with("unrelated")[0].sid)[0].sid
    sub_sim = mock.profile.sims_of(mock.profile.subaccounts[0].sid)[0].sid
    with _client(mock) as client:
        for sid in ("HS" + "0" * 32, foreign, sub_sim, "no-such-name"):
            response = client.get(f"/v1/Sims/{sid}/{name}")
            assert response.status_code == 404, sid
            assert response.json()["code"] == 20404
    with _client(mock, "unrelated") as other:  # its own Sim is fine, the primary's is not
        assert other.get(f"/v1/Sims/{foreign}/{name}").status_code == 200
        assert other.get(f"/v1/Sims/{mock.profile.sims_of(primary)[0].sid}/{name}").status_code == 404
    sid = mock.profile.sims_of(primary)[0].sid
    anonymous = httpx.get(f"{mock.base_url}/v1/Sims/{sid}/{name}", trust_env=False, timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == 20003


def test_a_sim_is_found_by_unique_name_too_and_the_page_names_its_sid(mock):
    sim = next(s for s in mock.profile.sims_of(mock.profile.primary.sid) if s.unique_name)
    with _client(mock) as client:
        page = client.get(f"/v1/Sims/{sim.unique_name}/BillingPeriods").json()
    assert urlsplit(page["meta"]["url"]).path == f"/v1/Sims/{sim.sid}/BillingPeriods"


def test_following_a_sims_links_works(mock):
    with _client(mock) as client:
        sim = client.get("/v1/Sims", params={"PageSize": 1}).json()["sims"][0]
        for name, url in sim["links"].items():
            response = client.get(url)  # verbatim, as a client follows them
            assert response.status_code == 200, (name, response.text)
            assert response.json()["meta"]["url"].startswith(url + "?")
        log = mock.state.requests[-2:]
    assert [entry["operation"] for entry in log] == ["ListBillingPeriod", "ListSimIpAddress"]


def test_twilio_python_lists_both_sub_resources(mock):
    sid, token = mock.credentials("primary")
    client = Client(sid, token)
    client.supersim.base_url = mock.base_url
    sim_sid = mock.profile.sims_of(sid)[0].sid
    assert client.supersim.v1.sims(sim_sid).billing_periods.list() == []
    assert client.supersim.v1.sims(sim_sid).sim_ip_addresses.list() == []


def test_other_paths_below_a_sim_stay_404(mock):
    sid = mock.profile.sims_of(mock.profile.primary.sid)[0].sid
    with _client(mock) as client:
        for path in (
            f"/v1/Sims/{sid}/UsageRecords",
            f"/v1/Sims/{sid}/BillingPeriods/HB" + "0" * 32,
            f"/v1/Sims/{sid}/billingperiods",
            f"/v1/Sims/{sid}/IpAddresses/",
            f"/v1/Sims/{sid}%2FBillingPeriods",
            "/v1/Sims//BillingPeriods",
        ):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.json()["code"] == 20404
