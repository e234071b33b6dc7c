"""What the proxy follows across requests, passively: page chains and each Sim's life.

A single answer can be well-formed and still wrong against an earlier one: a next page that
repeats the previous page's Sims, an activation answered ``active`` at once (its scheduled step
skipped), a ``date_created`` that moved. The proxy sends nothing of its own, so each rule here
judges only what two answers the client already got can prove, and stays silent where the
difference could be legitimate:

* a change behind the proxy's back (another client of a live account, an automatic
  ready → active) is never taken for a defect: fields are compared at an equal
  ``date_updated`` only, and only once the earlier answer's ``Date`` is two seconds past it
  (so any later change must have moved it);
* expectations about an update rest on a view of the Sim at most :data:`FRESH_SECONDS` old,
  with no other update of it in flight;
* page rules that compare Sims across pages hold only while no write passed through the proxy
  between the two pages.

The IDs are the suite's own scenario checks (SCN-PAGE-LINKS, SCN-ASYNC-ACTIVATE…), narrowed to
the requirement each observation breaks, so a proxy report and a suite report name one defect
the same way.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.checks import Violation
from conformance.checks import scenarios as scn
from conformance.checks.responses import FLEET_SID, SIM_SID, instance_key, is_create, is_list
from conformance.contract.exchange import Exchange
from conformance.contract.rules import gmt_datetime

#: How old a view of a Sim may be for an update's expectations to rest on it.
FRESH_SECONDS = 120.0
#: Seconds past ``date_updated`` an answer's ``Date`` must be before a later change must move it.
CLOCK_SLACK = timedelta(seconds=2)
#: Remembered Sims (oldest forgotten first): memory stays bounded on any traffic.
MAX_REMEMBERED = 5000
#: Remembered page links and page-0 references (each holds up to 1,000 SIDs, a walk up to MAX_WALK).
MAX_LINKS = 500
MAX_WALK = 5000
#: Seconds a page link or a page 0 stays a reference for rules that compare pages: a change the
#: proxy did not see (another client of a live account) is ever likelier the older it is.
REFERENCE_SECONDS = 60.0
#: Filters under which a Sim may leave or enter the list between two pages (its status, its fleet).
MOVING_FILTERS = ("Status", "Fleet")
#: Fields that, at one ``date_updated``, every answer must show alike.
#: (date_created and iccid never change at all: judged on their own.)
STABLE_FIELDS = ("account_sid", "unique_name", "fleet_sid", "url")
#: Update parameters that never make an update asynchronous (SIM-ASYNC-011).
SYNC_ONLY = {"UniqueName", "CallbackUrl", "CallbackMethod"}


def page_key(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A page URL as the rules compare it: its path and its sorted query pairs (origin aside)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL at all ("http://[bad"): RESP-PAGE-HOST reports it, nothing follows it
        return url, ()
    return parts.path.rstrip("/"), tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))


@dataclass
class _Link:
    """A page link some answer gave: where it came from and what that page held."""

    page: int | None
    page_size: int | None
    sids: list[str]
    writes: int
    """The proxy's write counter when the link was given."""
    exchange: Exchange
    at: float = 0.0
    walk: list[str] | None = None
    """Every Sim of the walk up to this page, in order (None: the walk did not start at page 0)."""


@dataclass
class _First:
    """Page 0 of a list: its Sims, whether it held the whole list, the write counter, its size, when."""

    sids: list[str]
    complete: bool
    writes: int
    size: int | None
    at: float


@dataclass
class _Pending:
    """An update answered ``scheduled``: how it must end."""

    check: str
    final_status: str
    final_fleet: str | None
    """The fleet_sid it must show at the end (None: no fleet change was asked)."""
    old_fleet: str | None
    exchange: Exchange


@dataclass
class _Track:
    """The last answer that showed a Sim."""

    sim: dict[str, Any]
    kind: str
    at: float
    date: datetime | None
    exchange: Exchange
    writes: int = 0
    pending: _Pending | None = None


