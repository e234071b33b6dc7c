"""The store's data and its indexes, and the only code that changes what a Sim shows.

Every rule module (``access``, ``pagination``, ``updates``, ``scheduled``, ``activation``,
``cards``, ``seeding``) is a set of plain functions over one :class:`Tables`; the
:class:`~conformance.mock.store.Store` is a ``Tables`` that takes the lock and calls them.
Keeping the data apart from the rules lets each rule module import it without importing
the store, so the dependencies point one way.

The indexes serve keyset pagination: one sorted list of creation sequence numbers per
(account), (account, shown status) and (account, fleet). :meth:`Tables.change` and
:meth:`Tables.touch` are the only places that change what a Sim shows, so the indexes, the
unique-name map and the Sim's cached snapshot cannot drift apart.

None of these methods take the lock: their callers (the store's public methods) hold it.
"""

from __future__ import annotations

import bisect
import itertools
import secrets
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from conformance.mock.clock import Clock
from conformance.mock.model import SimView
from conformance.mock.records import SimRecord
from conformance.profile import Account, Fleet, Profile, RegistrableCard


@dataclass
class SortedKeys:
    """A sorted list of sequence numbers; appending a newer key (the common case) costs no search."""

    keys: list[int] = field(default_factory=list)

    def add(self, key: int) -> None:
        if not self.keys or key > self.keys[-1]:
            self.keys.append(key)
        else:
            bisect.insort(self.keys, key)

    def remove(self, key: int) -> None:
        i = bisect.bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            del self.keys[i]


def index_keys(sim: SimRecord) -> list[tuple]:
    """The index entries a Sim belongs to: its account, its shown status, its fleet (if any)."""
    keys: list[tuple] = [("a", sim.account), ("s", sim.account, sim.shown_status)]
    if sim.fleet:
        keys.append(("f", sim.account, sim.fleet))
    return keys


