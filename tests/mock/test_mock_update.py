"""POST /v1/Sims/{Sid}: status transitions, unique names, fleets, parameter validation, strict mode."""

from __future__ import annotations

import httpx
import pytest

from conformance.mock import start_mock

# (from, to) -> expected HTTP status and final status ("-" = refused, unchanged)
TRANSITIONS = {
    ("new", "ready"): (202, "ready"),
    ("new", "active"): (202, "active"),
    ("new", "inactive"): (400, "-"),
    ("ready", "ready"): (200, "ready"),
    ("ready", "active"): (200, "active"),
    ("ready", "inactive"): (202, "inactive"),
    ("active", "ready"): (400, "-"),
    ("active", "active"): (200, "active"),
    ("active", "inactive"): (202, "inactive"),
    ("inactive", "ready"): (400, "-"),
    ("inactive", "active"): (202, "active"),
    ("inactive", "inactive"): (200, "inactive"),
}


@pytest.mark.parametrize("start, target", list(TRANSITIONS), ids=[f"{a}->{b}" for a, b in TRANSITIONS])
def test_status_transitions(api, mock, start, target, wait_for):
    sid = mock.profile.sims_by(api.sid, start, with_fleet=True)[0].sid  # a fleetless one cannot activate
    code, final = TRANSITIONS[(start, target)]
    response = api.update(sid, Status=target)
    assert response.status_code == code, response.text
    if code == 400:
        assert response.json()["code"] == 83010 and "Status" in response.json()["message"]
        assert api.sim(sid)["status"] == start
        return
    if code == 202:
        assert response.json()["status"] == "scheduled"
        assert wait_for(lambda: api.sim(sid)["status"] == final)
    else:
        assert response.json()["status"] == final
        assert api.sim(sid)["status"] == final


@pytest.mark.parametrize("start", ["new", "ready", "active", "inactive"])
@pytest.mark.parametrize("value", ["new", "scheduled", "ACTIVE", "enabled", ""])
def test_statuses_outside_the_update_enum_are_400(api, mock, start, value):
    sid = mock.profile.sims_by(api.sid, start)[0].sid
    response = api.update(sid, Status=value)
    assert response.status_code == 400
    assert "Status" in response.json()["message"]
    assert api.sim(sid)["status"] == start


def test_never_back_to_new_after_activation(api, mock, wait_for):
    sid = mock.profile.sims_by(api.sid, "new", with_fleet=True)[0].sid
    assert api.update(sid, Status="ready").status_code == 202
    wait_for(lambda: api.sim(sid)["status"] == "ready")
    assert api.update(sid, Status="new").status_code == 400
    assert api.update(sid, Status="ready").status_code == 200  # already ready: a no-op


def test_unique_name_set_change_clear(api, mock):
    sid = mock.profile.sims_by(api.sid, "new", named=False)[0].sid
    response = api.update(sid, UniqueName="tracker-42")
    assert response.status_code == 200 and response.json()["unique_name"] == "tracker-42"
    assert api.sim("tracker-42")["sid"] == sid
    assert api.update("tracker-42", UniqueName="tracker-43").json()["unique_name"] == "tracker-43"
    assert api.get("/v1/Sims/tracker-42").status_code == 404
    assert api.update(sid, UniqueName="").json()["unique_name"] is None
    assert api.get("/v1/Sims/tracker-43").status_code == 404


def test_unique_name_is_unique_within_the_account(api, api_for, mock):
    named, other = mock.profile.sims_by(api.sid, named=True)[:2]
    clash = api.update(other.sid, UniqueName=named.unique_name)
    assert clash.status_code == 409 and clash.json()["code"] == 83011
    assert "UniqueName" in clash.json()["message"]
    assert api.sim(other.sid)["unique_name"] == other.unique_name
    assert api.update(named.sid, UniqueName=named.unique_name).status_code == 200  # its own name: fine
    # another account may use the same name
    sub = api_for("subaccount")
    sub_sim = mock.profile.sims_of(sub.sid)[1].sid
    assert sub.update(sub_sim, UniqueName=named.unique_name).status_code == 200


