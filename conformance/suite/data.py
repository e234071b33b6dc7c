"""Test data for scenarios: which SIM, card or fleet of the target profile a scenario may use.

Scenarios never depend on each other's data: a scenario that changes a SIM takes it
exclusively (no other scenario of the run gets it), and under pytest-xdist each worker takes
only its own share of the profile. Before a SIM is handed out its live state is fetched, so a
target whose state drifted from the profile (an earlier run, a manual change) yields a clear
skip, not a false failure. What a scenario changes is remembered so the run can put unique
names and fleets back afterwards where the API allows it.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance.profile import Profile, RegistrableCard, SimSeed


def worker_share(config=None) -> tuple[int, int]:
    """(index, count) of this pytest-xdist worker in the current session; (0, 1) without xdist.

    Read from the session's own ``workerinput``, never from the environment: a run started from
    inside another xdist worker (the kit's own tests do that) inherits PYTEST_XDIST_* variables
    that do not describe it.
    """
    workerinput = getattr(config, "workerinput", None) if config is not None else None
    if not workerinput:
        return 0, 1
    count = int(workerinput.get("workercount", 1) or 1)
    try:
        index = int(str(workerinput.get("workerid", "gw0")).removeprefix("gw"))
    except ValueError:
        index = 0
    return index % max(count, 1), max(count, 1)


@dataclass
class Original:
    """A SIM as it was before the run touched it."""

    sid: str
    account: str
    unique_name: str | None
    fleet_sid: str | None
    status: str


#: Where the xdist workers of a run claim the profile's SIMs and cards (inside the report directory;
#: removed before and after the run by whoever runs it: the CLI's runner, the plugin's session).
CLAIMS_DIR = ".claims"


@dataclass
class DataPool:
    profile: Profile
    share: tuple[int, int] = (0, 1)
    _used: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    originals: dict[str, Original] = field(default_factory=dict)
    _reserved: set[str] | None = None
    claims: Path | None = None
    """A directory all pytest-xdist workers of the run share: an item is taken by creating its
    file there (first come, first served), so no worker runs out while another has spares.
    None: a fixed share per worker (``share``), for sessions without a shared report directory."""

    @property
    def reserved(self) -> set[str]:
        """SIMs never handed out for changes: the first two per (account, status) and per fleet.

        Read-only scenarios compare lists against these, so a walk's completeness is checked
        on data that no concurrent scenario (or xdist worker) can be changing.
        """
        if self._reserved is None:
            counts: dict[tuple, int] = {}
            reserved = set()
            for sim in self.profile.sims:
                for key in ((sim.account, sim.status), (sim.account, "fleet", sim.fleet)):
                    if key[-1] is None:
                        continue
                    if counts.get(key, 0) < 2:
                        counts[key] = counts.get(key, 0) + 1
                        reserved.add(sim.sid)
            self._reserved = reserved
        return self._reserved

    def reserved_sims(self, account: str, status: str | None = None, fleet: str | None = None) -> list[SimSeed]:
        return [
            s
            for s in self.profile.sims
            if s.sid in self.reserved
            and s.account == account
            and (status is None or s.status == status)
            and (fleet is None or s.fleet == fleet)
        ]

    def _mine(self, key: str) -> bool:
        """Whether this worker may take the item: any worker with shared claims, else a hash share."""
        if self.claims is not None:
            return True
        index, count = self.share
        return int(hashlib.sha1(key.encode()).hexdigest(), 16) % count == index

    def _claim_file(self, key: str) -> Path | None:
        return self.claims / hashlib.sha1(key.encode()).hexdigest() if self.claims is not None else None

    def _free(self, key: str) -> bool:
        """Not reserved, not taken by this worker, nor (with shared claims) by another one."""
        if key in self.reserved or key in self._used or not self._mine(key):
            return False
        claim = self._claim_file(key)
        return claim is None or not claim.exists()

    def _take(self, key: str) -> bool:
        """Take the item for this scenario if nobody has; True if it is now ours."""
        with self._lock:
            if key in self._used or not self._mine(key):
                return False
            claim = self._claim_file(key)
            if claim is not None:
                try:
                    claim.parent.mkdir(parents=True, exist_ok=True)
                    os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                except FileExistsError:
                    return False
            self._used.add(key)
            return True

    def sims(
        self, account: str, status: str | None = None, *, with_fleet: bool | None = None, named: bool | None = None
    ) -> list[SimSeed]:
        """Profile SIMs matching the filters (shared, read-only use)."""
        return list(self.profile.sims_by(account, status, with_fleet=with_fleet, named=named))

    def take_sim(
        self,
        client,
        account: str,
        status: str,
        *,
        with_fleet: bool | None = None,
        named: bool | None = None,
        why: str = "",
    ) -> dict[str, Any]:
        """Exclusively take a SIM of ``account`` now in ``status``; return its live representation.

        Skips the calling test (with the reason) when the profile has no unused SIM like that.
        """
        matching = self.profile.sims_by(account, status, with_fleet=with_fleet, named=named)
        free = [sim for sim in matching if self._free(sim.sid)]
        # When the scenario does not care, hand out SIMs of the more plentiful kind (with or
        # without a fleet) and without a name first, keeping the rarer ones for the scenarios
        # that need them (a fleetless inactive Sim for a refused activation, a fleeted new one
        # for an activation).
        fleeted = sum(1 for sim in free if sim.fleet is not None)
        prefer_fleet = fleeted > len(free) - fleeted
        candidates = sorted(
            matching,
            key=lambda sim: (
                (with_fleet is None and (sim.fleet is not None) != prefer_fleet),
                (named is None and sim.unique_name is not None),
            ),
        )
        drifted = []
        for sim in candidates:
            if sim.sid in self.reserved or not self._take(sim.sid):
                continue
            # with the response checks: a malformed answer here is the root cause of what follows
            exchange = client.get(f"/v1/Sims/{sim.sid}")
            live = exchange.json() if exchange.status == 200 and exchange.is_json else None
            if (
                not isinstance(live, dict)
                or live.get("status") != status
                or (with_fleet is not None and (live.get("fleet_sid") is not None) != with_fleet)
            ):
                drifted.append(sim.sid)
                continue
            self.originals.setdefault(
                sim.sid, Original(sim.sid, account, live.get("unique_name"), live.get("fleet_sid"), status)
            )
            return live
        describe = (
            f"{status} SIM of account {account}"
            + ("" if with_fleet is None else (" with a fleet" if with_fleet else " without a fleet"))
            + ("" if named is None else (" with a unique name" if named else " without a unique name"))
        )
        detail = f" ({len(drifted)} listed in the profile are no longer in that state on the target)" if drifted else ""
        pytest.skip(f"the profile has no unused {describe}{detail}{': ' + why if why else ''}")

    def take_any_sim(self, client, account: str, statuses: tuple[str, ...], *, why: str = "") -> dict[str, Any]:
        """Exclusively take a SIM in the first of ``statuses`` the profile has one unused of
        (for a scenario whose Sim only has to be its own: a probe that must be refused)."""
        for status in statuses[:-1]:
            try:
                return self.take_sim(client, account, status, why=why)
            except pytest.skip.Exception:
                continue
        return self.take_sim(client, account, statuses[-1], why=why)

    def take_card(self, account: str | None = None, *, client=None) -> RegistrableCard:
        """Exclusively take a registrable SIM card; skip when the profile has none left.

        With a client, a card already registered on the target (an earlier run used it) is
        passed over rather than reported as a failed registration.
        """
        cards = self.profile.registrable_for(account)
        registered = 0
        for card in cards:
            if not self._take(card.iccid):
                continue
            if client is not None:
                found = client.get("/v1/Sims", params={"Iccid": card.iccid}, check=False)
                sims = (
                    found.json().get("sims")
                    if found.status == 200 and found.is_json and isinstance(found.json(), dict)
                    else None
                )
                if isinstance(sims, list) and any(isinstance(s, dict) and s.get("iccid") == card.iccid for s in sims):
                    registered += 1
                    continue
            return card
        detail = f" ({registered} listed are already registered on the target)" if registered else ""
        pytest.skip(f"the profile has no unused registrable SIM card ([[registrable]] entries){detail}")

    def fleets(self, account: str) -> list:
        return list(self.profile.fleets_of(account))

    def need_fleets(self, account: str, count: int) -> list:
        fleets = self.fleets(account)
        if len(fleets) < count:
            pytest.skip(f"the profile lists {len(fleets)} fleet(s) of account {account}; this scenario needs {count}")
        return fleets
