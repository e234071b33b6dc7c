"""Lists: the filters of ``GET /v1/Sims`` and keyset pagination over the store's indexes.

A page token names the creation sequence number to continue after ("PA") or before ("PB").
Each filter has its own sorted index (per account, per account + shown status, per account
+ fleet), so a page costs one bisection of the smallest matching index whatever its depth,
and walking the next links returns every matching Sim exactly once, in creation order, even
while other Sims are added. ``Page`` only echoes client state; it never moves the window.

Under the ``opaque-page-tokens`` variation a token is instead a sealed blob (:func:`seal`): a
fresh random nonce, the direction and key encrypted with a keystream, and a MAC, all in
unpadded base64url (50 characters, different every time it is issued); only tokens sealed
by this process are accepted, and the plain ``PA``/``PB`` form is refused.

Plain functions over :class:`~conformance.mock.tables.Tables`; the caller holds the lock.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import hmac
import os
import re
from collections.abc import Callable

from conformance.mock import access
from conformance.mock.errors import bad_request, not_found
from conformance.mock.model import ListQuery, PageResult
from conformance.mock.records import SimRecord
from conformance.mock.tables import Tables
from conformance.profile import FLEET_SID

_TOKEN = re.compile(r"^P([AB])([0-9a-f]{1,16})$")
_PLUS_TOKEN = re.compile(r"^P([AB])\+([0-9a-f]{1,16})$")
#: The key of the sealed tokens of the ``opaque-page-tokens`` variation (one per process).
_SEAL_KEY = os.urandom(32)
_NONCE_BYTES = 12
_TAG_BYTES = 16
_SEALED = re.compile(r"^[A-Za-z0-9_-]{50}$")


def list_page(t: Tables, account: str, query: ListQuery) -> PageResult:
    """One page of the account's Sims matching the filters (see the module docstring)."""
    faults = t.faults
    candidates, keep = candidates_for(t, account, query)
    size = 50 if "ignore-page-size" in faults else query.page_size
    if "page-of-50-holds-100" in faults and size == 50:
        size = 100
    direction, key = parse_token(query.page_token, faults)
    next_key = None
    if direction == "B":
        end = bisect.bisect_left(candidates, key)
        if "previous-page-skips-back-two" in faults:
            skipped = scan(candidates, range(end - 1, -1, -1), keep, size)
            end = bisect.bisect_left(candidates, skipped[-1]) if skipped else end
        found = scan(candidates, range(end - 1, -1, -1), keep, size + 1)
        has_previous = len(found) > size
        found = list(reversed(found[:size]))
        has_next = bool(scan(candidates, range(end, len(candidates)), keep, 1))
    else:
        if direction == "A":
            find = bisect.bisect_left if "page-repeats-item" in faults else bisect.bisect_right
            start = find(candidates, key)
            if "next-page-skips-page" in faults:
                skipped = scan(candidates, range(start, len(candidates)), keep, size)
                start = bisect.bisect_right(candidates, skipped[-1]) if skipped else start
        else:
            start = 0
        found = scan(candidates, range(start, len(candidates)), keep, size + 1)
        has_next = len(found) > size or ("empty-page-after-full-last-page" in faults and len(found) == size)
        found = found[:size]
        has_previous = bool(scan(candidates, range(start - 1, -1, -1), keep, 1))
        if direction is None and has_next and "first-page-one-short" in faults:
            next_key, found = found[-1], found[:-1]
        if not has_next and found and "last-page-drops-last-sim" in faults:
            found = found[:-1]
    sims = [t.by_seq[seq].view() for seq in found]
    if next_key is None and found and has_next:
        next_key = found[-1]
    next_token = issue_token("A", next_key, faults) if next_key is not None else None
    if found and not has_next and "no-null-next-on-last-page" in faults:
        next_token = issue_token("A", found[-1], faults)
    previous_token = issue_token("B", found[0], faults) if found and has_previous else None
    return PageResult(sims=sims, next_token=next_token, previous_token=previous_token)


def issue_token(direction: str, key: int, faults: frozenset[str]) -> str:
    """The token of the page after ("A") or before ("B") creation sequence number ``key``."""
    if "opaque-page-tokens" in faults:  # a benign variation
        return seal(direction, key)
    if "page-token-with-plus" in faults:  # written raw into the links by render.list_url
        return f"P{direction}+{key:x}"
    return f"P{direction}{key:x}"


def seal(direction: str, key: int) -> str:
    """An opaque token for (direction, key): nonce, encrypted payload and MAC, in base64url."""
    nonce = os.urandom(_NONCE_BYTES)
    payload = direction.encode("ascii") + key.to_bytes(8, "big")
    stream = hmac.new(_SEAL_KEY, b"stream" + nonce, hashlib.sha256).digest()
    sealed = bytes(a ^ b for a, b in zip(payload, stream, strict=False))
    tag = hmac.new(_SEAL_KEY, b"tag" + nonce + sealed, hashlib.sha256).digest()[:_TAG_BYTES]
    return base64.urlsafe_b64encode(nonce + sealed + tag).decode("ascii").rstrip("=")


def unseal(token: str) -> tuple[str, int] | None:
    """(direction, key) of a token :func:`seal` issued in this process; None for anything else."""
    if not _SEALED.match(token):
        return None
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    nonce, sealed, tag = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:-_TAG_BYTES], raw[-_TAG_BYTES:]
    expected = hmac.new(_SEAL_KEY, b"tag" + nonce + sealed, hashlib.sha256).digest()[:_TAG_BYTES]
    if len(sealed) != 9 or not hmac.compare_digest(tag, expected):
        return None
    stream = hmac.new(_SEAL_KEY, b"stream" + nonce, hashlib.sha256).digest()
    payload = bytes(a ^ b for a, b in zip(sealed, stream, strict=False))
    direction = chr(payload[0])
    return (direction, int.from_bytes(payload[1:], "big")) if direction in ("A", "B") else None


