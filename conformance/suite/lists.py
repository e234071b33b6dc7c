"""Lists at any account size: one complete walk at PageSize 1000, small walks bounded to a few pages.

A scenario that walked a 50,000-SIM account at PageSize 7 would send 7,000 requests (24 minutes
at a live account's 5 requests a second) and then fail at the walk's page bound although the
target is right. So the read-only scenarios share one complete walk per account and filter
(:func:`complete_list`, PageSize 1000: a request per thousand Sims, bounded by the account's
real size), and walk a small page size through every page only while the list fits in
:data:`FULL_PAGES` pages; past that they judge its first :data:`PREFIX_PAGES` pages against the
same Sims at the start of a fresh list, read in one request (:func:`first_pages`,
:func:`expect_same_prefix`). What a bounded walk cannot see (the last page, completeness) the
complete walk judges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.checks import expect
from conformance.contract.exchange import Exchange
from conformance.run.target import TargetClient
from conformance.suite.helpers import body, walk

#: A small page size walks every page of a list that fits in this many pages...
FULL_PAGES = 24
#: ... and only this many pages of a longer one.
PREFIX_PAGES = 8
#: The largest page the contract allows: the page size of a complete walk.
COMPLETE_PAGE_SIZE = 1000
#: A complete walk longer than this many pages (two million Sims) is reported as a runaway.
COMPLETE_MAX_PAGES = 2000


def page_sids(exchange: Exchange) -> list[str] | None:
    """The SIDs of a list page, in order; None for an answer that is not a list page."""
    page = body(exchange)
    sims = page.get("sims") if exchange.status == 200 and isinstance(page, dict) else None
    if not isinstance(sims, list):
        return None
    return [str(s.get("sid")) for s in sims if isinstance(s, dict)]


@dataclass
class CompleteList:
    """One walk of a whole list at PageSize 1000: its pages and the Sims on them, in order."""

    pages: list[Exchange]
    sims: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sids(self) -> list[str]:
        return [str(sim.get("sid")) for sim in self.sims]

    @property
    def size(self) -> int:
        return len(self.sims)


#: (the target object's id, account, filters) -> (the target, its complete list). The target is
#: kept so that its id is never reused while its entry exists: two runs in one process (the zoo
#: runs the suite ~200 times) never share a list, even on the same port.
_COMPLETE: dict[tuple[int, str | None, tuple[tuple[str, str], ...]], tuple[Any, CompleteList]] = {}


def complete_list(
    client: TargetClient, filters: dict[str, str] | None = None, *, fresh: bool = False, check_id: str | None = None
) -> CompleteList:
    """The whole list (with ``filters``) at PageSize 1000, walked once per worker and reused.

    ``fresh`` walks it again (a scenario that found a difference judges it on the present). A
    walk that loops, runs away or is refused fails ``check_id`` (default SCN-PAGE-WALK).
    """
    filters = {k: str(v) for k, v in (filters or {}).items()}
    key = (id(client.target), client.account_sid, tuple(sorted(filters.items())))
    if fresh or key not in _COMPLETE:
        kwargs: dict[str, Any] = {"max_pages": COMPLETE_MAX_PAGES}
        if check_id is not None:
            kwargs["check_id"] = check_id
        pages = walk(client, {**filters, "PageSize": COMPLETE_PAGE_SIZE}, **kwargs)
        sims = [sim for page in pages for sim in (body(page) or {}).get("sims", []) if isinstance(sim, dict)]
        _COMPLETE[key] = (client.target, CompleteList(pages, sims))
    return _COMPLETE[key][1]


def fits(client: TargetClient, filters: dict[str, str], page_size: int) -> bool:
    """Whether the list with ``filters`` fits in :data:`FULL_PAGES` pages of ``page_size`` (one request)."""
    probe = client.get("/v1/Sims", params={**filters, "PageSize": COMPLETE_PAGE_SIZE})
    meta = (body(probe) or {}).get("meta") if isinstance(body(probe), dict) else None
    sids = page_sids(probe) or []
    more = isinstance(meta, dict) and meta.get("next_page_url") is not None
    return not more and len(sids) <= FULL_PAGES * page_size


def first_pages(
    client: TargetClient, params: dict[str, Any], check_id: str, *, whole: bool | None = None
) -> tuple[list[Exchange], bool]:
    """(pages, complete): the walk at ``params``, to its end when the list fits in
    :data:`FULL_PAGES` pages, else its first :data:`PREFIX_PAGES` pages."""
    size = int(params.get("PageSize", 50))
    filters = {k: str(v) for k, v in params.items() if k != "PageSize"}
    if whole is None:
        whole = fits(client, filters, size)
    pages = walk(client, params, check_id=check_id, stop_after=None if whole else PREFIX_PAGES)
    last = body(pages[-1]) or {}
    ended = isinstance(last, dict) and isinstance(last.get("meta"), dict) and last["meta"].get("next_page_url") is None
    return pages, ended


def expect_same_prefix(
    client: TargetClient, params: dict[str, Any], pages: list[Exchange], check_id: str, requirements: list[str]
) -> None:
    """The Sims of a bounded walk are the first Sims of a fresh list with the same filters.

    The reference is one request (PageSize = the Sims walked, at most 1000); when the two
    disagree (another test changed the list meanwhile) both are taken again, up to three times,
    before it counts.
    """
    filters = {k: str(v) for k, v in params.items() if k != "PageSize"}
    walked = [sid for page in pages for sid in (page_sids(page) or [])]
    count = min(len(walked), COMPLETE_PAGE_SIZE)
    reference: list[str] | None = None
    for attempt in range(3):
        if attempt:
            walked = [sid for page in walk(client, params, check_id=check_id, stop_after=len(pages))
                      for sid in (page_sids(page) or [])]  # fmt: skip
        fresh = client.get("/v1/Sims", params={**filters, "PageSize": count})
        reference = page_sids(fresh)
        if reference is not None and walked[:count] == reference:
            return
    expect(
        False,
        check_id,
        f"the first {len(pages)} pages at PageSize={params.get('PageSize')} are not the first {count} Sims "
        "of the same list read in one page",
        expected=reference[:10] if reference else reference,
        received=walked[:10],
        requirements=requirements,
    )