@dataclass
class Observer:
    """The cross-request state of one proxy session; :meth:`observe` returns what broke."""

    tracks: OrderedDict[str, _Track] = field(default_factory=OrderedDict)
    next_links: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], _Link] = field(default_factory=OrderedDict)
    previous_links: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], _Link] = field(default_factory=OrderedDict)
    writes: int = 0
    firsts: OrderedDict[tuple[Any, ...], _First] = field(default_factory=OrderedDict)
    """Per account and filters: the last page 0 seen, what a walk at another page size must agree with."""
    in_flight: int = 0
    """Writes forwarded whose answer has not come back yet: while one is, no rule compares pages."""
    judged: dict[str, int] = field(default_factory=dict)
    """Per check: how many observations it judged (a report's "held on N" and its skipped rows)."""
    clock: Any = time.monotonic

    # --- entry point ------------------------------------------------------------------------

    def request_sent(self, exchange: Exchange) -> float:
        """A request is about to be forwarded: count a write (before its answer, which may come late); return when."""
        if exchange.method == "POST" and (instance_key(exchange) is not None or is_create(exchange)):
            self.writes += 1
            self.in_flight += 1
        return self.clock()

    def observe(
        self, exchange: Exchange, form: dict[str, str] | None = None, sent: float | None = None
    ) -> list[Violation]:
        """Judge one exchange against what came before; remember what it shows.

        ``sent`` is when its request went out (:meth:`request_sent`): an answer to a request sent
        before the last answer about a Sim arrived may be older than that one (two clients, or a slow
        read overtaken by an update), so it is neither judged against it nor kept in its place.
        """
        found: list[Violation] = []
        if exchange.method == "POST" and (instance_key(exchange) is not None or is_create(exchange)):
            self.in_flight = max(self.in_flight - 1, 0)
        if exchange.error or not exchange.is_json or exchange.is_partial:
            return found
        body = exchange.json()
        if not isinstance(body, dict):
            return found
        ok = 200 <= exchange.status < 300
        key = instance_key(exchange)
        if not ok:
            return found
        sent = self.clock() if sent is None else sent
        date = _date_header(exchange)
        if is_list(exchange):
            found += self._page(exchange, body)
            sims = body.get("sims")
            for sim in sims if isinstance(sims, list) else []:
                if isinstance(sim, dict):
                    found += self._sim(sim, "list", exchange, date, sent)
        elif key is not None or is_create(exchange):
            pending = None
            if exchange.method == "POST" and key is not None:
                broken, pending = self._update(exchange, form or {}, body)
                found += broken
            found += self._sim(body, "update" if exchange.method == "POST" else "fetch", exchange, date, sent)
            track = self.tracks.get(str(body.get("sid")))
            if pending is not None and track is not None:
                track.pending = pending
        return found

    def pending_for(self, sid: str) -> _Pending | None:
        track = self.tracks.get(sid)
        return track.pending if track else None

    # --- pages ------------------------------------------------------------------------------

    def _page(self, exchange: Exchange, body: dict[str, Any]) -> list[Violation]:
        found: list[Violation] = []
        meta = body.get("meta")
        if not isinstance(meta, dict):
            return found
        sims = body.get("sims")
        listed = sims if isinstance(sims, list) else []
        sids: list[str] = [s["sid"] for s in listed if isinstance(s, dict) and isinstance(s.get("sid"), str)]
        page = meta.get("page") if isinstance(meta.get("page"), int) else None
        size = meta.get("page_size") if isinstance(meta.get("page_size"), int) else None
        here = page_key(exchange.url)
        came_by_next = self.next_links.pop(here, None)
        if came_by_next is not None:
            found += self._followed_next(came_by_next, exchange, page, size, sids)
        came_by_previous = self.previous_links.pop(here, None)
        if came_by_previous is not None:
            found += self._led_where_it_says(came_by_previous, exchange, page, size, step=-1)
        walk = _walk_so_far(came_by_next, page, exchange, sids)
        parted = self._against_first(exchange, page, size, walk, meta.get("next_page_url"))
        if parted:
            found += parted
            walk = None  # reported once per walk, not again on each page after
        slim = _slim(exchange)
        for name, links, kept in (
            ("next_page_url", self.next_links, walk),
            ("previous_page_url", self.previous_links, None),  # a walk goes on by next links only
        ):
            target = meta.get(name)
            if isinstance(target, str) and target:
                links[page_key(target)] = _Link(page, size, sids, self.writes, slim, self.clock(), kept)
                _bound(links, MAX_LINKS)
        return found

    def _against_first(
        self, exchange: Exchange, page: int | None, size: int | None, walk: list[str] | None, next_url: Any
    ) -> list[Violation]:
        """A walk's Sims so far against page 0 of the same list at another page size.

        Both show the account's Sims in the list's one order, so the walk must be a prefix of that
        page (or, when that page held the whole list, end with exactly its Sims). Only while no write
        passed through the proxy since that page was read.
        """
        key = _list_key(exchange)
        found: list[Violation] = []
        if key is None:
            return found  # an API key: two accounts' lists cannot be told apart
        now = self.clock()
        if page == 0 and "PageToken" not in exchange.query:
            reference = self.firsts.get(key)
            if reference is None or not self._current(reference.writes, reference.at) or _larger(size, reference.size):
                self.firsts[key] = _First(list(walk or []), not next_url, self.writes, size, now)
                self.firsts.move_to_end(key)
                _bound(self.firsts, MAX_LINKS)
            return found
        reference = self.firsts.get(key)
        if walk is None or reference is None or len(walk) > MAX_WALK:
            return found
        if not self._current(reference.writes, reference.at) or reference.size == size:
            return found
        sids, complete, ref_size = reference.sids, reference.complete, reference.size
        self._count(scn.PAGE_WALK)
        shown = walk[: min(len(walk), len(sids))]
        expected = sids[: len(shown)]
        if shown != expected or (complete and len(walk) > len(sids)):
            at = next((i for i, (a, b) in enumerate(zip(shown, expected, strict=False)) if a != b), len(shown))
            found.append(
                Violation(
                    scn.PAGE_WALK,
                    f"following next_page_url at PageSize {size} does not visit the list as page 0 at PageSize "
                    f"{ref_size} shows it: they part after {at} Sim(s)",
                    expected=", ".join(sids[at : at + 3]) or "no more Sims",
                    received=", ".join(walk[at : at + 3]) or "no more Sims",
                    exchange=exchange,
                    requirements=["SIM-PAGE-007"],
                )
            )
        elif complete and not next_url and len(walk) < len(sids):
            found.append(
                Violation(
                    scn.PAGE_WALK,
                    f"the walk at PageSize {size} ended after {len(walk)} Sim(s); the list holds {len(sids)}",
                    expected=f"{len(sids)} Sims, each once",
                    received=f"{len(walk)} Sims",
                    exchange=exchange,
                    requirements=["SIM-PAGE-007"],
                )
            )
        return found

    def _followed_next(
        self, link: _Link, exchange: Exchange, page: int | None, size: int | None, sids: list[str]
    ) -> list[Violation]:
        found = self._led_where_it_says(link, exchange, page, size, step=1)
        if self._current(link.writes, link.at):  # the list did not change through the proxy meanwhile
            self._count(scn.PAGE_WALK)
            repeated = sorted(set(sids) & set(link.sids))
            if repeated:
                found.append(
                    Violation(
                        scn.PAGE_WALK,
                        f"the next page repeats {len(repeated)} Sim(s) of the page before it",
                        expected="no Sim on two pages of one walk",
                        received=", ".join(repeated[:5]) + ("…" if len(repeated) > 5 else ""),
                        exchange=exchange,
                        requirements=["SIM-PAGE-007"],
                    )
                )
            moving = any(name in exchange.query for name in MOVING_FILTERS)
            if not sids and link.sids and not moving:  # under a Status filter a Sim may just have left it
                found.append(
                    Violation(
                        scn.PAGE_WALK,
                        "next_page_url led to an empty page: the page before was the last, and its "
                        "next_page_url should have been null",
                        expected="next_page_url null on the last page that holds Sims",
                        received="an empty page",
                        exchange=link.exchange,
                        requirements=["SIM-PAGE-008"],
                    )
                )
        return found

    def _led_where_it_says(
        self, link: _Link, exchange: Exchange, page: int | None, size: int | None, *, step: int
    ) -> list[Violation]:
        """A followed next (``step`` 1) or previous (-1) link: the page it names, at the same PageSize."""
        self._count(scn.PAGE_LINKS)
        name, requirement = ("next_page_url", "SIM-LIST-005") if step == 1 else ("previous_page_url", "SIM-LIST-006")
        found: list[Violation] = []
        if link.page is not None and page is not None and page != link.page + step:
            found.append(
                Violation(
                    scn.PAGE_LINKS,
                    f"{name} of page {link.page} led to page {page}, not to page {link.page + step}",
                    expected=f"meta.page {link.page + step}",
                    received=f"meta.page {page}",
                    exchange=exchange,
                    requirements=[requirement],
                )
            )
        if link.page_size is not None and size is not None and size != link.page_size:
            found.append(
                Violation(
                    scn.PAGE_LINKS,
                    f"{name} of a page of {link.page_size} led to a page of {size}: it lost the PageSize",
                    expected=f"meta.page_size {link.page_size}",
                    received=f"meta.page_size {size}",
                    exchange=exchange,
                    requirements=["SIM-LIST-010"],
                )
            )
        return found

    # --- a Sim's life -----------------------------------------------------------------------

    def _sim(
        self, sim: dict[str, Any], kind: str, exchange: Exchange, date: datetime | None, sent: float
    ) -> list[Violation]:
        sid = sim.get("sid")
        if not isinstance(sid, str) or not SIM_SID.match(sid):
            return []
        found: list[Violation] = []
        before = self.tracks.get(sid)
        if before is not None and sent < before.at:
            return found  # sent before the last answer about this Sim came: it may show an older state
        if before is not None:
            found += self._compare(before, sim, kind, exchange)
            found += self._resolve(before, sim, exchange)
        track = _Track(sim, kind, self.clock(), date, _slim(exchange))
        if before is not None:
            track.writes = before.writes + (kind == "update")
            # a new update's own expectation replaces the last one's (set by the caller)
            keep = sim.get("status") == "scheduled" and kind != "update"
            track.pending = before.pending if keep else None
        self.tracks[sid] = track
        self.tracks.move_to_end(sid)
        _bound(self.tracks)
        return found

    def _compare(self, before: _Track, sim: dict[str, Any], kind: str, exchange: Exchange) -> list[Violation]:
        found: list[Violation] = []
        old = before.sim
        self._count(scn.DATES_LIFE)
        for name, requirement in (("date_created", "SIM-PROP-011"), ("iccid", "SIM-PROP-006")):
            if name in old and name in sim and old[name] != sim[name]:
                found.append(
                    Violation(
                        scn.DATES_LIFE if name == "date_created" else scn.ONE_REPRESENTATION,
                        f"{name} of {sim['sid']} changed between two answers; it never changes",
                        expected=old[name],
                        received=sim[name],
                        exchange=exchange,
                        requirements=[requirement],
                    )
                )
        then, now = gmt_datetime(old.get("date_updated")), gmt_datetime(sim.get("date_updated"))
        if then is not None and now is not None and now < then:
            found.append(
                Violation(
                    scn.DATES_LIFE,
                    f"date_updated of {sim['sid']} went back in time between two answers",
                    expected=f"{old.get('date_updated')} or later",
                    received=sim.get("date_updated"),
                    exchange=exchange,
                    requirements=["SIM-PROP-012"],
                )
            )
        if then is None or now != then or before.date is None or before.date < then + CLOCK_SLACK:
            return found
        moving = {"fleet_sid"} if before.pending or "scheduled" in (old.get("status"), sim.get("status")) else set()
        changed = [f for f in STABLE_FIELDS if f not in moving and f in old and f in sim and old[f] != sim[f]]
        if not changed:
            return found
        if kind == "update":
            check, requirement = scn.DATES_LIFE, "SIM-PROP-012"
            message = f"an update changed {', '.join(changed)} of {sim['sid']} but not its date_updated"
        elif "list" in (kind, before.kind):
            check, requirement = scn.LIST_ITEM, "SIM-LIST-003"
            message = f"a list page and another answer show {sim['sid']} differently at one date_updated"
        else:
            check, requirement = scn.ONE_REPRESENTATION, "SIM-PROP-002"
            message = f"two answers show {sim['sid']} differently at one date_updated"
        found.append(
            Violation(
                check,
                message + f" ({', '.join(changed)})",
                expected={f: old[f] for f in changed},
                received={f: sim[f] for f in changed},
                exchange=exchange,
                requirements=[requirement],
            )
        )
        return found

    def _resolve(self, before: _Track, sim: dict[str, Any], exchange: Exchange) -> list[Violation]:
        """A scheduled update seen again: still scheduled (fleet kept), or ended as it must."""
        pending = before.pending
        if pending is None:
            return []
        status = sim.get("status")
        if status == "scheduled":
            if pending.final_fleet is not None and sim.get("fleet_sid") != pending.old_fleet:
                return [
                    Violation(
                        pending.check,
                        "while the fleet change is scheduled, fleet_sid already shows another value",
                        expected=pending.old_fleet,
                        received=sim.get("fleet_sid"),
                        exchange=exchange,
                        requirements=["SIM-ASYNC-004"],
                    )
                ]
            return []
        self._count(pending.check)
        found: list[Violation] = []
        if not _same_status(str(status), pending.final_status):
            # a fleet change ends in its prior status (SIM-ASYNC-010); a status change in the one asked
            # for (SIM-ASYNC-003, judged under the activation check when a Fleet came with it)
            check, requirement = {
                scn.ASYNC_FLEET: (scn.ASYNC_FLEET, "SIM-ASYNC-010"),
                scn.ACTIVATE_WITH_FLEET: (scn.ASYNC_ACTIVATE, "SIM-ASYNC-003"),
            }.get(pending.check, (pending.check, "SIM-ASYNC-003"))
            found.append(
                Violation(
                    check,
                    f"the scheduled update of {sim.get('sid')} ended in {status!r}, not in the status asked for",
                    expected=pending.final_status,
                    received=status,
                    exchange=exchange,
                    requirements=[requirement],
                )
            )
        if pending.final_fleet is not None and sim.get("fleet_sid") != pending.final_fleet:
            found.append(
                Violation(
                    pending.check,
                    "when the scheduled update ended, fleet_sid did not show the new Fleet",
                    expected=pending.final_fleet,
                    received=sim.get("fleet_sid"),
                    exchange=exchange,
                    requirements=["SIM-ASYNC-005"],
                )
            )
        return found

    def _update(
        self, exchange: Exchange, form: dict[str, str], sim: dict[str, Any]
    ) -> tuple[list[Violation], _Pending | None]:
        """An update's answer against the view of the Sim the proxy had just before it, and how a
        scheduled one must end."""
        sid = sim.get("sid")
        before = self.tracks.get(sid) if isinstance(sid, str) else None
        if before is None or before.pending is not None or self.clock() - before.at > FRESH_SECONDS:
            return [], None
        old = before.sim
        old_status, old_fleet = old.get("status"), old.get("fleet_sid")
        if old_status == "scheduled" or ("AccountSid" in form and form["AccountSid"] != old.get("account_sid")):
            return [], None
        status, fleet = form.get("Status"), form.get("Fleet")
        answered = sim.get("status")
        found: list[Violation] = []
        if set(form) and set(form) <= SYNC_ONLY:
            self._count(scn.ASYNC_SYNC)
            if answered == "scheduled":
                found.append(
                    Violation(
                        scn.ASYNC_SYNC,
                        f"an update of only {', '.join(sorted(form))} was answered scheduled",
                        expected=f"status {old_status} at once",
                        received="scheduled",
                        exchange=exchange,
                        requirements=["SIM-ASYNC-011"],
                    )
                )
            return found, None
        if (
            old_status == "new"
            and status in ("ready", "active")
            and old_fleet is None
            and not fleet
            and not sim.get("fleet_sid")
        ):
            self._count(scn.ACTIVATE_NEEDS_FLEET)
            return [
                Violation(
                    scn.ACTIVATE_NEEDS_FLEET,
                    f"activating {sid}, which has no Fleet and got none in the request, was accepted",
                    expected="a 4xx refusal (a Sim needs a Fleet to be activated)",
                    received=f"{exchange.status} with status {answered!r}",
                    exchange=exchange,
                    requirements=["SIM-STATUS-001"],
                )
            ], None
        expectation = _asynchronous(str(old_status), status, fleet, old_fleet)
        if expectation is None:
            return found, None
        check, requirements, final = expectation
        self._count(check)
        fleet_change = fleet if fleet and FLEET_SID.match(fleet) and fleet != old_fleet else None
        if answered != "scheduled":
            if _changed_during(sim, exchange):  # else it already was so: changed elsewhere, not skipped here
                found.append(
                    Violation(
                        check,
                        f"the update of {sid} from {old_status} was answered {answered!r} at once: the scheduled "
                        "step was skipped",
                        expected="status scheduled, then the final state",
                        received=answered,
                        exchange=exchange,
                        requirements=requirements,
                    )
                )
            return found, None
        if fleet_change is not None and sim.get("fleet_sid") != old_fleet:
            found.append(
                Violation(
                    check,
                    "the scheduled update already shows the new fleet_sid; it keeps the existing one until it completes",
                    expected=old_fleet,
                    received=sim.get("fleet_sid"),
                    exchange=exchange,
                    requirements=["SIM-ASYNC-004"],
                )
            )
        return found, _Pending(check, final, fleet_change, old_fleet, _slim(exchange))

    def _current(self, writes: int, at: float) -> bool:
        """Nothing was written through the proxy since (nor is being), and it is recent enough to compare."""
        return writes == self.writes and not self.in_flight and self.clock() - at <= REFERENCE_SECONDS

    def _count(self, check: str) -> None:
        self.judged[check] = self.judged.get(check, 0) + 1


