"""Automatic ready -> active: what the real network does to a Sim nobody updates.

A ready Sim becomes active once it has used :data:`AUTO_ACTIVATE_DATA_KB` of data, or
:data:`AUTO_ACTIVATE_SMS` SMS Commands were counted, or :data:`AUTO_ACTIVATE_MONTHS`
calendar months passed since it became ready. The mock has no network, so usage is recorded
explicitly (:func:`record_usage`) and time is the mock clock; the rule is applied whenever one
of those moves, when an update completes, and by the scheduler's periodic sweep.

Plain functions over :class:`~conformance.mock.tables.Tables`; the caller holds the lock.
"""

from __future__ import annotations

from datetime import timedelta

from conformance.mock import access
from conformance.mock.clock import add_months
from conformance.mock.errors import conflict
from conformance.mock.records import SimRecord
from conformance.mock.tables import Tables

#: Data use (kB) after which a ready Sim becomes active.
AUTO_ACTIVATE_DATA_KB = 250
#: SMS Commands after which a ready Sim becomes active.
AUTO_ACTIVATE_SMS = 5
#: Calendar months in ready after which a Sim becomes active.
AUTO_ACTIVATE_MONTHS = 3


def maybe_auto_activate(t: Tables, sim: SimRecord) -> bool:
    """Make a ready Sim active (synchronously, no callback) if it met the rule; True if it did."""
    if "no-auto-activate" in t.faults or sim.status != "ready" or sim.pending is not None:
        return False
    faults = t.faults
    if sim.ready_since is None:
        due = False
    elif "auto-activate-after-three-weeks" in faults:
        due = t.clock.now() >= sim.ready_since + timedelta(weeks=AUTO_ACTIVATE_MONTHS)
    else:
        due = t.clock.now() >= add_months(sim.ready_since, AUTO_ACTIVATE_MONTHS)
    data_kb = 200 if "auto-activate-at-200kb" in faults else AUTO_ACTIVATE_DATA_KB
    sms = AUTO_ACTIVATE_SMS - 1 if "auto-activate-at-four-sms" in faults else AUTO_ACTIVATE_SMS
    if "auto-activate-above-threshold" in faults:
        used = sim.data_kb > data_kb or sim.sms_commands > sms
    else:
        used = sim.data_kb >= data_kb or sim.sms_commands >= sms
    if used or due:
        t.change(sim, status="active")
        t.touch(sim)
        return True
    return False


def sweep(t: Tables) -> list[str]:
    """Apply the three-months rule to every ready Sim; return the SIDs that became active."""
    ready = [
        t.by_seq[seq] for key, keys in t.index.items() if key[0] == "s" and key[2] == "ready" for seq in list(keys.keys)
    ]
    return [sim.sid for sim in ready if maybe_auto_activate(t, sim)]


def advance_clock(t: Tables, seconds: float) -> list[str]:
    """Move the mock clock forward; return the SIDs that became active because of it."""
    t.clock.advance(seconds)
    return sweep(t)


def record_usage(
    t: Tables, account: str, ref: str, *, data_kb: float = 0, sms_commands: int = 0, ready_seconds: float = 0
) -> dict:
    """Count data use and SMS Commands of a ready or active Sim (may make it active).

    ``ready_seconds`` ages this one Sim's time in ready (as if it had become ready that much
    earlier), so the three-months rule can be tested on one Sim without moving the whole
    mock's clock, which would activate every other ready Sim too.
    """
    sim = access.resolve(t, account, ref)
    if sim.shown_status not in ("ready", "active"):
        raise conflict(f"Sim {sim.sid} is {sim.shown_status}: only a ready or active Sim uses the network")
    sim.data_kb += data_kb
    sim.sms_commands += sms_commands
    if ready_seconds and sim.ready_since is not None:
        sim.ready_since -= timedelta(seconds=ready_seconds)
    activated = maybe_auto_activate(t, sim)
    return {
        "sim": sim.view(),
        "data_kb": sim.data_kb,
        "sms_commands": sim.sms_commands,
        "auto_activated": activated,
    }
