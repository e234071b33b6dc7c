"""Automatic ready -> active (data, SMS Commands, three months) and the other /_mock control endpoints."""

from __future__ import annotations

import pytest


def _ready(mock, api):
    return mock.profile.sims_by(api.sid, "ready")[0].sid


def test_250_kb_of_data_activates_a_ready_sim(api, mock):
    sid = _ready(mock, api)
    before = api.sim(sid)
    out = api.control("POST", "usage", json={"sim": sid, "data_kb": 249.5})
    assert out["auto_activated"] is False and out["sim"]["status"] == "ready"
    out = api.control("POST", "usage", json={"sim": sid, "data_kb": 0.5})
    assert out["auto_activated"] is True and out["data_kb"] == 250
    after = api.sim(sid)
    assert after["status"] == "active" and after["date_updated"] > before["date_updated"]


def test_five_sms_commands_activate_a_ready_sim(api, mock):
    sid = _ready(mock, api)
    for _ in range(4):
        api.control("POST", "usage", json={"sim": sid, "sms_commands": 1})
    assert api.sim(sid)["status"] == "ready"
    api.control("POST", "usage", json={"sim": sid, "sms_commands": 1})
    assert api.sim(sid)["status"] == "active"


def test_three_months_in_ready_activate_a_sim(api, mock):
    sid = _ready(mock, api)
    out = api.control("POST", "clock", json={"advance_seconds": 80 * 86400})
    assert sid not in out["auto_activated"]
    assert api.sim(sid)["status"] == "ready"
    out = api.control("POST", "clock", json={"advance_seconds": 15 * 86400})
    assert sid in out["auto_activated"]
    assert set(out["auto_activated"]) == {s.sid for s in mock.profile.sims if s.status == "ready"}
    sim = api.sim(sid)
    assert sim["status"] == "active"
    assert sim["date_updated"] >= out["now"]
    assert api.control("GET", "clock")["offset_seconds"] == 95 * 86400


def test_newly_ready_sim_counts_usage_from_its_activation(api, mock, wait_for):
    sid = mock.profile.sims_by(api.sid, "new")[0].sid
    api.update(sid, Status="ready")
    wait_for(lambda: api.sim(sid)["status"] == "ready")
    api.control("POST", "usage", json={"sim": sid, "data_kb": 300})
    assert api.sim(sid)["status"] == "active"


def test_usage_on_an_active_sim_changes_nothing(api, mock):
    sid = mock.profile.sims_by(api.sid, "active")[0].sid
    before = api.sim(sid)
    out = api.control("POST", "usage", json={"sim": sid, "data_kb": 1000, "sms_commands": 10})
    assert out["auto_activated"] is False
    assert api.sim(sid) == before


@pytest.mark.parametrize("status", ["new", "inactive"])
def test_usage_needs_a_connected_sim(api, mock, status):
    sid = mock.profile.sims_by(api.sid, status)[0].sid
    response = api.client.post("/_mock/usage", json={"sim": sid, "data_kb": 1})
    assert response.status_code == 409


def test_usage_acts_only_on_the_requesting_accounts_sims(api, mock):
    foreign = mock.profile.sims_by(mock.profile.unrelated.sid, "ready")[0].sid
    response = api.client.post("/_mock/usage", json={"sim": foreign, "data_kb": 300})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path, body",
    [
        ("usage", {"data_kb": 1}),
        ("usage", {"sim": "x", "data_kb": -1}),
        ("usage", {"sim": "x", "sms_commands": 1.5}),
        ("clock", {"advance_seconds": -5}),
        ("clock", {"advance_seconds": "soon"}),
        ("seed", {"sims": [{"status": "scheduled"}]}),
        ("seed", {"sims": "many"}),
        ("registrable", {"cards": [{"iccid": "12", "registration_code": "X"}]}),
    ],
)
def test_control_input_errors_are_400_twilio_bodies(api, path, body, check_contract):
    response = api.client.post(f"/_mock/{path}", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == 20001
    assert "more_info" in response.json()


def test_control_body_must_be_a_json_object(api):
    for content in (b"[1]", b"not json", b"\xff"):
        response = api.client.post("/_mock/clock", content=content)
        assert response.status_code == 400


def test_seed_adds_fleets_and_sims_to_the_requesting_account(api_for, mock):
    sub = api_for("subaccount")
    out = sub.control(
        "POST",
        "seed",
        json={
            "fleets": [{"unique_name": "seeded-fleet"}],
            "sims": [{"count": 3, "status": "ready", "fleet": "seeded-fleet", "name_prefix": "seeded-"}],
        },
    )
    assert out["fleets"][0]["account"] == sub.sid and len(out["sims"]) == 3
    listed = sub.walk({"Fleet": "seeded-fleet"})
    assert [s["sid"] for s in listed] == out["sims"]
    assert {s["status"] for s in listed} == {"ready"}
    assert sub.sim("seeded-2")["sid"] == out["sims"][1]


def test_reset_restores_the_profile(api, mock):
    sid = mock.profile.sims_by(api.sid, "new", named=False)[0].sid
    api.update(sid, UniqueName="temporary")
    api.control("POST", "clock", json={"advance_seconds": 10})
    assert api.control("POST", "reset") == {"reset": True}
    assert api.control("GET", "requests")["requests"] == []
    assert api.sim(sid)["unique_name"] is None
    assert api.control("GET", "clock")["offset_seconds"] == 0


def test_info_endpoint(api, mock):
    info = api.control("GET", "")
    assert info["account_sid"] == api.sid and info["faults"] == [] and info["strict"] is False
    assert info["counts"]["sims"] == len(mock.profile.sims)


def test_wrong_method_on_a_control_endpoint_is_405(api):
    response = api.client.delete("/_mock/clock")
    assert response.status_code == 405 and response.json()["code"] == 20405
