"""Moving SIMs between accounts (AccountSid updates): full suite only."""

from __future__ import annotations

import pytest

from conformance.checks import expect
from conformance.checks.scenarios import (
    MOVE_FLEET,
    MOVE_FROM_SUB,
    MOVE_INACTIVE,
    MOVE_RULES,
    MOVE_TO_SUB,
)
from conformance.suite.helpers import body, fetch_sim

check = pytest.mark.supersim_check
pytestmark = pytest.mark.usefixtures("sc_full_suite")


def _subaccounts(sc_target, count):
    subs = sc_target.profile.subaccounts
    if len(subs) < count:
        pytest.skip(f"the profile lists {len(subs)} subaccount(s) of the primary account; this scenario needs {count}")
    return subs


def _move(client, sid, account, **extra):
    return client.post(f"/v1/Sims/{sid}", form={"AccountSid": account, **extra})


@check(MOVE_TO_SUB)
def test_primary_to_subaccount(sc_target, sc_primary, sc_pool):
    sub = _subaccounts(sc_target, 1)[0]
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new", with_fleet=False)
    moved = _move(sc_primary, sim["sid"], sub.sid)
    expect(
        moved.status == 200 and body(moved)["account_sid"] == sub.sid,
        MOVE_TO_SUB,
        "moving a new Sim to a subaccount did not answer 200 with the new account_sid",
        expected=f"200 with account_sid {sub.sid}",
        received=f"{moved.status} {moved.excerpt()}",
        exchange=moved,
    )
    as_sub = sc_target.client(*sc_target.profile.credentials(sub.sid))
    fetched = as_sub.get(f"/v1/Sims/{sim['sid']}")
    expect(
        fetched.status == 200 and body(fetched)["account_sid"] == sub.sid,
        MOVE_TO_SUB,
        "the subaccount cannot fetch the Sim moved to it",
        expected=200,
        received=fetched.status,
        exchange=fetched,
    )
    listed = sc_primary.get("/v1/Sims", params={"Iccid": sim["iccid"]})
    expect(
        body(listed)["sims"] == [],
        MOVE_TO_SUB,
        "the moved Sim still appears in the primary account's list",
        expected="[]",
        received=[s["sid"] for s in body(listed)["sims"]],
        exchange=listed,
    )
    back = _move(sc_primary, sim["sid"], sc_primary.account_sid)
    expect(
        back.status == 200 and body(back)["account_sid"] == sc_primary.account_sid,
        MOVE_FROM_SUB,
        "the primary could not move the Sim back from its subaccount",
        expected=f"200 with account_sid {sc_primary.account_sid}",
        received=f"{back.status} {back.excerpt()}",
        exchange=back,
    )


@check(MOVE_FROM_SUB)
def test_subaccount_to_subaccount_and_back(sc_target, sc_primary, sc_pool):
    first, second = _subaccounts(sc_target, 2)[:2]
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new", with_fleet=False)
    owner = sc_primary.account_sid
    for destination in (first.sid, second.sid, sc_primary.account_sid):
        moved = _move(sc_primary, sim["sid"], destination)
        expect(
            moved.status == 200 and body(moved)["account_sid"] == destination,
            MOVE_FROM_SUB,
            f"the primary could not move the Sim to {destination}",
            expected=f"200 with account_sid {destination}",
            received=f"{moved.status} {moved.excerpt()}",
            exchange=moved,
        )
        _belongs_to(sc_target, sim, destination, owner)
        owner = destination


def _belongs_to(sc_target, sim, account, before):
    """After a move: the new account fetches the Sim as its own; the old one no longer lists it."""
    as_new = sc_target.client(*sc_target.profile.credentials(account))
    fetched = as_new.get(f"/v1/Sims/{sim['sid']}")
    expect(
        fetched.status == 200 and body(fetched)["account_sid"] == account,
        MOVE_FROM_SUB,
        f"after the move to {account}, that account cannot fetch the Sim as its own",
        expected=f"200 with account_sid {account}",
        received=f"{fetched.status} {fetched.excerpt()}",
        exchange=fetched,
        requirements=["SIM-MOVE-009"],
    )
    as_old = sc_target.client(*sc_target.profile.credentials(before))
    listed = as_old.get("/v1/Sims", params={"Iccid": sim["iccid"]})
    expect(
        listed.status == 200 and body(listed)["sims"] == [],
        MOVE_FROM_SUB,
        f"after the move to {account}, the Sim still appears in the list of {before}",
        expected="[]",
        received=f"{listed.status} {listed.excerpt()}",
        exchange=listed,
        requirements=["SIM-MOVE-009"],
    )