def candidates_for(t: Tables, account: str, query: ListQuery) -> tuple[list[int], Callable[[int], bool] | None]:
    """The smallest sorted key list that holds every match, and a test for the rest (None: all match)."""
    faults = t.faults
    tests: list[Callable[[SimRecord], bool]] = []
    lists: list[list[int]] = []
    fleet_sid = None
    later = query.page_token is not None
    if (
        query.fleet is not None
        and "ignore-fleet-filter" not in faults
        and not (later and "fleet-filter-first-page-only" in faults)
    ):
        fleet_sid = _planted_fleet(t, account, query.fleet) if faults else None
        fleet_sid = fleet_sid or access.fleet_sid(t, account, query.fleet)
        if fleet_sid is None:
            raise not_found(f"Fleet {query.fleet} was not found")
        lists.append(t.keys(("f", account, fleet_sid)))
        tests.append(lambda sim: sim.fleet == fleet_sid)
    status = query.status if "ignore-status-filter" not in faults else None
    if query.page_token and "status-filter-first-page-only" in faults:
        status = None
    if status is not None:
        if status == "ready" and "status-ready-includes-active" in faults:
            lists.append(sorted(t.keys(("s", account, "ready")) + t.keys(("s", account, "active"))))
            tests.append(lambda sim: sim.shown_status in ("ready", "active"))
        else:
            lists.append(t.keys(("s", account, status)))
            tests.append(lambda sim: sim.shown_status == status)
    if query.iccid is not None:
        planted = _planted_iccid(t, account, query.iccid) if faults else None
        if planted is not None:
            return planted, None
        sid = t.by_iccid.get(query.iccid)
        sim = t.sims.get(sid) if sid else None
        match = [sim.seq] if sim is not None and sim.account == account else []
        if match and "iccid-filter-returns-two" in faults:
            others = [k for k in t.keys(("a", account))[:2] if k != match[0]]
            return sorted(match + others[:1]), None
        if not match and "iccid-unknown-404" in faults:
            raise not_found(f"No Sim with ICCID {query.iccid} was found")
        lists.append(match)
        tests.append(lambda sim: sim.iccid == query.iccid)
    if not lists:
        if "list-shows-other-accounts" in faults or (query.page_token and "later-pages-other-accounts" in faults):
            return sorted(t.by_seq), None
        parent = t.accounts[account].parent if account in t.accounts else None
        if parent and "subaccount-list-shows-parent" in faults:
            return sorted(t.keys(("a", account)) + t.keys(("a", parent))), None
        return t.keys(("a", account)), None
    lists.sort(key=len)

    def keep(seq: int) -> bool:
        sim = t.by_seq[seq]
        return sim.account == account and all(test(sim) for test in tests)

    return lists[0], keep


def _planted_fleet(t: Tables, account: str, ref: str) -> str | None:
    """The Fleet a planted fault resolves ``ref`` to (None: resolve it as documented)."""
    fleets = sorted((f for f in t.fleets.values() if f.account == account), key=lambda f: f.sid)
    if "fleet-filter-prefix" in t.faults and access.fleet_sid(t, account, ref) is None:
        return next((f.sid for f in fleets if f.sid.startswith(ref) or (f.unique_name or "").startswith(ref)), None)
    if "fleet-name-filter-other-fleet" in t.faults and not FLEET_SID.match(ref):
        named = [i for i, f in enumerate(fleets) if f.unique_name == ref]
        return fleets[(named[0] + 1) % len(fleets)].sid if named else None
    return None


def _planted_iccid(t: Tables, account: str, iccid: str) -> list[int] | None:
    """The Sims a planted fault's Iccid filter answers (None: filter as documented)."""
    mine = t.keys(("a", account))
    if "iccid-filter-prefix" in t.faults and iccid:
        return [k for k in mine if t.by_seq[k].iccid.startswith(iccid)]
    if "iccid-filter-trims-spaces" in t.faults and iccid != iccid.strip():
        sid = t.by_iccid.get(iccid.strip())
        return [t.sims[sid].seq] if sid in t.sims and t.sims[sid].account == account else []
    if "iccid-filter-within-first-page" in t.faults:
        return [k for k in mine[:50] if t.by_seq[k].iccid == iccid]
    if "iccid-filter-other-account" in t.faults:
        sid = t.by_iccid.get(iccid)
        return [t.sims[sid].seq] if sid in t.sims else []
    return None


def parse_token(token: str | None, faults: frozenset[str] = frozenset()) -> tuple[str | None, int]:
    """("A" or "B", key) of a page token this API issued, (None, 0) for none; 400 for anything else."""
    if token is None:
        return None, 0
    if "opaque-page-tokens" in faults:
        opened = unseal(token)
        if opened is None:
            raise bad_request(f"PageToken {token!r} is not a token this API issued")
        return opened
    match = (_PLUS_TOKEN if "page-token-with-plus" in faults else _TOKEN).match(token)
    if not match:
        raise bad_request(f"PageToken {token!r} is not a token this API issued")
    if match.group(1) == "B" and "previous-token-refused" in faults:
        raise bad_request(f"PageToken {token!r} is not a token this API issued")
    return match.group(1), int(match.group(2), 16)


def scan(keys: list[int], positions: range, keep: Callable[[int], bool] | None, limit: int) -> list[int]:
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
