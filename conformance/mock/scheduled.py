"""The queue of asynchronous updates: a Sim shows "scheduled" until its update completes.

Activation, deactivation, reactivation and a fleet change of a ready or active Sim answer
202 and finish ``async_delay`` seconds later. The queue is a heap of (due, ticket, sid); a
Sim holds at most one :class:`~conformance.mock.records.Pending`, and an entry counts only
while its ticket is that Pending's (any other entry is stale and skipped). Updates complete from the scheduler thread
(``MockState``), lazily at the start of every request, and all at once on flush.

Plain functions over :class:`~conformance.mock.tables.Tables`; the caller holds the lock.
"""

from __future__ import annotations

import heapq
import time

from conformance.mock.activation import maybe_auto_activate
from conformance.mock.model import UNSET, Completion
from conformance.mock.records import Pending, SimRecord
from conformance.mock.tables import Tables


def schedule(
    t: Tables,
    sim: SimRecord,
    status: str,
    fleet: object,
    callback_url: str | None,
    callback_method: str,
    *,
    show_fleet: bool = False,
) -> None:
    """Queue the asynchronous part of an update (``fleet`` UNSET: unchanged) and wake the scheduler.

    ``show_fleet`` makes the scheduled Sim show the new fleet at once (a planted fault).
    """
    pending = Pending(
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
        changes: dict[str, object] = {"pending": None, "status": pending.status}
        if pending.fleet is not UNSET:
            changes["fleet"] = pending.fleet
        if pending.status == "ready" and sim.status != "ready":
            changes["ready_since"] = t.clock.now()
        t.change(sim, **changes)
        t.touch(sim)
        maybe_auto_activate(t, sim)
        finished += 1
        if pending.callback_url:
            done.append(Completion(sim.view(), pending.callback_url, pending.callback_method))
    return finished, done
