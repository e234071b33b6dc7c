"""What a target holds, as the API shows it to the given credentials: the data of a live run.

An account holder has credentials, not a profile. :func:`observe` walks each account's list
once, at the largest page size (PageSize 1000: a 50,000-SIM account is 50 requests), following
the target's own ``next_page_url`` and nothing else; :func:`sample` picks a bounded set of SIMs
covering every status, named and unnamed, with and without a fleet; :func:`discover_profile`
turns that into a :class:`~conformance.profile.Profile` that names environment variables for
the tokens (never a token) and, unless asked to keep them (``keep_pii``), no ICCID: the SID is
what finds a SIM again, and a run looks the ICCID up when it starts (:func:`refresh_profile`).

:func:`refresh_profile` is also how a run judges against the present, not a stale file: the
statuses, names and fleets of the profile's SIMs are replaced by what the target shows when
the run starts; a SIM the account no longer holds is dropped, with a note.

Only GET requests are sent, only to the target's origin, through the run's defensive client
(timeouts, body cap, 429 retries, pacing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from conformance.profile import Account, Fleet, Profile, SimSeed
from conformance.profile.model import ACCOUNT_SID, FLEET_SID, SIM_SID, SIM_STATUSES
from conformance.run.settings import live_rate
from conformance.run.target import Target

#: The largest page size the contract allows: one request per thousand SIMs.
PAGE_SIZE = 1000
#: A walk stops after this many pages (a million SIMs) even if the target says there are more.
MAX_PAGES = 1000
#: SIMs sampled per status: for the primary account, and for every other account.
PER_STATUS = 6
PER_STATUS_OTHER = 2


class DiscoveryError(Exception):
    """The target did not answer a list the way the contract says; the message says which."""


@dataclass
class Observation:
    """One account's list, walked once: every SIM it shows, and what the walk cost."""

    account: str
    sims: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    complete: bool = True
    """False when the walk stopped at :data:`MAX_PAGES` with more pages announced."""

    def by_status(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for sim in self.sims:
            counts[str(sim.get("status"))] = counts.get(str(sim.get("status")), 0) + 1
        return counts


def observe(target: Target, account_sid: str, token: str, *, max_pages: int = MAX_PAGES) -> Observation:
    """Walk ``account_sid``'s whole list at PageSize 1000; raise :class:`DiscoveryError` on a bad answer."""
    client = target.client(account_sid, token)
    seen = Observation(account_sid)
    url: str | None = f"/v1/Sims?PageSize={PAGE_SIZE}"
    visited: set[str] = set()
    while url is not None:
        if seen.requests >= max_pages:
            seen.complete = False
            break
        exchange = client.get(url, check=False)
        seen.requests += 1
        if exchange.error or exchange.status != 200 or not exchange.is_json:
            what = exchange.error or f"{exchange.status} {exchange.excerpt()[:200]}"
            raise DiscoveryError(f"GET {exchange.url} as {account_sid} did not answer a list page: {what}")
        page = exchange.json()
        sims = page.get("sims") if isinstance(page, dict) else None
        meta = page.get("meta") if isinstance(page, dict) else None
        if not isinstance(sims, list) or not isinstance(meta, dict):
            raise DiscoveryError(f"GET {exchange.url} answered JSON without the sims array and meta block")
        seen.sims.extend(sim for sim in sims if isinstance(sim, dict) and SIM_SID.match(str(sim.get("sid", ""))))
        visited.add(exchange.url)
        url = meta.get("next_page_url")
        if url is not None and (not isinstance(url, str) or not target.same_origin(url) or url in visited):
            raise DiscoveryError(f"the list's next_page_url {url!r} is not a new page on {target.base_url}")
    return seen


def sample(sims: Iterable[dict[str, Any]], per_status: int) -> list[dict[str, Any]]:
    """Up to ``per_status`` SIMs of each status, alternating named/unnamed and fleet/no fleet.

    Deterministic (by SID within each kind), so two discoveries of an unchanged account agree.
    A SIM whose update is in progress (``scheduled``) is not sampled: its status is about to change.
    """
    chosen: list[dict[str, Any]] = []
    for status in SIM_STATUSES:
        kinds: dict[tuple[bool, bool], list[dict[str, Any]]] = {}
        for sim in sims:
            if sim.get("status") == status:
                kinds.setdefault((bool(sim.get("unique_name")), bool(sim.get("fleet_sid"))), []).append(sim)
        queues = [sorted(group, key=lambda s: s["sid"]) for _, group in sorted(kinds.items())]
        picked: list[dict[str, Any]] = []
        while len(picked) < per_status and any(queues):
            for queue in queues:
                if queue and len(picked) < per_status:
                    picked.append(queue.pop(0))
        chosen.extend(picked)
    return chosen


def fleet_names(target: Target, account_sid: str, token: str) -> dict[str, str]:
    """Fleet SID -> unique name, from ``GET /v1/Fleets`` where the target answers it (else empty)."""
    exchange = target.client(account_sid, token).get("/v1/Fleets", params={"PageSize": PAGE_SIZE}, check=False)
    page = exchange.json() if exchange.status == 200 and exchange.is_json else None
    fleets = page.get("fleets") if isinstance(page, dict) else None
    names: dict[str, str] = {}
    for fleet in fleets if isinstance(fleets, list) else []:
        if isinstance(fleet, dict) and FLEET_SID.match(str(fleet.get("sid", ""))) and fleet.get("unique_name"):
            names[fleet["sid"]] = str(fleet["unique_name"])
    return names


@dataclass(frozen=True)
class AccountAccess:
    """An account to discover: its SID, its token, and the environment variable a profile names for it."""

    sid: str
    token: str = field(repr=False)
    token_env: str
    role: str = "primary"


@dataclass
class Discovery:
    """A discovered profile and what it took."""

    profile: Profile
    observations: list[Observation]
    named_fleets: bool

    @property
    def requests(self) -> int:
        return sum(o.requests for o in self.observations)


def discover_profile(
    target: Target, accounts: list[AccountAccess], *, keep_pii: bool = False, per_status: int = PER_STATUS
) -> Discovery:
    """The profile of what ``accounts`` (the first one is the primary) hold on ``target``."""
    primary = accounts[0]
    profile_accounts = [
        Account(
            sid=a.sid,
            role=a.role,
            auth_token_env=a.token_env,
            parent=primary.sid if a.role == "subaccount" else None,
        )
        for a in accounts
    ]
    observations: list[Observation] = []
    sims: list[SimSeed] = []
    fleets: list[Fleet] = []
    names_seen = False
    for index, account in enumerate(accounts):
        seen = observe(target, account.sid, account.token)
        observations.append(seen)
        picked = sample(seen.sims, per_status if index == 0 else PER_STATUS_OTHER)
        names = fleet_names(target, account.sid, account.token)
        names_seen = names_seen or bool(names)
        for fleet_sid in sorted({s["fleet_sid"] for s in picked if s.get("fleet_sid")}):
            fleets.append(Fleet(sid=fleet_sid, account=account.sid, unique_name=names.get(fleet_sid)))
        sims.extend(_seed(sim, account.sid, keep_pii) for sim in picked)
    profile = Profile(
        accounts=tuple(profile_accounts),
        fleets=tuple(fleets),
        sims=tuple(sims),
        name=f"discovered from {target.base_url}",
        source=f"<discovered from {target.base_url}>",
    )
    return Discovery(profile, observations, names_seen)


def _seed(sim: dict[str, Any], account: str, keep_pii: bool) -> SimSeed:
    return SimSeed(
        sid=sim["sid"],
        account=account,
        iccid=str(sim.get("iccid") or "") if keep_pii else "",
        status=str(sim.get("status")),
        unique_name=sim.get("unique_name") or None,
        fleet=sim.get("fleet_sid") or None,
    )


def refresh_profile(target: Target, profile: Profile) -> tuple[Profile, list[str], list[Observation]]:
    """The profile with its SIMs as the target shows them now; notes on what differed.

    Each account with credentials is walked once (PageSize 1000). A SIM's status, unique name,
    fleet and (where the profile left it out) ICCID become what the list shows; a SIM the
    account no longer lists is dropped; a fleet a SIM now has that the profile lacks is added.
    Accounts whose token is not available are left as they are.
    """
    notes: list[str] = []
    observations: list[Observation] = []
    shown: dict[str, dict[str, dict[str, Any]]] = {}
    for account in profile.accounts:
        try:
            token = profile.token_for(account.sid)
        except ValueError:
            continue
        seen = observe(target, account.sid, token)
        observations.append(seen)
        shown[account.sid] = {sim["sid"]: sim for sim in seen.sims}
    sims: list[SimSeed] = []
    known_fleets = {fleet.sid for fleet in profile.fleets}
    fleets = list(profile.fleets)
    changed = 0
    for seed in profile.sims:
        listed = shown.get(seed.account)
        if listed is None:
            sims.append(seed)
            continue
        now = listed.get(seed.sid)
        if now is None:
            # not listed: gone (404 by SID: not used), or a target whose lists are not its state
            # (a stateless mock answering examples): then the profile's word stands
            fetched = target.client(*profile.credentials(seed.account)).get(f"/v1/Sims/{seed.sid}", check=False)
            if fetched.status == 404:
                notes.append(f"the profile's SIM {seed.sid} is no longer in account {seed.account}; not used")
                continue
            shown_sim = fetched.json() if fetched.status == 200 and fetched.is_json else None
            if not isinstance(shown_sim, dict) or shown_sim.get("sid") != seed.sid:
                sims.append(seed)
                continue
            now = shown_sim
        fresh = replace(
            seed,
            iccid=seed.iccid or str(now.get("iccid") or ""),
            status=str(now.get("status")) if now.get("status") in SIM_STATUSES else seed.status,
            unique_name=now.get("unique_name") or None,
            fleet=now.get("fleet_sid") or None,
        )
        if (fresh.status, fresh.unique_name, fresh.fleet) != (seed.status, seed.unique_name, seed.fleet):
            changed += 1
        if fresh.fleet and fresh.fleet not in known_fleets:
            fleets.append(Fleet(sid=fresh.fleet, account=seed.account))
            known_fleets.add(fresh.fleet)
        sims.append(fresh)
    if changed:
        notes.append(
            f"{changed} of the profile's SIMs show another status, name or fleet than the profile says; "
            "the run uses what the target shows now"
        )
    return replace(profile, sims=tuple(sims), fleets=tuple(fleets)), notes, observations


def write_discovered(
    target_url: str,
    accounts: list[tuple[str, tuple[str, str]]],
    *,
    out: str | None = None,
    keep_pii: bool = False,
    per_status: int | None = None,
    timeout: float | None = None,
    rate: float | None = None,
) -> int:
    """``supersim-conformance discover``: discover and write the profile; the exit code (0, 2 or 3)."""
    import os
    import sys
    from pathlib import Path
    from urllib.parse import urlsplit

    from conformance import EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE
    from conformance.profile import dump_profile
    from conformance.run.target import CredentialsRejected, TargetUnreachable, probe

    access: list[AccountAccess] = []

    def error(message: str, code: int) -> int:
        for account in access:  # a target's answer quoted in a message may echo a token back
            message = message.replace(account.token, "[redacted]")
        print(f"supersim-conformance discover: {message}", file=sys.stderr)
        return code

    parts = urlsplit(target_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return error(f"--target must be an http(s) URL such as https://supersim.twilio.com, got {target_url!r}", 2)
    for role, (sid_var, token_var) in accounts:
        sid, token = os.environ.get(sid_var, "").strip(), os.environ.get(token_var, "")
        if not sid or not token:
            return error(f"set {sid_var} and {token_var} (the {role} account's SID and Auth Token)", EXIT_USAGE)
        if not ACCOUNT_SID.match(sid):
            return error(f"{sid_var} is not an Account SID (AC and 32 hex digits)", EXIT_USAGE)
        access.append(AccountAccess(sid=sid, token=token, token_env=token_var, role=role))
    interval = live_rate(target_url, rate)
    target = Target(
        base_url=target_url, profile=None, timeout=timeout or 10.0, min_interval=1.0 / interval if interval else 0.0
    )
    try:
        for account in access:
            probe(target, account.sid, account.token)
        found = discover_profile(target, access, keep_pii=keep_pii, per_status=per_status or PER_STATUS)
    except (TargetUnreachable, CredentialsRejected, DiscoveryError) as problem:
        return error(str(problem), EXIT_UNREACHABLE)
    finally:
        target.close()
    summary = summary_comment(found, keep_pii)
    text = summary + dump_profile(found.profile)
    if out:
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as problem:
            return error(f"cannot write {out}: {problem.strerror or problem}", EXIT_USAGE)
    else:
        sys.stdout.write(text)
    for line in summary.splitlines():
        print(line.removeprefix("# "), file=sys.stderr)
    if out:
        print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def summary_comment(found: Discovery, keep_pii: bool) -> str:
    """What a discovered profile's file starts with: what was seen, what was kept, what it cost."""
    lines = [f"# discovered from {found.profile.name.removeprefix('discovered from ') if found.profile.name else ''}"]
    for seen in found.observations:
        statuses = ", ".join(f"{count} {status}" for status, count in sorted(seen.by_status().items()))
        more = "" if seen.complete else f" (stopped after {seen.requests} pages)"
        sampled = sum(1 for sim in found.profile.sims if sim.account == seen.account)
        lines.append(f"# account {seen.account}: {len(seen.sims)} SIMs ({statuses or 'none'}){more}; {sampled} sampled")
    lines.append(f"# {found.requests} list requests; fleet names {'found' if found.named_fleets else 'not available'}")
    lines.append(
        "# ICCIDs kept (--keep-pii)" if keep_pii else "# ICCIDs left out (personal data): a run looks them up by SID"
    )
    return "\n".join(lines) + "\n"
