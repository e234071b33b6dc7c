"""The mock's state: accounts, fleets, registrable cards and Sims, and every rule that changes them.

All of the Sim resource's behaviour that does not depend on HTTP is reached through
:class:`Store`. Its data and indexes are :class:`~conformance.mock.tables.Tables`; each rule
is a plain function in a module of its own, over those tables:

=================  ===========================================================================
``access``         credentials, the account tree, finding a Sim (404, never 403) or a fleet
``pagination``     list filters and keyset pagination
``updates``        status transitions, account moves, unique names, fleets
``scheduled``      the queue of asynchronous updates (status "scheduled")
``activation``     automatic ready -> active by data, SMS Commands or time
``cards``          registration and registrable cards
``seeding``        the profile's initial state, and fleets and Sims added by tests
=================  ===========================================================================

One re-entrant lock guards every read and write: each public method here takes it and calls
the rule functions, which assume it is held. So a request sees and leaves a consistent state
and concurrent requests cannot lose updates or register one ICCID twice. Reads return
:class:`~conformance.mock.model.SimView` snapshots taken under the lock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from conformance.mock import access, activation, pagination, scheduled, seeding, updates
from conformance.mock import cards as registrable
from conformance.mock.activation import AUTO_ACTIVATE_DATA_KB, AUTO_ACTIVATE_MONTHS, AUTO_ACTIVATE_SMS
from conformance.mock.clock import Clock
from conformance.mock.model import Completion, ListQuery, PageResult, SimView, UpdateRequest
from conformance.mock.tables import Tables
from conformance.profile import SIM_SID, Fleet, Profile, RegistrableCard

#: Planted faults of how a list page shows its Sims (see :meth:`Store._as_listed`).
_LISTED_FAULTS = frozenset({"list-shows-previous-version", "list-iccid-cut", "list-sid-uppercase"})
#: What a synchronous update can change of a record (``update-answer-not-persisted`` puts it back).
_PERSISTED = ("unique_name", "fleet", "status", "account", "ready_since", "date_created", "date_updated")

__all__ = ["AUTO_ACTIVATE_DATA_KB", "AUTO_ACTIVATE_MONTHS", "AUTO_ACTIVATE_SMS", "Store"]


class Store(Tables):
    """Thread-safe state of one mock; built from a profile, resettable to it."""

    def __init__(
        self,
        profile: Profile,
        *,
        clock: Clock | None = None,
        faults: frozenset[str] = frozenset(),
        async_delay: float = 0.2,
    ):
        super().__init__(profile, clock=clock, faults=faults, async_delay=async_delay)
        self.reset()

    def reset(self) -> None:
        """Back to the profile's initial state (clock, cards, Sims, fleets, queue)."""
        with self.lock:
            self.clock.reset()
            self.clear()
            seeding.load_profile(self)
            self.changed.notify_all()

    # ------------------------------------------------------------------ accounts
    def authenticate(self, account_sid: str, token: str) -> str | None:
        """The account SID if the token is right, else None (constant-time compare)."""
        return access.authenticate(self, account_sid, token)

    def token_for(self, account_sid: str) -> str:
        return self.tokens[account_sid]

    def may_act_for(self, requester: str, target: str) -> bool:
        """The documented rule for AccountSid: the requester itself or one of its subaccounts."""
        return access.may_act_for(self, requester, target)

    # ------------------------------------------------------------------ the four operations
    def register(self, account: str, iccid: str, code: str) -> SimView:
        """Claim a registrable card for ``account``: a new Sim with status new and no fleet."""
        with self.lock:
            return registrable.register(self, account, iccid, code)

    def fetch(self, account: str, ref: str) -> SimView:
        with self.lock:
            cached = "name-fetch-cached" in self.faults and not SIM_SID.match(ref)
            if cached and (account, ref) in self.name_cache:
                return self.name_cache[(account, ref)]  # planted: a cache no update invalidates
            sim = access.resolve(self, account, ref)
            if "date-updated-moves-on-read" in self.faults:
                self.touch(sim)
            if cached:
                self.name_cache[(account, ref)] = sim.view()
            return sim.view()

    def list_page(self, account: str, query: ListQuery) -> PageResult:
        """One page of the account's Sims matching the filters (see :mod:`conformance.mock.pagination`)."""
        with self.lock:
            result = pagination.list_page(self, account, query)
            if self.faults & _LISTED_FAULTS:
                result = dataclasses.replace(result, sims=[self._as_listed(sim) for sim in result.sims])
            return result

    def _as_listed(self, sim: SimView) -> SimView:
        """A listed Sim as the planted faults of values show it."""
        if "list-shows-previous-version" in self.faults:
            sim = self.previous.get(sim.sid, sim)
        if "list-iccid-cut" in self.faults:  # a column one character too short
            sim = dataclasses.replace(sim, iccid=sim.iccid[:-1])
        if "list-sid-uppercase" in self.faults:
            sim = dataclasses.replace(sim, sid=sim.sid[:2] + sim.sid[2:].upper())
        return sim

    def update(self, account: str, ref: str, request: UpdateRequest) -> tuple[SimView, int, list[Completion]]:
        """Apply an update; return the Sim, 200 (done) or 202 (scheduled), and callbacks due now.

        Everything is validated before anything changes, so a refused update changes nothing.
        """
        with self.lock:
            if "update-answer-not-persisted" not in self.faults:
                return updates.update(self, account, ref, request)
            # planted: the synchronous update is answered from a changed copy, the record stays
            record = access.for_update(self, account, ref, request)
            kept = {name: getattr(record, name) for name in _PERSISTED}
            view, status, done = updates.update(self, account, ref, request)
            if status == 200:
                self.change(record, **kept)
            return view, status, done

    # ------------------------------------------------------------------ the update queue
    def next_due(self) -> float | None:
        """Monotonic time of the earliest queued update, or None."""
        with self.lock:
            return scheduled.next_due(self)

    def complete_due(self, *, everything: bool = False) -> tuple[int, list[Completion]]:
        """Finish every queued update whose delay has passed (all of them with ``everything``).

        Returns how many finished, and the callbacks they asked for.
        """
        with self.lock:
            return scheduled.complete_due(self, everything=everything)

    # ------------------------------------------------------------------ ready -> active
    def sweep_auto_activation(self) -> list[str]:
        """Apply the three-months rule to every ready Sim; return the SIDs that became active."""
        with self.lock:
            return activation.sweep(self)

    def advance_clock(self, seconds: float) -> list[str]:
        """Move the mock clock forward; return the SIDs that became active because of it."""
        with self.lock:
            return activation.advance_clock(self, seconds)

    def record_usage(
        self, account: str, ref: str, *, data_kb: float = 0, sms_commands: int = 0, ready_seconds: float = 0
    ) -> dict:
        """Count data use and SMS Commands of a ready or active Sim (may make it active); see ``activation``."""
        with self.lock:
            return activation.record_usage(
                self, account, ref, data_kb=data_kb, sms_commands=sms_commands, ready_seconds=ready_seconds
            )

    # ------------------------------------------------------------------ seeding
    def seed_fleet(self, account: str, unique_name: str | None = None, sid: str | None = None) -> Fleet:
        """Add a fleet to an account (a fresh SID unless one is given)."""
        with self.lock:
            return seeding.seed_fleet(self, account, unique_name, sid)

    def seed_sims(
        self,
        account: str,
        count: int = 1,
        *,
        status: str = "new",
        fleet: str | None = None,
        name_prefix: str | None = None,
        iccids: Iterable[str] | None = None,
    ) -> list[str]:
        """Add ``count`` Sims to an account directly (no registration); return their SIDs.

        Names are ``{name_prefix}{n}``; ICCIDs are fresh unless given. Fast enough for
        100,000 Sims (keys are appended, never re-sorted).
        """
        with self.lock:
            return seeding.seed_sims(
                self, account, count, status=status, fleet=fleet, name_prefix=name_prefix, iccids=iccids
            )

    def add_cards(self, cards: Iterable[RegistrableCard]) -> list[RegistrableCard]:
        """Make more SIM cards registrable (all or none)."""
        with self.lock:
            return registrable.add_cards(self, cards)

    def new_card(self) -> RegistrableCard:
        """A fresh registrable card with a random 10-character code."""
        with self.lock:
            return registrable.new_card(self)

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {
                "sims": len(self.sims),
                "fleets": len(self.fleets),
                "registrable": len(self.cards),
                "scheduled": sum(1 for s in self.sims.values() if s.pending),
            }
