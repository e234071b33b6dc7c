"""HTTP Basic auth, and what each account can see."""

from __future__ import annotations

import base64

import httpx
import pytest


def _raw(mock, path="/v1/Sims", headers=None, auth=None):
    with httpx.Client(base_url=mock.base_url, trust_env=False) as client:
        return client.get(path, headers=headers or {}, auth=auth)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer abc"},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:x").decode()},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        {"Authorization": "Basic"},
    ],
    ids=["missing", "bearer", "not-base64", "not-utf8", "no-colon", "empty"],
)
def test_missing_or_malformed_credentials_are_401_20003(mock, headers, check_contract):
    response = _raw(mock, headers=headers)
    assert response.status_code == 401
    assert check_contract(response)["code"] == 20003
    assert response.headers["www-authenticate"].startswith("Basic")


def test_wrong_token_and_unknown_account_are_401(mock, check_contract):
    primary = mock.profile.primary.sid
    for auth in (
        (primary, "0" * 32),
        ("AC" + "f" * 32, "x"),
        (primary, mock.profile.token_for(mock.profile.subaccounts[0].sid)),
    ):
        response = _raw(mock, auth=auth)
        assert response.status_code == 401
        assert check_contract(response)["code"] == 20003


@pytest.mark.parametrize("path", ["/v1/Sims/{sid}", "/v1/Sims"])
def test_every_twilio_path_needs_auth(mock, path, check_contract):
    sid = mock.profile.sims_of(mock.profile.primary.sid)[0].sid
    response = _raw(mock, path.format(sid=sid))
    assert response.status_code == 401
    check_contract(response)


def test_each_account_lists_only_its_own_sims(api_for, mock):
    for role, index in (("primary", 0), ("subaccount", 0), ("subaccount", 1), ("unrelated", 0)):
        api = api_for(role, index)
        sims = api.walk({"PageSize": 1000})
        assert {s["sid"] for s in sims} == {s.sid for s in mock.profile.sims_of(api.sid)}
        assert {s["account_sid"] for s in sims} == {api.sid}


def test_sim_of_another_account_is_404_never_403(api_for, mock):
    other = mock.profile.sims_of(mock.profile.unrelated.sid)
    named = next(s for s in other if s.unique_name)
    primary = api_for("primary")
    for ref in (other[0].sid, named.unique_name):
        fetched = primary.get(f"/v1/Sims/{ref}")
        assert fetched.status_code == 404 and fetched.json()["code"] == 20404
        updated = primary.update(ref, UniqueName="stolen")
        assert updated.status_code == 404
    # a subaccount's Sim is invisible to the primary too, except for an account move (test_accounts)
    sub_sim = mock.profile.sims_of(mock.profile.subaccounts[0].sid)[0]
    assert primary.get(f"/v1/Sims/{sub_sim.sid}").status_code == 404
    # and a primary's Sim is invisible to its subaccount
    primary_sim = mock.profile.sims_of(mock.profile.primary.sid)[0]
    assert api_for("subaccount").get(f"/v1/Sims/{primary_sim.sid}").status_code == 404


def test_iccid_of_another_account_lists_nothing(api_for, mock):
    other = mock.profile.sims_of(mock.profile.unrelated.sid)[0]
    page = api_for("primary").get("/v1/Sims", params={"Iccid": other.iccid}).json()
    assert page["sims"] == []


def test_control_endpoints_need_auth(mock):
    with httpx.Client(base_url=mock.base_url, trust_env=False) as client:
        for method, path in (("GET", "/_mock/"), ("POST", "/_mock/reset"), ("GET", "/_mock/requests")):
            response = client.request(method, path)
            assert response.status_code == 401
            assert response.json()["code"] == 20003
