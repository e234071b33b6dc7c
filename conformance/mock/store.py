"""The mock's state: accounts, fleets, registrable cards and Sims, and every rule that changes them.

All of the Sim resource's behaviour that does not depend on HTTP lives here: who can see
which Sim, which status transitions are allowed and which are asynchronous, account
moves, unique-name uniqueness, automatic ready -> active, and keyset pagination.

One re-entrant lock guards every read and write, so a request sees and leaves a
consistent state and concurrent requests cannot lose updates or register one ICCID twice.
Reads return :class:`SimView` snapshots taken under the lock.

Pagination is keyset pagination over sorted lists of creation sequence numbers, one list
per (account), (account, shown status) and (account, fleet): a page token names the key
to continue after ("PA") or before ("PB"), so every page costs one bisection whatever its
depth, and walking the next links returns every matching Sim exactly once in creation
order even while other Sims are added.
"""

from __future__ import annotations

import bisect
import heapq
import hmac
import itertools
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable

from conformance.mock.clock import Clock, add_months
from conformance.mock.errors import ApiError, bad_request, conflict, not_found
from conformance.mock.model import UNSET, Completion, ListQuery, PageResult, SimView, UpdateRequest
from conformance.profile import FLEET_SID, ICCID, REGISTRATION_CODE, SIM_SID, Fleet, Profile, RegistrableCard

#: Data use (kB) after which a ready Sim becomes active.
AUTO_ACTIVATE_DATA_KB = 250
#: SMS Commands after which a ready Sim becomes active.
AUTO_ACTIVATE_SMS = 5
#: Calendar months in ready after which a Sim becomes active.
AUTO_ACTIVATE_MONTHS = 3

_TOKEN = re.compile(r"^P([AB])([0-9a-f]{1,16})$")


@dataclass
class _Pending:
    """A queued asynchronous update; the Sim shows status "scheduled" while it exists."""

    status: str
    fleet: object  # fleet SID, None (remove), or UNSET (unchanged)
    callback_url: str | None
    callback_method: str
    due: float
    ticket: int


@dataclass
class _Sim:
    seq: int
    sid: str
    account: str
    iccid: str
    status: str
    unique_name: str | None
    fleet: str | None
    date_created: datetime
    date_updated: datetime
    ready_since: datetime | None = None
    data_kb: float = 0.0
    sms_commands: int = 0
    pending: _Pending | None = None
    snapshot: SimView | None = field(default=None, repr=False, compare=False)
    """The last :meth:`view`, until a shown field changes (``Store._change`` and ``Store._touch`` drop it)."""

    @property
    def shown_status(self) -> str:
        return "scheduled" if self.pending else self.status

    def view(self) -> SimView:
        """What the API shows of this Sim now.

        Kept between changes: most reads (every list page) see Sims that did not change, and
        building the snapshot was a large part of a page; an unchanged snapshot also lets
        ``render.sim_bytes`` find its encoding at once.
        """
        if self.snapshot is None:
            self.snapshot = SimView(
                sid=self.sid,
                account_sid=self.account,
                iccid=self.iccid,
                status=self.shown_status,
                unique_name=self.unique_name,
                fleet_sid=self.fleet,
                date_created=self.date_created,
                date_updated=self.date_updated,
            )
        return self.snapshot


@dataclass
class _SortedKeys:
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


