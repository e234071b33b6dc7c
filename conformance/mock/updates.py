"""``POST /v1/Sims/{Sid}``: the status transitions, account moves, unique names and fleets.

Everything is validated before anything changes, so a refused update changes nothing. An
accepted one is split: the synchronous parts (name, account, the fleet of a new or inactive
Sim, ready -> active) apply at once, the asynchronous parts (activation, deactivation,
reactivation, the fleet of a ready or active Sim) are queued together (``scheduled``), and
the answer is 200 or 202 accordingly. The transition table and the choices the page leaves
open are in docs/mock.md ("Update").

Plain functions over :class:`~conformance.mock.tables.Tables`; the caller holds the lock.
"""

from __future__ import annotations

import dataclasses

from conformance.mock import access, scheduled
from conformance.mock.activation import maybe_auto_activate
from conformance.mock.errors import ApiError, bad_request, conflict, twilio_error
from conformance.mock.model import UNSET, Completion, SimView, UpdateRequest
from conformance.mock.records import SimRecord
from conformance.mock.tables import Tables
from conformance.profile.model import FLEET_SID

#: (from, to) status changes that answer 202 and complete later.
ASYNC_TRANSITIONS = frozenset(
    {
        ("new", "ready"),
        ("new", "active"),
        ("active", "inactive"),
        ("inactive", "active"),
        ("ready", "inactive"),
    }
)


def update(t: Tables, account: str, ref: str, request: UpdateRequest) -> tuple[SimView, int, list[Completion]]:
    """Apply an update; return the Sim, 200 (done) or 202 (scheduled), and callbacks due now."""
    sim = access.for_update(t, account, ref, request)
    if sim.pending is not None:
        raise conflict(f"Sim {sim.sid} has an update in progress (status scheduled); retry after it completes")
    target_account = check_move(t, account, sim, request)
    moving = target_account != sim.account
    fleet = check_fleet(t, request, target_account, moving)
    name = check_name(t, sim, request, target_account)
    status = request.status
    kind: str | None = None
    final_status = sim.status
    if isinstance(status, str) and status != sim.status:
        kind = transition(t.faults, sim.status, status)
        final_status = status
        if (
            kind == "async"
            and (sim.status, status) in _PLANTED_SYNC
            and _PLANTED_SYNC[(sim.status, status)] in t.faults
        ):
            kind = "sync"
    check_fleet_rules(t, sim, fleet, kind, final_status)

    sync: dict[str, object] = {}
    later_status: str | None = None
    later_fleet: object = UNSET
    if moving:
        sync["account"] = target_account
    if name is not UNSET and name != sim.unique_name:
        sync["unique_name"] = name
    if kind == "async":
        later_status = final_status
    elif kind == "sync":
        sync["status"] = final_status
        if final_status == "ready":
            sync["ready_since"] = t.clock.now()
    if fleet is not UNSET and fleet != sim.fleet:
        # "If a Sim resource's Fleet is changed as part of an asynchronous update, the existing
        # value of the fleet_sid property will be returned when the update request is accepted":
        # the fleet rides with an asynchronous status change, and is itself asynchronous for an
        # activated (ready or active) Sim.
        at_once = later_status is not None and "activation-fleet-applied-at-once" in t.faults
        at_once = at_once or (later_status is None and "fleet-change-synchronous" in t.faults)
        if (later_status is not None or sim.status in ("ready", "active")) and not at_once:
            later_fleet = fleet
        else:
            sync["fleet"] = fleet

    if sync:
        t.change(sim, **sync)
        t.touch(sim)
    scheduled_anyway = (
        "unique-name-update-scheduled" in t.faults and "unique_name" in sync and len(sync) == 1 and kind is None
    ) or ("callback-url-update-scheduled" in t.faults and request.callback_url and not sync and kind is None)
    if later_status is None and later_fleet is UNSET and not scheduled_anyway:
        maybe_auto_activate(t, sim)
        return sim.view(), 200, []

    final_status = later_status or sim.status
    if "skip-scheduled" in t.faults:
        changes: dict[str, object] = {"status": final_status}
        if later_fleet is not UNSET:
            changes["fleet"] = later_fleet
        if final_status == "ready":
            changes["ready_since"] = t.clock.now()
        t.change(sim, **changes)
        t.touch(sim)
        if not request.callback_url:
            return sim.view(), 200, []
        return sim.view(), 200, [Completion(sim.view(), request.callback_url, request.callback_method)]

    hidden = "scheduled-hidden-from-fetch" in t.faults
    scheduled.schedule(
        t,
        sim,
        final_status,
        later_fleet,
        request.callback_url,
        request.callback_method,
        show_fleet=later_fleet is not UNSET and "fleet-changes-while-scheduled" in t.faults,
        hidden=hidden,
    )
    if {"callback-account-of-requester", "callback-signed-by-requester"} & t.faults:
        setattr(sim.pending, "requester", account)  # noqa: B010  (a planted fault's note on the queued update)
    view = sim.view()
    return (dataclasses.replace(view, status="scheduled") if hidden else view), 202, []


