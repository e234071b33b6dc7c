"""Moving Sims between a primary account and its subaccounts (AccountSid), with every documented rule."""

from __future__ import annotations

import pytest


@pytest.fixture
def accounts(mock):
    p = mock.profile
    return p.primary.sid, p.subaccounts[0].sid, p.subaccounts[1].sid, p.unrelated.sid


def _new_sim(mock, account, with_fleet=False):
    return mock.profile.sims_by(account, "new", with_fleet=with_fleet)[0]


def test_primary_moves_its_new_sim_to_a_subaccount(api_for, mock, accounts):
    primary, sub1, _, _ = accounts
    api, sub = api_for("primary"), api_for("subaccount", 0)
    sim = _new_sim(mock, primary)
    response = api.update(sim.sid, AccountSid=sub1)
    assert response.status_code == 200
    assert response.json()["account_sid"] == sub1
    assert api.get(f"/v1/Sims/{sim.sid}").status_code == 404
    assert sub.sim(sim.sid)["account_sid"] == sub1
    assert sim.sid in {s["sid"] for s in sub.walk({"PageSize": 1000})}
    assert sim.sid not in {s["sid"] for s in api.walk({"PageSize": 1000})}


def test_primary_moves_a_subaccount_sim_back_and_between_subaccounts(api_for, mock, accounts):
    primary, sub1, sub2, _ = accounts
    api = api_for("primary")
    sim = _new_sim(mock, sub1)
    moved = api.update(sim.sid, AccountSid=sub2)  # subaccount -> subaccount, primary's credentials
    assert moved.status_code == 200 and moved.json()["account_sid"] == sub2
    back = api.update(sim.sid, AccountSid=primary)  # subaccount -> primary
    assert back.status_code == 200 and back.json()["account_sid"] == primary
    assert api.sim(sim.sid)["account_sid"] == primary


def test_primary_reaches_a_subaccount_sim_only_to_move_it(api_for, mock, accounts):
    _, sub1, _, _ = accounts
    api = api_for("primary")
    sim = _new_sim(mock, sub1)
    assert api.update(sim.sid, UniqueName="not-mine").status_code == 404
    assert api.get(f"/v1/Sims/{sim.sid}").status_code == 404


def test_subaccount_cannot_move_to_its_primary_or_a_sibling(api_for, mock, accounts):
    primary, sub1, sub2, _ = accounts
    sub = api_for("subaccount", 0)
    sim = _new_sim(mock, sub1)
    for target in (primary, sub2):
        response = sub.update(sim.sid, AccountSid=target)
        assert response.status_code == 400 and "AccountSid" in response.json()["message"]
    same = sub.update(sim.sid, AccountSid=sub1)  # its own account: allowed, a no-op
    assert same.status_code == 200 and same.json()["account_sid"] == sub1


def test_no_move_to_an_unrelated_or_unknown_account(api_for, mock, accounts):
    primary, _, _, unrelated = accounts
    api = api_for("primary")
    sim = _new_sim(mock, primary)
    for target in (unrelated, "AC" + "0" * 32):
        response = api.update(sim.sid, AccountSid=target)
        assert response.status_code == 400 and "AccountSid" in response.json()["message"]
    assert api.sim(sim.sid)["account_sid"] == primary


@pytest.mark.parametrize("status", ["ready", "active", "inactive"])
def test_only_new_sims_move(api_for, mock, accounts, status):
    primary, sub1, _, _ = accounts
    api = api_for("primary")
    sim = mock.profile.sims_by(primary, status)[0]
    # with a fleet of the subaccount (an activated Sim has one), so the status is the only reason left
    extra = {"Fleet": mock.profile.fleets_of(sub1)[0].sid} if sim.fleet else {}
    response = api.update(sim.sid, AccountSid=sub1, **extra)
    assert response.status_code == 400
    assert "new" in response.json()["message"] and "AccountSid" in response.json()["message"]
    assert api.sim(sim.sid)["account_sid"] == primary


def test_a_sim_with_a_fleet_needs_a_fleet_of_the_new_account_or_none(api_for, mock, accounts):
    primary, sub1, _, _ = accounts
    api = api_for("primary")
    sim = _new_sim(mock, primary, with_fleet=True)
    sub_fleet = mock.profile.fleets_of(sub1)[0]
    missing = api.update(sim.sid, AccountSid=sub1)
    assert missing.status_code == 400 and "Fleet" in missing.json()["message"]
    old_fleet = api.update(sim.sid, AccountSid=sub1, Fleet=sim.fleet)
    assert old_fleet.status_code == 400 and "Fleet" in old_fleet.json()["message"]
    assert api.sim(sim.sid)["account_sid"] == primary
    moved = api.update(sim.sid, AccountSid=sub1, Fleet=sub_fleet.unique_name)
    assert moved.status_code == 200
    assert moved.json()["account_sid"] == sub1 and moved.json()["fleet_sid"] == sub_fleet.sid


def test_a_sim_with_a_fleet_can_move_with_an_empty_fleet(api_for, mock, accounts):
    primary, sub1, _, _ = accounts
    sim = _new_sim(mock, primary, with_fleet=True)
    moved = api_for("primary").update(sim.sid, AccountSid=sub1, Fleet="")
    assert moved.status_code == 200
    assert moved.json()["account_sid"] == sub1 and moved.json()["fleet_sid"] is None


def test_a_sim_without_fleet_may_get_one_of_the_new_account(api_for, mock, accounts):
    primary, sub1, _, _ = accounts
    sim = _new_sim(mock, primary)
    sub_fleet = mock.profile.fleets_of(sub1)[0]
    moved = api_for("primary").update(sim.sid, AccountSid=sub1, Fleet=sub_fleet.sid)
    assert moved.status_code == 200 and moved.json()["fleet_sid"] == sub_fleet.sid


def test_a_move_keeps_unique_names_unique(api_for, mock, accounts):
    primary, sub1, _, _ = accounts
    api, sub = api_for("primary"), api_for("subaccount", 0)
    taken = next(s for s in mock.profile.sims_of(sub1) if s.unique_name)
    sim = _new_sim(mock, primary)
    assert api.update(sim.sid, UniqueName=taken.unique_name).status_code == 200
    clash = api.update(sim.sid, AccountSid=sub1)
    assert clash.status_code == 409 and clash.json()["code"] == 83011
    assert sub.sim(taken.unique_name)["sid"] == taken.sid


def test_moved_sim_is_activated_by_its_new_account(api_for, mock, accounts, wait_for):
    primary, sub1, _, _ = accounts
    sim = _new_sim(mock, primary)
    api_for("primary").update(sim.sid, AccountSid=sub1)
    sub = api_for("subaccount", 0)
    assert sub.update(sim.sid, Status="active").json()["code"] == 83007  # it came without a fleet
    assert sub.update(sim.sid, Status="active", Fleet=mock.profile.fleets_of(sub1)[0].sid).status_code == 202
    wait_for(lambda: sub.sim(sim.sid)["status"] == "active")