class Store:
    """Thread-safe state of one mock; built from a profile, resettable to it."""

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
        self._tokens = {account.sid: profile.token_for(account.sid) for account in profile.accounts}
        self.reset()

    # ------------------------------------------------------------------ building state
    def reset(self) -> None:
        """Back to the profile's initial state (clock, cards, Sims, fleets, queue)."""
        with self.lock:
            self.clock.reset()
            self.accounts = {a.sid: a for a in self.profile.accounts}
            self.children: dict[str, set[str]] = {}
            for account in self.profile.accounts:
                if account.parent:
                    self.children.setdefault(account.parent, set()).add(account.sid)
            self.fleets: dict[str, Fleet] = {}
            self.fleet_names: dict[tuple[str, str], str] = {}
            for fleet in self.profile.fleets:
                self._add_fleet(fleet)
            self.cards: dict[str, RegistrableCard] = {c.iccid: c for c in self.profile.registrable}
            self.sims: dict[str, _Sim] = {}
            self.by_seq: dict[int, _Sim] = {}
            self.by_iccid: dict[str, str] = {}
            self.names: dict[tuple[str, str], set[str]] = {}
            self.index: dict[tuple, _SortedKeys] = {}
            self.queue: list[tuple[float, int, str]] = []
            self._seq = itertools.count(1)
            self._tickets = itertools.count(1)
            self._iccid_counter = itertools.count(1)
            now = self.clock.now()
            count = len(self.profile.sims)
            for i, seed in enumerate(self.profile.sims):
                created = now - timedelta(minutes=count - i)
                sim = _Sim(
                    seq=next(self._seq),
                    sid=seed.sid,
                    account=seed.account,
                    iccid=seed.iccid,
                    status=seed.status,
                    unique_name=seed.unique_name,
                    fleet=seed.fleet,
                    date_created=created,
                    date_updated=created,
                    ready_since=created if seed.status == "ready" else None,
                )
                self._insert(sim)
            self.changed.notify_all()

    def _add_fleet(self, fleet: Fleet) -> None:
        self.fleets[fleet.sid] = fleet
        if fleet.unique_name:
            self.fleet_names[(fleet.account, fleet.unique_name)] = fleet.sid

    def _insert(self, sim: _Sim) -> None:
        self.sims[sim.sid] = sim
        self.by_seq[sim.seq] = sim
        self.by_iccid[sim.iccid] = sim.sid
        if sim.unique_name is not None:
            self.names.setdefault((sim.account, sim.unique_name), set()).add(sim.sid)
        self._index_add(sim)

    # ------------------------------------------------------------------ indexes
    @staticmethod
    def _keys_of(sim: _Sim) -> list[tuple]:
        keys: list[tuple] = [("a", sim.account), ("s", sim.account, sim.shown_status)]
        if sim.fleet:
            keys.append(("f", sim.account, sim.fleet))
        return keys

    def _index_add(self, sim: _Sim) -> None:
        for key in self._keys_of(sim):
            self.index.setdefault(key, _SortedKeys()).add(sim.seq)

    def _index_remove(self, sim: _Sim) -> None:
        for key in self._keys_of(sim):
            if key in self.index:
                self.index[key].remove(sim.seq)

    def _change(self, sim: _Sim, **changes: object) -> None:
        """Apply attribute changes, keeping the indexes, the unique-name map and the snapshot in step.

        This and :meth:`_touch` are the only places that change what a Sim shows.
        """
        self._index_remove(sim)
        if sim.unique_name is not None:
            self.names.get((sim.account, sim.unique_name), set()).discard(sim.sid)
        for name, value in changes.items():
            setattr(sim, name, value)
        sim.snapshot = None
        if sim.unique_name is not None:
            self.names.setdefault((sim.account, sim.unique_name), set()).add(sim.sid)
        self._index_add(sim)

    def _touch(self, sim: _Sim) -> None:
        """Move date_updated: to now, and at least one second past its last value.

        Timestamps have whole seconds only; without the one-second step a client could
        not see that a quick asynchronous update changed the Sim.
        """
        if "date-updated-not-moving" in self.faults:
            return
        sim.date_updated = max(self.clock.now(), sim.date_updated + timedelta(seconds=1))
        sim.snapshot = None

    # ------------------------------------------------------------------ accounts
    def authenticate(self, account_sid: str, token: str) -> str | None:
        """The account SID if the token is right, else None (constant-time compare)."""
        expected = self._tokens.get(account_sid)
        if expected is None:
            return None
        if hmac.compare_digest(expected.encode("utf-8", "surrogateescape"), token.encode("utf-8", "surrogateescape")):
            return account_sid
        return None

    def token_for(self, account_sid: str) -> str:
        return self._tokens[account_sid]

    def may_act_for(self, requester: str, target: str) -> bool:
        """The documented rule for AccountSid: the requester itself or one of its subaccounts."""
        return target == requester or target in self.children.get(requester, set())

    # ------------------------------------------------------------------ lookups
    def _resolve(self, account: str, ref: str) -> _Sim:
        """A Sim of ``account`` by SID or unique name; 404 (never 403) for anything else."""
        sim = self._own(account, ref)
        if sim is not None:
            return sim
        elsewhere = self._anywhere(ref)
        if elsewhere is not None:
            if "other-account-visible" in self.faults:
                return elsewhere
            if "forbidden-not-404" in self.faults:
                raise ApiError(403, 20403, f"Sim {ref} belongs to another account")
        raise not_found(f"The requested resource /v1/Sims/{ref} was not found")

    def _own(self, account: str, ref: str) -> _Sim | None:
        if SIM_SID.match(ref):
            sim = self.sims.get(ref)
            return sim if sim is not None and sim.account == account else None
        sids = self.names.get((account, ref)) if "unique-name-not-addressable" not in self.faults else None
        if sids:
            return self.sims[min(sids, key=lambda s: self.sims[s].seq)]
        return None

    def _anywhere(self, ref: str) -> _Sim | None:
        if SIM_SID.match(ref):
            return self.sims.get(ref)
        for (_, name), sids in self.names.items():
            if name == ref and sids:
                return self.sims[next(iter(sids))]
        return None

    def _fleet(self, account: str, ref: str) -> str | None:
        """The SID of a fleet of ``account`` given by SID or unique name, or None."""
        if FLEET_SID.match(ref):
            fleet = self.fleets.get(ref)
            return fleet.sid if fleet is not None and fleet.account == account else None
        return self.fleet_names.get((account, ref))

    # ------------------------------------------------------------------ operations
    def register(self, account: str, iccid: str, code: str) -> SimView:
        """Claim a registrable card for ``account``: a new Sim with status new and no fleet."""
        with self.lock:
            if iccid in self.by_iccid:
                raise conflict(f"Iccid {iccid} is already registered to a Sim")
            card = self.cards.get(iccid)
            if card is None:
                raise not_found(f"No registrable SIM card has Iccid {iccid}")
            if not hmac.compare_digest(card.registration_code, code):
                raise bad_request(f"RegistrationCode does not match the SIM card with Iccid {iccid}")
            del self.cards[iccid]
            now = self.clock.now()
            sim = _Sim(
                seq=next(self._seq),
                sid=self._new_sid(),
                account=account,
                iccid=iccid,
                status="new",
                unique_name=None,
                fleet=None,
                date_created=now,
                date_updated=now,
            )
            self._insert(sim)
            return sim.view()

    def _new_sid(self) -> str:
        while True:
            sid = "HS" + secrets.token_hex(16)
            if sid not in self.sims:
                return sid

    def fetch(self, account: str, ref: str) -> SimView:
        with self.lock:
            return self._resolve(account, ref).view()

    def list_page(self, account: str, query: ListQuery) -> PageResult:
        """One page of the account's Sims matching the filters (see the module docstring)."""
        with self.lock:
            candidates, keep = self._candidates(account, query)
            size = 50 if "ignore-page-size" in self.faults else query.page_size
            direction, key = _parse_token(query.page_token)
            if direction == "B":
                end = bisect.bisect_left(candidates, key)
                found = _scan(candidates, range(end - 1, -1, -1), keep, size + 1)
                has_previous = len(found) > size
                found = list(reversed(found[:size]))
                has_next = bool(_scan(candidates, range(end, len(candidates)), keep, 1))
            else:
                if direction == "A":
                    find = bisect.bisect_left if "page-repeats-item" in self.faults else bisect.bisect_right
                    start = find(candidates, key)
                else:
                    start = 0
                found = _scan(candidates, range(start, len(candidates)), keep, size + 1)
                has_next = len(found) > size
                found = found[:size]
                has_previous = bool(_scan(candidates, range(start - 1, -1, -1), keep, 1))
            sims = [self.by_seq[seq].view() for seq in found]
            next_token = f"PA{found[-1]:x}" if found and has_next else None
            if found and not has_next and "no-null-next-on-last-page" in self.faults:
                next_token = f"PA{found[-1]:x}"
            previous_token = f"PB{found[0]:x}" if found and has_previous else None
            return PageResult(sims=sims, next_token=next_token, previous_token=previous_token)

    def _candidates(self, account: str, query: ListQuery) -> tuple[list[int], Callable[[int], bool] | None]:
        """The smallest sorted key list that holds every match, and a test for the rest (None: all match)."""
        tests: list[Callable[[_Sim], bool]] = []
        lists: list[list[int]] = []
        fleet_sid = None
        if query.fleet is not None and "ignore-fleet-filter" not in self.faults:
            fleet_sid = self._fleet(account, query.fleet)
            if fleet_sid is None:
                raise not_found(f"Fleet {query.fleet} was not found")
            lists.append(self._keys(("f", account, fleet_sid)))
            tests.append(lambda sim: sim.fleet == fleet_sid)
        status = query.status if "ignore-status-filter" not in self.faults else None
        if status is not None:
            lists.append(self._keys(("s", account, status)))
            tests.append(lambda sim: sim.shown_status == status)
        if query.iccid is not None:
            sid = self.by_iccid.get(query.iccid)
            sim = self.sims.get(sid) if sid else None
            match = [sim.seq] if sim is not None and sim.account == account else []
            if match and "iccid-filter-returns-two" in self.faults:
                others = [k for k in self._keys(("a", account))[:2] if k != match[0]]
                return sorted(match + others[:1]), None
            lists.append(match)
            tests.append(lambda sim: sim.iccid == query.iccid)
        if not lists:
            if "list-shows-other-accounts" in self.faults:
                return sorted(self.by_seq), None
            return self._keys(("a", account)), None
        lists.sort(key=len)

        def keep(seq: int) -> bool:
            sim = self.by_seq[seq]
            return sim.account == account and all(test(sim) for test in tests)

        return lists[0], keep

    def _keys(self, key: tuple) -> list[int]:
        entry = self.index.get(key)
        return entry.keys if entry is not None else []

    def update(self, account: str, ref: str, request: UpdateRequest) -> tuple[SimView, int, list[Completion]]:
        """Apply an update; return the Sim, 200 (done) or 202 (scheduled), and callbacks due now.

        Everything is validated before anything changes, so a refused update changes nothing.
        """
        with self.lock:
            sim = self._for_update(account, ref, request)
            if sim.pending is not None:
                raise conflict(
                    f"Sim {sim.sid} has an update in progress (status scheduled); retry after it completes"
                )
            target_account = self._check_move(account, sim, request)
            moving = target_account != sim.account
            fleet = self._check_fleet(sim, request, target_account, moving)
            name = self._check_name(sim, request, target_account)
            status = request.status

            sync: dict[str, object] = {}
            later_status: str | None = None
            later_fleet: object = UNSET
            if moving:
                sync["account"] = target_account
            if name is not UNSET and name != sim.unique_name:
                sync["unique_name"] = name
            if status is not UNSET and status != sim.status:
                kind = self._transition(sim.status, status)
                if kind == "async":
                    later_status = status
                else:
                    sync["status"] = status
                    if status == "ready":
                        sync["ready_since"] = self.clock.now()
            if fleet is not UNSET and fleet != sim.fleet:
                if sim.status in ("ready", "active"):
                    later_fleet = fleet
                else:
                    sync["fleet"] = fleet

            if sync:
                self._change(sim, **sync)
                self._touch(sim)
            if later_status is None and later_fleet is UNSET:
                self._maybe_auto_activate(sim)
                return sim.view(), 200, []

            final_status = later_status or sim.status
            if "skip-scheduled" in self.faults:
                changes: dict[str, object] = {"status": final_status}
                if later_fleet is not UNSET:
                    changes["fleet"] = later_fleet
                if final_status == "ready":
                    changes["ready_since"] = self.clock.now()
                self._change(sim, **changes)
                self._touch(sim)
                done = [Completion(sim.view(), request.callback_url, request.callback_method)]
                return sim.view(), 200, done if request.callback_url else []

            pending = _Pending(
                status=final_status,
                fleet=later_fleet,
                callback_url=request.callback_url,
                callback_method=request.callback_method,
                due=time.monotonic() + self.async_delay,
                ticket=next(self._tickets),
            )
            changes = {"pending": pending}
            if later_fleet is not UNSET and "fleet-changes-while-scheduled" in self.faults:
                changes["fleet"] = later_fleet
            self._change(sim, **changes)
            self._touch(sim)
            heapq.heappush(self.queue, (pending.due, pending.ticket, sim.sid))
            self.changed.notify_all()
            return sim.view(), 202, []

    def _for_update(self, account: str, ref: str, request: UpdateRequest) -> _Sim:
        """The Sim to update; a primary may reach a subaccount's Sim (by SID) to move it."""
        sim = self._own(account, ref)
        if sim is not None:
            return sim
        if request.account_sid is not UNSET and SIM_SID.match(ref):
            candidate = self.sims.get(ref)
            if candidate is not None and candidate.account in self.children.get(account, set()):
                return candidate
        return self._resolve(account, ref)

    def _check_move(self, account: str, sim: _Sim, request: UpdateRequest) -> str:
        target = request.account_sid
        if target is UNSET or target == sim.account:
            return sim.account
        assert isinstance(target, str)
        allowed = self.may_act_for(account, target)
        if not allowed and "move-to-unrelated-allowed" in self.faults:
            allowed = target in self.accounts
        if not allowed:
            raise bad_request(
                f"AccountSid {target} is neither the requesting account nor one of its subaccounts"
            )
        if sim.status != "new" and "move-non-new-allowed" not in self.faults:
            raise bad_request(
                f"AccountSid can only be changed while the Sim's status is new (it is {sim.status})"
            )
        if sim.fleet is not None and request.fleet is UNSET and "move-keeps-foreign-fleet" not in self.faults:
            raise bad_request(
                "Fleet is required when moving a Sim that is assigned to a Fleet: give a Fleet of "
                f"account {target} or an empty Fleet to remove it"
            )
        return target

    def _check_fleet(self, sim: _Sim, request: UpdateRequest, target_account: str, moving: bool) -> object:
        if request.fleet is UNSET or request.fleet is None:
            return request.fleet
        assert isinstance(request.fleet, str)
        fleet_sid = self._fleet(target_account, request.fleet)
        if fleet_sid is None:
            if moving:
                raise bad_request(f"Fleet {request.fleet} is not a Fleet of account {target_account}")
            raise not_found(f"Fleet {request.fleet} was not found")
        return fleet_sid

    def _check_name(self, sim: _Sim, request: UpdateRequest, target_account: str) -> object:
        name = request.unique_name
        effective = sim.unique_name if name is UNSET else name
        if effective is not None and "duplicate-unique-name-allowed" not in self.faults:
            holders = self.names.get((target_account, effective), set()) - {sim.sid}
            if holders:
                raise conflict(f"UniqueName {effective!r} is already used by another Sim of account {target_account}")
        return name

    def _transition(self, current: str, target: str) -> str:
        """"sync" or "async" for an allowed status change; 400 for a forbidden one."""
        if target == "new":
            if "allow-return-to-new" in self.faults:
                return "sync"
            raise bad_request("Status cannot be set back to new")
        if (current, target) in (("new", "ready"), ("new", "active"), ("active", "inactive"),
                                 ("inactive", "active"), ("ready", "inactive")):
            return "async"
        if (current, target) == ("ready", "active"):
            return "sync"
        if (current, target) == ("active", "ready") and "allow-ready-from-active" in self.faults:
            return "sync"
        if target == "ready":
            raise bad_request(f"Status can only be set to ready while the Sim is new (it is {current})")
        raise bad_request(f"Status cannot change from {current} to {target}")

    # ------------------------------------------------------------------ the update queue
    def next_due(self) -> float | None:
        """Monotonic time of the earliest queued update, or None."""
        with self.lock:
            while self.queue and not self._live(self.queue[0]):
                heapq.heappop(self.queue)
            return self.queue[0][0] if self.queue else None

    def _live(self, entry: tuple[float, int, str]) -> bool:
        sim = self.sims.get(entry[2])
        return sim is not None and sim.pending is not None and sim.pending.ticket == entry[1]

    def complete_due(self, *, everything: bool = False) -> tuple[int, list[Completion]]:
        """Finish every queued update whose delay has passed (all of them with ``everything``).

        Returns how many finished, and the callbacks they asked for.
        """
        finished = 0
        done: list[Completion] = []
        with self.lock:
            now = time.monotonic()
            while self.queue and (everything or self.queue[0][0] <= now):
                entry = heapq.heappop(self.queue)
                if not self._live(entry):
                    continue
                sim = self.sims[entry[2]]
                pending = sim.pending
                assert pending is not None
                changes: dict[str, object] = {"pending": None, "status": pending.status}
                if pending.fleet is not UNSET:
                    changes["fleet"] = pending.fleet
                if pending.status == "ready" and sim.status != "ready":
                    changes["ready_since"] = self.clock.now()
                self._change(sim, **changes)
                self._touch(sim)
                self._maybe_auto_activate(sim)
                finished += 1
                if pending.callback_url:
                    done.append(Completion(sim.view(), pending.callback_url, pending.callback_method))
        return finished, done

    # ------------------------------------------------------------------ ready -> active
    def _maybe_auto_activate(self, sim: _Sim) -> bool:
        if "no-auto-activate" in self.faults or sim.status != "ready" or sim.pending is not None:
            return False
        due = sim.ready_since is not None and self.clock.now() >= add_months(sim.ready_since, AUTO_ACTIVATE_MONTHS)
        if sim.data_kb >= AUTO_ACTIVATE_DATA_KB or sim.sms_commands >= AUTO_ACTIVATE_SMS or due:
            self._change(sim, status="active")
            self._touch(sim)
            return True
        return False

    def sweep_auto_activation(self) -> list[str]:
        """Apply the three-months rule to every ready Sim; return the SIDs that became active."""
        with self.lock:
            ready = [
                self.by_seq[seq]
                for key, keys in self.index.items()
                if key[0] == "s" and key[2] == "ready"
                for seq in list(keys.keys)
            ]
            return [sim.sid for sim in ready if self._maybe_auto_activate(sim)]

    def advance_clock(self, seconds: float) -> list[str]:
        """Move the mock clock forward; return the SIDs that became active because of it."""
        with self.lock:
            self.clock.advance(seconds)
            return self.sweep_auto_activation()

    def record_usage(
        self, account: str, ref: str, *, data_kb: float = 0, sms_commands: int = 0, ready_seconds: float = 0
    ) -> dict:
        """Count data use and SMS Commands of a ready or active Sim (may make it active).

        ``ready_seconds`` ages this one Sim's time in ready (as if it had become ready that much
        earlier), so the three-months rule can be tested on one Sim without moving the whole
        mock's clock, which would activate every other ready Sim too.
        """
        with self.lock:
            sim = self._resolve(account, ref)
            if sim.shown_status not in ("ready", "active"):
                raise conflict(f"Sim {sim.sid} is {sim.shown_status}: only a ready or active Sim uses the network")
            sim.data_kb += data_kb
            sim.sms_commands += sms_commands
            if ready_seconds and sim.ready_since is not None:
                sim.ready_since -= timedelta(seconds=ready_seconds)
            activated = self._maybe_auto_activate(sim)
            return {
                "sim": sim.view(),
                "data_kb": sim.data_kb,
                "sms_commands": sim.sms_commands,
                "auto_activated": activated,
            }

    # ------------------------------------------------------------------ seeding
    def seed_fleet(self, account: str, unique_name: str | None = None, sid: str | None = None) -> Fleet:
        """Add a fleet to an account (a fresh SID unless one is given)."""
        with self.lock:
            sid = sid or "HF" + secrets.token_hex(16)
            if not FLEET_SID.match(sid) or sid in self.fleets:
                raise bad_request(f"Fleet sid {sid} is malformed or already exists")
            if unique_name is not None and (not unique_name or (account, unique_name) in self.fleet_names):
                raise conflict(f"Fleet unique_name {unique_name!r} is empty or already used in account {account}")
            fleet = Fleet(sid=sid, account=account, unique_name=unique_name)
            self._add_fleet(fleet)
            return fleet

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
        if status not in ("new", "ready", "active", "inactive"):
            raise bad_request(f"status {status!r} is not one of new, ready, active, inactive")
        with self.lock:
            fleet_sid = None
            if fleet is not None:
                fleet_sid = self._fleet(account, fleet)
                if fleet_sid is None:
                    raise not_found(f"Fleet {fleet} was not found")
            given = list(iccids) if iccids is not None else None
            if given is not None and len(given) != count:
                raise bad_request("iccids must list exactly count ICCIDs")
            names = [f"{name_prefix}{n}" for n in range(1, count + 1)] if name_prefix else [None] * count
            for name in names:
                if name is not None and (len(name) > 64 or SIM_SID.match(name) or self.names.get((account, name))):
                    raise conflict(f"unique name {name!r} is too long, SID-shaped or already used")
            if given is not None:
                for iccid in given:
                    if not ICCID.match(iccid) or iccid in self.by_iccid or iccid in self.cards:
                        raise conflict(f"iccid {iccid!r} is malformed or already known")
            now = self.clock.now()
            sids = []
            for n in range(count):
                iccid = given[n] if given is not None else self._fresh_iccid()
                sim = _Sim(
                    seq=next(self._seq),
                    sid=self._new_sid(),
                    account=account,
                    iccid=iccid,
                    status=status,
                    unique_name=names[n],
                    fleet=fleet_sid,
                    date_created=now,
                    date_updated=now,
                    ready_since=now if status == "ready" else None,
                )
                self._insert(sim)
                sids.append(sim.sid)
            return sids

    def _fresh_iccid(self) -> str:
        while True:
            iccid = f"89883079{next(self._iccid_counter):012d}"
            if iccid not in self.by_iccid and iccid not in self.cards:
                return iccid

    def add_cards(self, cards: Iterable[RegistrableCard]) -> list[RegistrableCard]:
        """Make more SIM cards registrable (all or none)."""
        cards = list(cards)
        with self.lock:
            seen: set[str] = set()
            for card in cards:
                if not ICCID.match(card.iccid) or not REGISTRATION_CODE.match(card.registration_code):
                    raise bad_request(
                        f"card {card.iccid!r}: iccid must be 18-22 digits and registration_code 10 letters or digits"
                    )
                if card.iccid in self.by_iccid or card.iccid in self.cards or card.iccid in seen:
                    raise conflict(f"Iccid {card.iccid} is already known to the mock")
                seen.add(card.iccid)
            for card in cards:
                self.cards[card.iccid] = card
            return cards

    def new_card(self) -> RegistrableCard:
        """A fresh registrable card with a random 10-character code."""
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        with self.lock:
            iccid = self._fresh_iccid()
            card = RegistrableCard(iccid=iccid, registration_code="".join(secrets.choice(alphabet) for _ in range(10)))
            self.cards[iccid] = card
            return card

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {"sims": len(self.sims), "fleets": len(self.fleets), "registrable": len(self.cards),
                    "scheduled": sum(1 for s in self.sims.values() if s.pending)}


def _parse_token(token: str | None) -> tuple[str | None, int]:
    if token is None:
        return None, 0
    match = _TOKEN.match(token)
    if not match:
        raise bad_request(f"PageToken {token!r} is not a token this API issued")
    return match.group(1), int(match.group(2), 16)


def _scan(keys: list[int], positions: range, keep: Callable[[int], bool] | None, limit: int) -> list[int]:
    """Up to ``limit`` keys at ``positions`` (in that order) that pass ``keep`` (None: every key does)."""
    if keep is None:  # an unfiltered list: a slice, without a call per key
        return [keys[i] for i in positions[:limit]]
    out: list[int] = []
    for i in positions:
        if keep(keys[i]):
            out.append(keys[i])
            if len(out) >= limit:
                break
    return out