class Tables:
    """Accounts, fleets, registrable cards and Sims of one mock, with their indexes and the queue."""

    def __init__(
        self,
        profile: Profile,
        *,
        clock: Clock | None = None,
        faults: frozenset[str] = frozenset(),
        async_delay: float = 0.2,
    ):
        self.profile = profile
        self.clock = clock or Clock()
        self.faults = faults
        self.async_delay = async_delay
        self.lock = threading.RLock()
        #: Notified whenever an update is queued (the scheduler thread waits on it).
        self.changed = threading.Condition(self.lock)
        self.tokens = {account.sid: profile.token_for(account.sid) for account in profile.accounts}
        self.clear()

    def clear(self) -> None:
        """Empty every table and restart the counters (``seeding.load_profile`` fills them again)."""
        self.accounts: dict[str, Account] = {}
        self.children: dict[str, set[str]] = {}
        self.fleets: dict[str, Fleet] = {}
        self.fleet_names: dict[tuple[str, str], str] = {}
        self.cards: dict[str, RegistrableCard] = {}
        self.sims: dict[str, SimRecord] = {}
        self.by_seq: dict[int, SimRecord] = {}
        self.by_iccid: dict[str, str] = {}
        self.names: dict[tuple[str, str], set[str]] = {}
        self.index: dict[tuple, SortedKeys] = {}
        #: Heap of (due, ticket, sid) of queued asynchronous updates (see ``scheduled``).
        self.queue: list[tuple[float, int, str]] = []
        self.seq = itertools.count(1)
        self.tickets = itertools.count(1)
        self.iccid_counter = itertools.count(1)
        #: Planted faults' memory: each Sim as it was before its last change, views cached by name,
        #: and which attributes the last change set.
        self.previous: dict[str, SimView] = {}
        self.name_cache: dict[tuple[str, str], SimView] = {}
        self.last_changed: frozenset[str] = frozenset()

    # ------------------------------------------------------------------ adding
    def add_fleet(self, fleet: Fleet) -> None:
        self.fleets[fleet.sid] = fleet
        if fleet.unique_name:
            self.fleet_names[(fleet.account, fleet.unique_name)] = fleet.sid

    def insert(self, sim: SimRecord) -> None:
        self.sims[sim.sid] = sim
        self.by_seq[sim.seq] = sim
        self.by_iccid[sim.iccid] = sim.sid
        if sim.unique_name is not None:
            self.names.setdefault((sim.account, sim.unique_name), set()).add(sim.sid)
        self._index_add(sim)

    def new_sid(self) -> str:
        """A fresh random Sim SID nobody holds."""
        while True:
            sid = "HS" + secrets.token_hex(16)
            if sid not in self.sims:
                return sid

    def fresh_iccid(self) -> str:
        """An ICCID (``89883079…``) that is neither a Sim's nor a registrable card's."""
        while True:
            iccid = f"89883079{next(self.iccid_counter):012d}"
            if iccid not in self.by_iccid and iccid not in self.cards:
                return iccid

    # ------------------------------------------------------------------ changing
    def change(self, sim: SimRecord, **changes: object) -> None:
        """Apply attribute changes, keeping the indexes, the unique-name map and the snapshot in step.

        This and :meth:`touch` are the only places that change what a Sim shows.
        """
        if self.faults:
            changes = self._planted_changes(sim, changes)
        self._index_remove(sim)
        if sim.unique_name is not None:
            self.names.get((sim.account, sim.unique_name), set()).discard(sim.sid)
        if "sid-changes-on-rename" in self.faults and "unique_name" in changes:
            # planted: the SID derived from the name, so a rename makes a new one
            del self.sims[sim.sid]
            sim.sid = self.new_sid()
            self.sims[sim.sid] = sim
            self.by_iccid[sim.iccid] = sim.sid
        for name, value in changes.items():
            setattr(sim, name, value)
        sim.snapshot = None
        # planted: names set through the API are left out of the index (lookups scan for them)
        unindexed = "unique-name-index-stale" in self.faults and "unique_name" in changes
        if sim.unique_name is not None and not unindexed:
            self.names.setdefault((sim.account, sim.unique_name), set()).add(sim.sid)
        self._index_add(sim)

    def _planted_changes(self, sim: SimRecord, changes: dict[str, object]) -> dict[str, object]:
        """The changes as the planted faults of values apply them (and what they remember)."""
        self.last_changed = frozenset(changes)
        if "list-shows-previous-version" in self.faults:
            self.previous[sim.sid] = sim.view()
        if "fleet-update-clears-name" in self.faults and "fleet" in changes and "unique_name" not in changes:
            changes = {**changes, "unique_name": None}
        return changes

    def touch(self, sim: SimRecord) -> None:
        """Move date_updated: to now, and at least one second past its last value.

        Timestamps have whole seconds only; without the one-second step a client could
        not see that a quick asynchronous update changed the Sim.
        """
        if "date-updated-not-moving" in self.faults:
            return
        if "date-updated-only-on-status" in self.faults and not {"status", "pending"} & self.last_changed:
            return
        sim.date_updated = max(self.clock.now(), sim.date_updated + timedelta(seconds=1))
        if "date-updated-an-hour-behind" in self.faults:  # local time of GMT-1 written as GMT
            sim.date_updated = self.clock.now() - timedelta(hours=1)
        if "date-created-reset-on-update" in self.faults:
            sim.date_created = sim.date_updated
        sim.snapshot = None

    # ------------------------------------------------------------------ the indexes
    def keys(self, key: tuple) -> list[int]:
        """The sorted sequence numbers of one index entry (empty if nobody is in it)."""
        entry = self.index.get(key)
        return entry.keys if entry is not None else []

    def _index_add(self, sim: SimRecord) -> None:
        for key in index_keys(sim):
            self.index.setdefault(key, SortedKeys()).add(sim.seq)

    def _index_remove(self, sim: SimRecord) -> None:
        for key in index_keys(sim):
            if key in self.index:
                self.index[key].remove(sim.seq)