#: Asynchronous transitions a planted fault makes synchronous: (from, to) -> fault.
_PLANTED_SYNC = {
    ("active", "inactive"): "deactivation-synchronous",
    ("inactive", "active"): "reactivation-synchronous",
    ("new", "active"): "activation-to-active-synchronous",
}


def check_fleet_rules(t: Tables, sim: SimRecord, fleet: object, kind: str | None, final_status: str) -> None:
    """A ready or active Sim always has a Fleet (Twilio errors 83007 and 83008).

    Activating (to ready or active) a Sim that has no Fleet and gets none in the request is
    83007; removing the Fleet of a Sim that stays ready or active is 83008 (deactivating it in
    the same request is the documented way). Sources: the Fleet resource page ("A Sim resource
    must be assigned to a Fleet resource ... before it can activated"),
    https://www.twilio.com/docs/api/errors/83007 and https://www.twilio.com/docs/api/errors/83008.
    """
    final_fleet = sim.fleet if fleet is UNSET else fleet
    if final_status not in ("ready", "active") or final_fleet is not None:
        return
    if kind is not None and "activate-without-fleet" not in t.faults:
        if "fleetless-activation-refused-but-applied" in t.faults:  # planted: the refusal changes the Sim
            t.change(sim, status=final_status)
            t.touch(sim)
        raise twilio_error(
            83007,
            f"Unable to activate Sim {sim.sid}: it does not belong to a Fleet; "
            "provide a Fleet in the activation request or assign it to a Fleet first",
        )
    if kind is None and fleet is None and "remove-fleet-while-active" not in t.faults:
        if "fleet-removal-refused-but-applied" in t.faults:  # planted: the refusal changes the Sim
            t.change(sim, fleet=None)
            t.touch(sim)
        raise twilio_error(
            83008,
            f"Sim {sim.sid} is {sim.status} and must belong to a Fleet: give another Fleet, "
            "or set Status=inactive in the same request",
        )


def check_move(t: Tables, account: str, sim: SimRecord, request: UpdateRequest) -> str:
    """The account the Sim belongs to after the update; 400 for a move the rules refuse."""
    target = request.account_sid
    if target is UNSET or target == sim.account:
        return sim.account
    assert isinstance(target, str)
    if t.faults:
        _planted_move_refusals(t, account, sim, target)
    allowed = access.may_act_for(t, account, target)
    if not allowed and "move-to-unrelated-allowed" in t.faults:
        allowed = target in t.accounts
    if not allowed and "subaccount-moves-to-parent" in t.faults:
        allowed = account in t.children.get(target, set())
    if not allowed:
        raise bad_request(f"AccountSid {target} is neither the requesting account nor one of its subaccounts")
    # moving an inactive Sim is a Private Beta ("inactive-move-allowed": an account that has it)
    beta = sim.status == "inactive" and "inactive-move-allowed" in t.faults
    if sim.status == "inactive" and "inactive-move-500" in t.faults:
        raise RuntimeError("planted fault inactive-move-500")
    if sim.status != "new" and not beta and "move-non-new-allowed" not in t.faults:
        if "non-new-move-refused-but-applied" in t.faults:  # planted: the refusal moves the Sim anyway
            t.change(sim, account=target)
            t.touch(sim)
        raise bad_request(f"AccountSid can only be changed while the Sim's status is new (it is {sim.status})")
    if sim.fleet is not None and request.fleet is UNSET and "move-keeps-foreign-fleet" not in t.faults:
        raise bad_request(
            "Fleet is required when moving a Sim that is assigned to a Fleet: give a Fleet of "
            f"account {target} or an empty Fleet to remove it"
        )
    return target