def _asynchronous(
    old: str, status: str | None, fleet: str | None, old_fleet: str | None
) -> tuple[str, list[str], str] | None:
    """Which of the four asynchronous updates this is: (check, requirements, final status), or None."""
    if status and status != old:
        if old == "new" and status in ("ready", "active"):
            if fleet:
                return scn.ACTIVATE_WITH_FLEET, ["SIM-ASYNC-006"], status
            return scn.ASYNC_ACTIVATE, ["SIM-ASYNC-002", "SIM-ASYNC-006"], status
        if old == "active" and status == "inactive":
            return scn.ASYNC_DEACTIVATE, ["SIM-ASYNC-002", "SIM-ASYNC-007"], status
        if old == "inactive" and status == "active":
            return scn.ASYNC_REACTIVATE, ["SIM-ASYNC-002", "SIM-ASYNC-008"], status
        return None
    if fleet and FLEET_SID.match(fleet) and fleet != old_fleet and old in ("ready", "active"):
        return scn.ASYNC_FLEET, ["SIM-ASYNC-009"], old
    return None


def _list_key(exchange: Exchange) -> tuple[Any, ...] | None:
    """Which list a page belongs to: the account asking and the filters (paging parameters aside);
    None when the credentials do not name the account (an API key)."""
    if not exchange.account_sid:
        return None
    filters = tuple(sorted((k, v) for k, v in exchange.query.items() if k not in ("Page", "PageSize", "PageToken")))
    return exchange.account_sid, filters