@check(MOVE_RULES)
def test_subaccount_cannot_move_its_sim_to_the_parent(sc_target, sc_primary, sc_pool):
    """AccountSid must be the requesting account or one of its subaccounts: a subaccount's own
    credentials cannot hand its Sim to its parent (the primary moves Sims, with its credentials)."""
    sub = _subaccounts(sc_target, 1)[0]
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new", with_fleet=False)
    placed = _move(sc_primary, sim["sid"], sub.sid)
    if placed.status != 200:
        pytest.skip(f"the primary could not move a Sim into its subaccount to set the scenario up ({placed.status})")
    as_sub = sc_target.client(*sc_target.profile.credentials(sub.sid))
    try:
        refused = _move(as_sub, sim["sid"], sc_primary.account_sid)
        expect(
            400 <= refused.status < 500,
            MOVE_RULES,
            "a subaccount's credentials moved its Sim to the parent account",
            expected="a 4xx (AccountSid is neither the requester nor one of its subaccounts)",
            received=f"{refused.status} {refused.excerpt()}",
            exchange=refused,
            requirements=["SIM-MOVE-006", "SIM-MOVE-002"],
        )
        still = fetch_sim(as_sub, sim["sid"])
        expect(
            still["account_sid"] == sub.sid,
            MOVE_RULES,
            "the refused move changed account_sid anyway",
            expected=sub.sid,
            received=still["account_sid"],
            requirements=["SIM-MOVE-006"],
        )
    finally:
        _move(sc_primary, sim["sid"], sc_primary.account_sid)


@check(MOVE_RULES)
def test_move_to_unrelated_is_refused(sc_target, sc_primary, sc_pool):
    sc_unrelated = sc_target.profile.unrelated
    if sc_unrelated is None:
        pytest.skip("the profile has no unrelated account")
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new", with_fleet=False)
    refused = _move(sc_primary, sim["sid"], sc_unrelated.sid)
    expect(
        400 <= refused.status < 500,
        MOVE_RULES,
        "a Sim was moved to an account that is not a subaccount",
        expected="a 4xx",
        received=refused.status,
        exchange=refused,
    )
    still = fetch_sim(sc_primary, sim["sid"])
    expect(
        still["account_sid"] == sc_primary.account_sid,
        MOVE_RULES,
        "the refused move changed account_sid anyway",
        expected=sc_primary.account_sid,
        received=still["account_sid"],
    )


@check(MOVE_RULES)
@pytest.mark.parametrize("status", ["active", "ready"])
def test_only_new_sims_move(sc_target, sc_primary, sc_pool, status):
    sub = _subaccounts(sc_target, 1)[0]
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, status)
    # An activated Sim has a Fleet (Twilio requires one): give it one of the subaccount's, so
    # that the status is the only reason left to refuse the move.
    extra = {}
    if sim["fleet_sid"] is not None:
        sub_fleets = sc_pool.fleets(sub.sid)
        if not sub_fleets:
            pytest.skip("the profile lists no fleet of the subaccount to move an activated Sim into")
        extra["Fleet"] = sub_fleets[0].sid
    refused = _move(sc_primary, sim["sid"], sub.sid, **extra)
    expect(
        400 <= refused.status < 500,
        MOVE_RULES,
        f"an {status} Sim was moved between accounts",
        expected="a 4xx (AccountSid is only valid while the Sim is new)",
        received=refused.status,
        exchange=refused,
    )
    still = fetch_sim(sc_primary, sim["sid"])
    expect(
        still["account_sid"] == sc_primary.account_sid,
        MOVE_RULES,
        f"the refused move of an {status} Sim moved it anyway",
        expected=sc_primary.account_sid,
        received=still["account_sid"],
        requirements=["SIM-MOVE-007"],
    )


