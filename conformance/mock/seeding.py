"""Filling the store: the profile's initial state, and fleets and Sims added by tests.

The profile is the single description of what a target holds, and the runner reads the same
file, so the mock's initial state must be exactly the profile: its accounts, fleets, cards
and Sims, the Sims created one minute apart, the last a minute before the clock's start. Seeding adds
Sims directly, without registration, fast enough for 100,000 of them.

Plain functions over :class:`~conformance.mock.tables.Tables`; the caller holds the lock.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from conformance.mock import access
from conformance.mock.errors import bad_request, conflict, not_found
from conformance.mock.records import SimRecord
from conformance.mock.tables import Tables
from conformance.profile import FLEET_SID, ICCID, SIM_SID, Fleet

SIM_STATUSES = ("new", "ready", "active", "inactive")


def load_profile(t: Tables) -> None:
    """Fill emptied tables (``Tables.clear``) with the profile's accounts, fleets, cards and Sims."""
    profile = t.profile
    t.accounts = {a.sid: a for a in profile.accounts}
    for account in profile.accounts:
        if account.parent:
            t.children.setdefault(account.parent, set()).add(account.sid)
    for fleet in profile.fleets:
        t.add_fleet(fleet)
    t.cards = {c.iccid: c for c in profile.registrable}
    now = t.clock.now()
    count = len(profile.sims)
    for i, seed in enumerate(profile.sims):
        created = now - timedelta(minutes=count - i)
        t.insert(
            SimRecord(
                seq=next(t.seq),
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
        )


def seed_fleet(t: Tables, account: str, unique_name: str | None = None, sid: str | None = None) -> Fleet:
    """Add a fleet to an account (a fresh SID unless one is given)."""
    sid = sid or "HF" + secrets.token_hex(16)
    if not FLEET_SID.match(sid) or sid in t.fleets:
        raise bad_request(f"Fleet sid {sid} is malformed or already exists")
    if unique_name is not None and (not unique_name or (account, unique_name) in t.fleet_names):
        raise conflict(f"Fleet unique_name {unique_name!r} is empty or already used in account {account}")
    fleet = Fleet(sid=sid, account=account, unique_name=unique_name)
    t.add_fleet(fleet)
    return fleet


def seed_sims(
    t: Tables,
    account: str,
    count: int = 1,
    *,
    status: str = "new",
    fleet: str | None = None,
    name_prefix: str | None = None,
    iccids: Iterable[str] | None = None,
) -> list[str]:
    """Add ``count`` Sims to an account directly (no registration); return their SIDs.

    Names are ``{name_prefix}{n}``; ICCIDs are fresh unless given. A ready or active Sim seeded
    without ``fleet`` joins the account's first fleet (Twilio allows no activated Sim without
    one). Everything is checked before the first Sim is added (all or none). Keys are appended,
    never re-sorted.
    """
    if status not in SIM_STATUSES:
        raise bad_request(f"status {status!r} is not one of new, ready, active, inactive")
    fleet_sid = None
    if fleet is not None:
        fleet_sid = access.fleet_sid(t, account, fleet)
        if fleet_sid is None:
            raise not_found(f"Fleet {fleet} was not found")
    elif status in ("ready", "active"):
        # Twilio keeps every ready or active Sim in a Fleet (errors 83007, 83008): without one
        # given, a seeded activated Sim joins the account's first fleet
        fleet_sid = next((f.sid for f in t.fleets.values() if f.account == account), None)
        if fleet_sid is None:
            raise bad_request(
                f"a {status} Sim must belong to a Fleet (Twilio error 83007): give fleet=, or seed a fleet first"
            )
    given = list(iccids) if iccids is not None else None
    if given is not None and len(given) != count:
        raise bad_request("iccids must list exactly count ICCIDs")
    names = [f"{name_prefix}{n}" for n in range(1, count + 1)] if name_prefix else [None] * count
    for name in names:
        if name is not None and (len(name) > 64 or SIM_SID.match(name) or t.names.get((account, name))):
            raise conflict(f"unique name {name!r} is too long, SID-shaped or already used")
    if given is not None:
        for iccid in given:
            if not ICCID.match(iccid) or iccid in t.by_iccid or iccid in t.cards:
                raise conflict(f"iccid {iccid!r} is malformed or already known")
    now = t.clock.now()
    sids = []
    for n in range(count):
        iccid = given[n] if given is not None else t.fresh_iccid()
        sim = SimRecord(
            seq=next(t.seq),
            sid=t.new_sid(),
            account=account,
            iccid=iccid,
            status=status,
            unique_name=names[n],
            fleet=fleet_sid,
            date_created=now,
            date_updated=now,
            ready_since=now if status == "ready" else None,
        )
        t.insert(sim)
        sids.append(sim.sid)
    return sids