def _planted_move_refusals(t: Tables, account: str, sim: SimRecord, target: str) -> None:
    """The planted faults that refuse documented moves."""
    if "moves-refused" in t.faults:
        raise bad_request("AccountSid cannot be changed")
    if "move-to-primary-refused" in t.faults and target in t.children:
        raise bad_request(f"A Sim cannot be moved to the primary account {target}")
    into_sibling = target not in t.children and sim.account not in t.children
    if "move-between-subaccounts-refused" in t.faults and into_sibling:
        raise bad_request(f"A Sim cannot be moved from subaccount {sim.account} to subaccount {target}")


def check_fleet(t: Tables, request: UpdateRequest, target_account: str, moving: bool) -> object:
    """The fleet SID to set (None: remove, UNSET: unchanged); 404, or 400 when moving, for a foreign one."""
    if request.fleet is UNSET or request.fleet is None:
        return request.fleet
    assert isinstance(request.fleet, str)
    if not moving and "fleet-update-ignored" in t.faults:
        return UNSET
    by_name = not FLEET_SID.match(request.fleet)
    if by_name and "fleet-by-name-stored-as-given" in t.faults and (target_account, request.fleet) in t.fleet_names:
        return request.fleet  # planted: the unique name itself becomes fleet_sid
    fleet_sid = access.fleet_sid(t, target_account, request.fleet)
    if fleet_sid is None and moving and "move-accepts-old-accounts-fleet" in t.faults:
        fleet = t.fleets.get(request.fleet)
        fleet_sid = fleet.sid if fleet is not None else None
    neighbour = "fleet-by-name-resolves-other-fleet" if by_name else "fleet-sid-resolves-neighbouring-fleet"
    if fleet_sid is not None and neighbour in t.faults:  # planted: the lookup lands on the next fleet
        fleets = sorted(f.sid for f in t.fleets.values() if f.account == target_account)
        fleet_sid = fleets[(fleets.index(fleet_sid) + 1) % len(fleets)]
    if fleet_sid is None:
        if moving:
            raise ApiError(400, 83006, f"Fleet {request.fleet} is not a Fleet of account {target_account}")
        raise twilio_error(83006, f"The target Fleet {request.fleet} was not found")
    return fleet_sid


def check_name(t: Tables, sim: SimRecord, request: UpdateRequest, target_account: str) -> object:
    """The unique name to set (UNSET: unchanged); 409 if another Sim of the target account holds it."""
    name = request.unique_name
    effective = sim.unique_name if name is UNSET else name
    if effective is not None and "duplicate-unique-name-allowed" not in t.faults:
        holders = t.names.get((target_account, effective), set()) - {sim.sid}
        if holders:
            raise twilio_error(
                83011, f"UniqueName {effective!r} is already used by another Sim of account {target_account}"
            )
    return name


def transition(faults: frozenset[str], current: str, target: str) -> str:
    """ "sync" or "async" for an allowed status change; 400 for a forbidden one."""
    if target == "new":
        if "allow-return-to-new" in faults or (current == "inactive" and "inactive-to-new-allowed" in faults):
            return "sync"
        raise twilio_error(83010, "Status cannot be set back to new", parameter="Status")
    if (current, target) in ASYNC_TRANSITIONS:
        return "async"
    if (current, target) == ("ready", "active"):
        return "sync"
    if (current, target) == ("active", "ready") and "allow-ready-from-active" in faults:
        return "sync"
    if (current, target) == ("inactive", "ready") and "ready-from-inactive-allowed" in faults:
        return "sync"
    if target == "ready":
        raise twilio_error(
            83010, f"Status can only be set to ready while the Sim is new (it is {current})", parameter="Status"
        )
    raise twilio_error(83010, f"Status cannot change from {current} to {target}", parameter="Status")