@check(MOVE_INACTIVE)
def test_inactive_move_is_a_private_beta(sc_target, sc_primary, sc_pool, sc_note):
    """Moving an inactive SIM is a Private Beta (SIM-MOVE-010): refused or done, both are right.

    When the account has the beta and the move happens, the Sim must then belong to the
    subaccount (as any move); it is moved back so the run leaves the account as it found it.
    """
    sub = _subaccounts(sc_target, 1)[0]
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "inactive", with_fleet=False)
    answer = _move(sc_primary, sim["sid"], sub.sid)
    if 400 <= answer.status < 500:
        sc_note(f"moving an inactive Sim was refused ({answer.status}): the account does not have the private beta")
        return
    expect(
        answer.status == 200 and body(answer)["account_sid"] == sub.sid,
        MOVE_INACTIVE,
        "moving an inactive Sim was neither refused (4xx) nor done (200 with the subaccount's account_sid)",
        expected=f"a 4xx, or 200 with account_sid {sub.sid}",
        received=f"{answer.status} {answer.excerpt()}",
        exchange=answer,
    )
    as_sub = sc_target.client(*sc_target.profile.credentials(sub.sid))
    fetched = as_sub.get(f"/v1/Sims/{sim['sid']}")
    expect(
        fetched.status == 200 and body(fetched)["account_sid"] == sub.sid,
        MOVE_INACTIVE,
        "the move of an inactive Sim was answered as done, but the subaccount cannot fetch the Sim",
        expected=f"200 with account_sid {sub.sid}",
        received=f"{fetched.status} {fetched.excerpt()}",
        exchange=fetched,
        requirements=["SIM-MOVE-009"],  # the beta is optional; a move answered as done must be one
    )
    back = _move(sc_primary, sim["sid"], sc_primary.account_sid)
    sc_note(
        "moving an inactive Sim was done: the account has the private beta; "
        + ("moved back" if back.status == 200 else f"moving it back answered {back.status}")
    )


@check(MOVE_FLEET)
def test_sim_with_fleet_needs_a_fleet_of_the_new_account(sc_target, sc_primary, sc_pool):
    sub = _subaccounts(sc_target, 1)[0]
    sub_fleets = sc_pool.fleets(sub.sid)
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new", with_fleet=True)
    refused = _move(sc_primary, sim["sid"], sub.sid)
    expect(
        400 <= refused.status < 500,
        MOVE_FLEET,
        "a Sim with a fleet moved without a Fleet for the new account",
        expected="a 4xx",
        received=refused.status,
        exchange=refused,
    )
    foreign = _move(sc_primary, sim["sid"], sub.sid, Fleet=sim["fleet_sid"])
    expect(
        400 <= foreign.status < 500,
        MOVE_FLEET,
        "a Sim moved keeping a fleet of the old account",
        expected="a 4xx",
        received=foreign.status,
        exchange=foreign,
    )
    if sub_fleets:
        moved = _move(sc_primary, sim["sid"], sub.sid, Fleet=sub_fleets[0].sid)
        expect(
            moved.status == 200 and body(moved)["fleet_sid"] == sub_fleets[0].sid,
            MOVE_FLEET,
            "moving with a fleet of the new account was refused or did not set that fleet",
            expected=f"200 with fleet_sid {sub_fleets[0].sid}",
            received=f"{moved.status} {moved.excerpt()}",
            exchange=moved,
        )
        back = _move(sc_primary, sim["sid"], sc_primary.account_sid, Fleet=sim["fleet_sid"])
        expect(
            back.status == 200,
            MOVE_FLEET,
            "moving back with the original fleet was refused",
            expected=200,
            received=back.status,
            exchange=back,
        )


@check(MOVE_FLEET)
def test_sim_with_fleet_moves_with_empty_fleet(sc_target, sc_primary, sc_pool):
    sub = _subaccounts(sc_target, 1)[0]
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new", with_fleet=True)
    moved = _move(sc_primary, sim["sid"], sub.sid, Fleet="")
    expect(
        moved.status == 200 and body(moved)["fleet_sid"] is None and body(moved)["account_sid"] == sub.sid,
        MOVE_FLEET,
        "moving a Sim with Fleet= (null) did not move it without a fleet",
        expected=f"200, account_sid {sub.sid}, fleet_sid null",
        received=f"{moved.status} {moved.excerpt()}",
        exchange=moved,
    )