@pytest.mark.parametrize(
    "name, word",
    [("x" * 65, "longer"), ("HS" + "a" * 32, "Sim SID"), ("HS" + "A1" * 16, "Sim SID"), ("tab\there", "control")],
    ids=["too-long", "sid-shaped", "sid-shaped-upper", "control-char"],
)
def test_bad_unique_names_are_400(api, mock, name, word):
    sid = mock.profile.sims_of(api.sid)[0].sid
    response = api.update(sid, UniqueName=name)
    assert response.status_code == 400
    assert "UniqueName" in response.json()["message"] and word in response.json()["message"]


def test_unique_name_of_64_chars_is_fine(api, mock):
    sid = mock.profile.sims_of(api.sid)[1].sid
    assert api.update(sid, UniqueName="n" * 64).status_code == 200


def test_fleet_of_a_new_sim_changes_synchronously_by_sid_or_name(api, mock):
    sid = mock.profile.sims_by(api.sid, "new", with_fleet=False)[0].sid
    fleet_a, fleet_b = mock.profile.fleets_of(api.sid)[:2]
    response = api.update(sid, Fleet=fleet_a.sid)
    assert response.status_code == 200 and response.json()["fleet_sid"] == fleet_a.sid
    response = api.update(sid, Fleet=fleet_b.unique_name)
    assert response.status_code == 200 and response.json()["fleet_sid"] == fleet_b.sid
    response = api.update(sid, Fleet="")
    assert response.status_code == 200 and response.json()["fleet_sid"] is None


def test_fleet_of_an_inactive_sim_changes_synchronously(api, mock):
    seed = mock.profile.sims_by(api.sid, "inactive")[0]
    fleet = next(f for f in mock.profile.fleets_of(api.sid) if f.sid != seed.fleet)
    response = api.update(seed.sid, Fleet=fleet.unique_name)
    assert response.status_code == 200 and response.json()["fleet_sid"] == fleet.sid


def test_unknown_or_foreign_fleet_is_404(api, mock):
    sid = mock.profile.sims_by(api.sid, "new")[0].sid
    foreign = mock.profile.fleets_of(mock.profile.unrelated.sid)[0]
    for ref in ("HF" + "0" * 32, "no-such-fleet", foreign.sid, foreign.unique_name):
        response = api.update(sid, Fleet=ref)
        assert response.status_code == 404 and "Fleet" in response.json()["message"]


@pytest.mark.parametrize(
    "form, parameter",
    [
        ({"CallbackMethod": "PUT"}, "CallbackMethod"),
        ({"CallbackMethod": "post"}, "CallbackMethod"),
        ({"CallbackUrl": "not a url"}, "CallbackUrl"),
        ({"CallbackUrl": "ftp://example.com/x"}, "CallbackUrl"),
        ({"CallbackUrl": "/relative"}, "CallbackUrl"),
        ({"AccountSid": "AC123"}, "AccountSid"),
        ({"AccountSid": "HS" + "0" * 32}, "AccountSid"),
    ],
)
def test_malformed_values_are_400_naming_the_parameter(api, mock, form, parameter):
    sid = mock.profile.sims_by(api.sid, "new")[0].sid
    response = api.update(sid, **form)
    assert response.status_code == 400
    assert parameter in response.json()["message"]


def test_empty_update_changes_nothing(api, mock):
    sid = mock.profile.sims_of(api.sid)[0].sid
    before = api.sim(sid)
    response = api.post(f"/v1/Sims/{sid}")
    assert response.status_code == 200 and response.json() == before


def test_synchronous_update_moves_date_updated(api, mock):
    sid = mock.profile.sims_of(api.sid)[3].sid
    before = api.sim(sid)
    after = api.update(sid, UniqueName="moved-date").json()
    assert after["date_updated"] > before["date_updated"]
    assert after["date_created"] == before["date_created"]