def _larger(size: int | None, than: int | None) -> bool:
    return size is not None and (than is None or size >= than)


def _slim(exchange: Exchange) -> Exchange:
    """What a remembered exchange keeps: the request and the start of the answer (for a report), no parsed body."""
    if len(exchange.text) <= 300 and exchange._json is None:
        return exchange
    return replace(exchange, text=exchange.text[:300], body_bytes=len(exchange.text.encode()), _json=None)


def _changed_during(sim: dict[str, Any], exchange: Exchange) -> bool:
    """The answer's date_updated is the time of this very request (by the target's own clock, its
    ``Date``): the update changed the Sim now, it was not already so (changed by someone else)."""
    updated, date = gmt_datetime(sim.get("date_updated")), _date_header(exchange)
    if updated is None or date is None:
        return True  # nothing to tell them apart with: judged
    return updated >= date - timedelta(seconds=exchange.elapsed) - CLOCK_SLACK / 2


def _walk_so_far(came_by_next: _Link | None, page: int | None, exchange: Exchange, sids: list[str]) -> list[str] | None:
    """The Sims of a walk up to this page: its page 0's and every next page's, in order."""
    if came_by_next is not None:
        return None if came_by_next.walk is None else came_by_next.walk + sids
    if page == 0 and "PageToken" not in exchange.query:
        return list(sids)
    return None


def _same_status(shown: str, wanted: str) -> bool:
    """A Sim that completed as ready may have turned active since (data use, SMS Commands)."""
    return shown == wanted or (wanted == "ready" and shown == "active")


def _date_header(exchange: Exchange) -> datetime | None:
    value = exchange.response_headers.get("date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)  # "-0000": GMT, naive


def _bound(mapping: OrderedDict[Any, Any], limit: int = MAX_REMEMBERED) -> None:
    while len(mapping) > limit:
        mapping.popitem(last=False)
