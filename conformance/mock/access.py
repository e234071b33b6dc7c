"""Who may see and change which Sim: credentials, the account tree, and finding a Sim or fleet.

Twilio answers 404 (never 403) for another account's Sim, so a caller cannot learn which
SIDs exist elsewhere; every lookup of a Sim by the API goes through :func:`resolve`, which
is therefore also where the faults that break that rule act. A unique name addresses a Sim
only within its account.

Plain functions over :class:`~conformance.mock.tables.Tables`; the caller holds the lock
(the credentials check needs none: tokens never change).
"""

from __future__ import annotations

import hmac
from urllib.parse import quote

from conformance.mock.errors import ApiError, not_found
from conformance.mock.model import UNSET, UpdateRequest
from conformance.mock.records import SimRecord
from conformance.mock.tables import Tables
from conformance.profile import FLEET_SID, SIM_SID


def authenticate(t: Tables, account_sid: str, token: str) -> str | None:
    """The account SID if the token is right, else None (constant-time compare)."""
    expected = t.tokens.get(account_sid)
    if expected is None:
        return None
    if hmac.compare_digest(expected.encode("utf-8", "surrogateescape"), token.encode("utf-8", "surrogateescape")):
        return account_sid
    # planted faults: credentials checked loosely, each a way a hand-written check goes wrong
    if "token-prefix-accepted" in t.faults and token and (expected.startswith(token) or token.startswith(expected)):
        return account_sid
    if "token-case-insensitive" in t.faults and token.lower() == expected.lower():
        return account_sid
    if "any-accounts-token-accepted" in t.faults and token in t.tokens.values():
        return account_sid
    return None


def may_act_for(t: Tables, requester: str, target: str) -> bool:
    """The documented rule for AccountSid: the requester itself or one of its subaccounts."""
    return target == requester or target in t.children.get(requester, set())


def resolve(t: Tables, account: str, ref: str) -> SimRecord:
    """A Sim of ``account`` by SID or unique name; 404 (never 403) for anything else."""
    sim = own(t, account, ref)
    if sim is not None:
        return sim
    elsewhere = anywhere(t, ref)
    if elsewhere is not None:
        if "other-account-visible" in t.faults:
            return elsewhere
        if "forbidden-not-404" in t.faults:
            raise ApiError(403, 20403, f"Sim {ref} belongs to another account")
    raise not_found(f"The requested resource /v1/Sims/{ref} was not found")


def own(t: Tables, account: str, ref: str) -> SimRecord | None:
    """The account's own Sim with this SID or unique name (the oldest, were a name ever shared), or None."""
    if t.faults:
        ref = _misread(t, ref)
    if SIM_SID.match(ref):
        sim = t.sims.get(ref)
        if sim is not None and "registered-sim-not-fetchable" in t.faults and sim.seq > len(t.profile.sims):
            return None  # planted: only the Sims loaded at start are found by SID
        return sim if sim is not None and sim.account == account else None
    sids = t.names.get((account, ref)) if "unique-name-not-addressable" not in t.faults else None
    if not sids and "unique-name-index-stale" in t.faults:
        sids = {s.sid for s in t.sims.values() if s.account == account and s.unique_name == ref}
    if not sids and "unique-name-prefix-lookup" in t.faults and ref:
        sids = next((s for (a, name), s in t.names.items() if a == account and s and name.startswith(ref)), None)
    if sids:
        return t.sims[min(sids, key=lambda s: t.sims[s].seq)]
    return None


def _misread(t: Tables, ref: str) -> str:
    """The path's SID or name as the planted faults of addressing read it."""
    if "sid-read-by-first-34-characters" in t.faults and len(ref) > 34 and SIM_SID.match(ref[:34]):
        ref = ref[:34]
    if "unique-name-lookup-trimmed" in t.faults:
        ref = ref.strip()
    if "unique-name-path-not-decoded" in t.faults and not SIM_SID.match(ref):
        ref = quote(ref, safe="")  # looked up as it arrived in the path, percent-encoded
    return ref


def anywhere(t: Tables, ref: str) -> SimRecord | None:
    """A Sim of any account with this SID or unique name, or None (only to decide how to refuse)."""
    if SIM_SID.match(ref):
        return t.sims.get(ref)
    for (_, name), sids in t.names.items():
        if name == ref and sids:
            return t.sims[next(iter(sids))]
    return None


def for_update(t: Tables, account: str, ref: str, request: UpdateRequest) -> SimRecord:
    """The Sim to update; a primary may reach a subaccount's Sim (by SID) to move it."""
    sim = own(t, account, ref)
    if sim is not None:
        return sim
    if request.account_sid is not UNSET and SIM_SID.match(ref):
        candidate = t.sims.get(ref)
        if candidate is not None and candidate.account in t.children.get(account, set()):
            return candidate
    return resolve(t, account, ref)


def fleet_sid(t: Tables, account: str, ref: str) -> str | None:
    """The SID of a fleet of ``account`` given by SID or unique name, or None."""
    if FLEET_SID.match(ref):
        fleet = t.fleets.get(ref)
        return fleet.sid if fleet is not None and fleet.account == account else None
    return t.fleet_names.get((account, ref))