def test_unknown_parameters_are_ignored_and_recorded(api, mock):
    sid = mock.profile.sims_by(api.sid, "new", named=False)[0].sid
    response = api.update(sid, UniqueName="ok-name", Colour="blue", uniqueName="other")
    assert response.status_code == 200 and response.json()["unique_name"] == "ok-name"
    rules = {(v["rule"], v["parameter"]) for v in mock.state.violations}
    assert ("unknown-parameter", "Colour") in rules and ("parameter-casing", "uniqueName") in rules


def test_strict_mode_answers_400_naming_unknown_parameters(check_contract):
    with start_mock(strict=True, async_delay=0.05) as strict:
        sid, token = strict.credentials()
        with httpx.Client(base_url=strict.base_url, auth=(sid, token), trust_env=False) as client:
            sim = strict.profile.sims_of(sid)[0].sid
            response = client.post(f"/v1/Sims/{sim}", data={"UniqueName": "a", "Colour": "blue"})
            assert response.status_code == 400 and "Colour" in check_contract(response)["message"]
            response = client.get("/v1/Sims", params={"pageSize": 5})
            assert response.status_code == 400 and "pageSize" in check_contract(response)["message"]
            assert check_contract(client.get("/v1/Sims", params={"PageSize": 5}))["meta"]["page_size"] == 5
            assert check_contract(client.post(f"/v1/Sims/{sim}", data={"UniqueName": "a"}))["unique_name"] == "a"


# --- a ready or active Sim always has a Fleet (Twilio errors 83007, 83008) -------------------------


@pytest.mark.parametrize(("start", "target"), [("new", "ready"), ("new", "active"), ("inactive", "active")])
def test_activation_without_a_fleet_is_83007_and_changes_nothing(api, mock, start, target):
    seed = mock.profile.sims_by(api.sid, start, with_fleet=False)[0]
    before = api.sim(seed.sid)
    response = api.update(seed.sid, Status=target)
    assert response.status_code == 400 and response.json()["code"] == 83007, response.text
    assert "Fleet" in response.json()["message"]
    assert api.sim(seed.sid) == before


@pytest.mark.parametrize("start", ["new", "inactive"])
def test_activation_with_a_fleet_in_the_same_request_is_scheduled_with_the_existing_fleet(api, mock, start, wait_for):
    seed = mock.profile.sims_by(api.sid, start, with_fleet=False)[0]
    fleet = mock.profile.fleets_of(api.sid)[0]
    response = api.update(seed.sid, Status="active", Fleet=fleet.unique_name)
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["fleet_sid"]) == ("scheduled", None)
    assert api.sim(seed.sid)["fleet_sid"] is None
    assert wait_for(lambda: api.sim(seed.sid)["status"] == "active")
    assert api.sim(seed.sid)["fleet_sid"] == fleet.sid


def test_an_activated_sim_keeps_its_fleet_unless_deactivated_with_it(api, mock, wait_for):
    ready, active = (next(s for s in mock.profile.sims_by(api.sid, st) if s.fleet) for st in ("ready", "active"))
    for seed in (ready, active):
        response = api.update(seed.sid, Fleet="")
        assert response.status_code == 400 and response.json()["code"] == 83008, response.text
        assert api.sim(seed.sid)["fleet_sid"] == seed.fleet
    response = api.update(active.sid, Status="inactive", Fleet="")
    assert response.status_code == 202 and response.json()["fleet_sid"] == active.fleet
    assert wait_for(lambda: api.sim(active.sid)["status"] == "inactive")
    assert api.sim(active.sid)["fleet_sid"] is None


def test_an_unknown_fleet_is_83006(api, mock):
    seed = mock.profile.sims_by(api.sid, "new")[0]
    response = api.update(seed.sid, Fleet="HF" + "0" * 32)
    assert response.status_code == 404 and response.json()["code"] == 83006
