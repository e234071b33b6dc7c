"""The queue of asynchronous updates: a Sim shows "scheduled" until its update completes.

Activation, deactivation, reactivation and a fleet change of a ready or active Sim answer
202 and finish ``async_delay`` seconds later. The queue is a heap of (due, ticket, sid); a
Sim holds at most one :class:`~conformance.mock.records.Pending`, and an entry counts only
while its ticket is that Pending's (any other entry is stale and skipped). Updates complete from the scheduler thread
(``MockState``), lazily at the start of every request, and all at once on flush.

Plain functions over :class:`~conformance.mock.tables.Tables`; the caller holds the lock.
"""

from __future__ import annotations

import dataclasses
import heapq
import time

from conformance.mock.activation import maybe_auto_activate
from conformance.mock.callbacks import SignedCompletion
from conformance.mock.model import UNSET, Completion
from conformance.mock.records import Pending, SimRecord
from conformance.mock.tables import Tables

#: Seconds a planted fault waits before it applies the part of an update it delays.
LATE = 0.5
#: Seconds after completion a planted fault puts the old status back.
REVERT_AFTER = 0.15


class HiddenPending(Pending):
    """A queued update the Sim does not show (planted faults): its status stays what it was."""

    def __bool__(self) -> bool:
        return False


def schedule(
    t: Tables,
    sim: SimRecord,
    status: str,
    fleet: object,
    callback_url: str | None,
    callback_method: str,
    *,
    show_fleet: bool = False,
    hidden: bool = False,
) -> None:
    """Queue the asynchronous part of an update (``fleet`` UNSET: unchanged) and wake the scheduler.

    ``show_fleet`` makes the scheduled Sim show the new fleet at once, ``hidden`` keeps it
    showing its old status until the update completes (planted faults).
    """
    pending = (HiddenPending if hidden else Pending)(
        status=status,
        fleet=fleet,
        callback_url=callback_url,
        callback_method=callback_method,
        due=time.monotonic() + t.async_delay,
        ticket=next(t.tickets),
    )
    changes: dict[str, object] = {"pending": pending}
    if show_fleet:
        changes["fleet"] = fleet
    t.change(sim, **changes)
    t.touch(sim)
    heapq.heappush(t.queue, (pending.due, pending.ticket, sim.sid))
    t.changed.notify_all()


def _requeue(t: Tables, sim: SimRecord, pending: Pending, after: float, *, hidden: bool = False) -> None:
    """Queue ``pending`` again (no callback), due ``after`` seconds from now."""
    again = (HiddenPending if hidden else Pending)(
        status=pending.status,
        fleet=pending.fleet,
        callback_url=None,
        callback_method=pending.callback_method,
        due=time.monotonic() + after,
        ticket=next(t.tickets),
    )
    t.change(sim, pending=again)
    heapq.heappush(t.queue, (again.due, again.ticket, sim.sid))
    t.changed.notify_all()


def next_due(t: Tables) -> float | None:
    """Monotonic time of the earliest queued update, or None (stale entries are dropped)."""
    while t.queue and not _live(t, t.queue[0]):
        heapq.heappop(t.queue)
    return t.queue[0][0] if t.queue else None


def _live(t: Tables, entry: tuple[float, int, str]) -> bool:
    sim = t.sims.get(entry[2])
    return sim is not None and sim.pending is not None and sim.pending.ticket == entry[1]


def complete_due(t: Tables, *, everything: bool = False) -> tuple[int, list[Completion]]:
    """Finish every queued update whose delay has passed (all of them with ``everything``).

    Returns how many finished, and the callbacks they asked for.
    """
    finished = 0
    done: list[Completion] = []
    now = time.monotonic()
    while t.queue and (everything or t.queue[0][0] <= now):
        entry = heapq.heappop(t.queue)
        if not _live(t, entry):
            continue
        sim = t.sims[entry[2]]
        pending = sim.pending
        assert pending is not None
        planted = t.faults if not isinstance(pending, HiddenPending) else frozenset()
        if pending.callback_url and "callback-before-state-applied" in planted:
            # the callback goes out now, describing the final state; the state follows LATE s later
            final = dataclasses.replace(sim.view(), status=pending.status)
            done.append(Completion(final, pending.callback_url, pending.callback_method))
            _requeue(t, sim, pending, LATE)
            continue
        old_status = sim.status
        fleet_change = pending.status == old_status and pending.fleet is not UNSET
        status = pending.status
        if "reactivation-ends-ready" in planted and (old_status, status) == ("inactive", "active"):
            status = "ready"
        if "fleet-change-ends-active" in planted and fleet_change and status == "ready":
            status = "active"
        changes: dict[str, object] = {"pending": None, "status": status}
        late_fleet = fleet_change and "fleet-shown-late" in planted
        if pending.fleet is not UNSET and not late_fleet and not (fleet_change and "fleet-never-applied" in planted):
            changes["fleet"] = pending.fleet
        if status == "ready" and sim.status != "ready":
            changes["ready_since"] = t.clock.now()
        t.change(sim, **changes)
        t.touch(sim)
        maybe_auto_activate(t, sim)
        finished += 1
        if late_fleet:
            _requeue(t, sim, dataclasses.replace(pending, status=status), LATE, hidden=True)
        elif "status-reverts-after-completion" in planted and old_status != status:
            _requeue(t, sim, dataclasses.replace(pending, status=old_status, fleet=UNSET), REVERT_AFTER, hidden=True)
        if pending.callback_url:
            done.append(_completion(t, sim, pending, planted, fleet_change))
    return finished, done


def _completion(t: Tables, sim: SimRecord, pending: Pending, planted: frozenset[str], fleet_change: bool) -> Completion:
    """The callback a completed update asked for (planted faults: describing or signed for the wrong thing)."""
    assert pending.callback_url is not None
    view = sim.view()
    if "callback-sim-sid-of-neighbour" in planted:
        neighbour = t.by_seq.get(sim.seq + 1) or t.by_seq.get(sim.seq - 1)
        if neighbour is not None:
            view = dataclasses.replace(view, sid=neighbour.sid)
    if "fleet-callback-reports-active" in planted and fleet_change:
        view = dataclasses.replace(view, status="active")
    requester = getattr(pending, "requester", None)
    if requester and "callback-account-of-requester" in planted:
        view = dataclasses.replace(view, account_sid=requester)
    if requester and "callback-signed-by-requester" in planted:
        return SignedCompletion(view, pending.callback_url, pending.callback_method, signer=requester)
    return Completion(view, pending.callback_url, pending.callback_method)
