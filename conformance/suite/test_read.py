"""Read-only scenarios: fetch, addressing, lists, pagination, filters. Safe on a live account."""

from __future__ import annotations

from collections import Counter

import pytest

from conformance.checks import CHECKS, expect, expect_soft, fail
from conformance.checks.scenarios import (
    FETCH_BY_NAME,
    FETCH_BY_SID,
    FETCH_UNKNOWN,
    FILTER_COMBINED,
    FILTER_EXACT,
    FILTER_FLEET,
    FILTER_ICCID,
    FILTER_PAGES,
    FILTER_STATUS,
    LIST_DEFAULT,
    LIST_ITEM,
    LIST_SCOPE,
    PAGE_COMPLETE,
    PAGE_INDEX_BOUNDS,
    PAGE_LINKS,
    PAGE_SIZE_BOUNDS,
    PAGE_WALK,
)
from conformance.suite import lists
from conformance.suite.helpers import body, error_code, sims_of, walk

check = pytest.mark.supersim_check
STATUSES = ["new", "ready", "active", "inactive"]


def _one_reserved(sc_pool, account, **filters):
    sims = sc_pool.reserved_sims(account, **filters)
    if not sims:
        pytest.skip(f"the profile lists no SIM of account {account} matching {filters or 'any'}")
    return sims[0]


@check(FETCH_BY_SID)
@pytest.mark.parametrize("status", STATUSES)
def test_fetch_by_sid(sc_primary, sc_pool, status):
    seed = _one_reserved(sc_pool, sc_primary.account_sid, status=status)
    exchange = sc_primary.get(f"/v1/Sims/{seed.sid}")
    expect(
        exchange.status == 200,
        FETCH_BY_SID,
        "fetching a SIM of the account did not answer 200",
        expected=200,
        received=exchange.status,
        exchange=exchange,
    )
    sim = body(exchange)
    expect(
        sim["sid"] == seed.sid and sim["iccid"] == seed.iccid and sim["account_sid"] == seed.account,
        FETCH_BY_SID,
        "the fetched Sim is not the one the profile lists under that SID",
        expected={"sid": seed.sid, "iccid": seed.iccid, "account_sid": seed.account},
        received={k: sim.get(k) for k in ("sid", "iccid", "account_sid")},
        exchange=exchange,
    )


@check(FETCH_BY_NAME)
def test_fetch_by_unique_name_is_fetch_by_sid(sc_primary, sc_pool):
    named = [s for s in sc_pool.reserved_sims(sc_primary.account_sid) if s.unique_name]
    if not named:
        pytest.skip("the profile lists no SIM with a unique_name among the reserved SIMs")
    seed = named[0]
    by_sid = sc_primary.get(f"/v1/Sims/{seed.sid}")
    by_name = sc_primary.get(f"/v1/Sims/{seed.unique_name}")
    expect(
        by_name.status == 200,
        FETCH_BY_NAME,
        "fetching by unique name did not answer 200",
        expected=200,
        received=by_name.status,
        exchange=by_name,
    )
    expect(
        body(by_name) == body(by_sid),
        FETCH_BY_NAME,
        "fetching by unique name answered a different representation than fetching by SID",
        expected=body(by_sid),
        received=body(by_name),
        exchange=by_name,
    )


@check(FETCH_UNKNOWN)
@pytest.mark.parametrize("key", ["HS" + "0" * 32, "HSffffffffffffffffffffffffffffffff", "no-such-unique-name"])
def test_fetch_unknown_is_404(sc_primary, key):
    exchange = sc_primary.get(f"/v1/Sims/{key}")
    expect(
        exchange.status == 404,
        FETCH_UNKNOWN,
        "an unknown Sim did not answer 404",
        expected=404,
        received=exchange.status,
        exchange=exchange,
    )
    expect(
        error_code(exchange) == 20404,
        FETCH_UNKNOWN,
        "the 404 does not carry Twilio error code 20404",
        expected=20404,
        received=error_code(exchange),
        exchange=exchange,
    )


@check(LIST_DEFAULT)
def test_plain_list_is_first_page_of_50(sc_primary):
    exchange = sc_primary.get("/v1/Sims")
    expect(
        exchange.status == 200,
        LIST_DEFAULT,
        "GET /v1/Sims did not answer 200",
        expected=200,
        received=exchange.status,
        exchange=exchange,
    )
    meta = body(exchange)["meta"]
    observed = {k: meta.get(k) for k in ("page", "page_size", "key")}
    wanted = {"page": 0, "page_size": 50, "key": "sims"}
    expect(
        observed == wanted,
        LIST_DEFAULT,
        "the first page's meta is not page 0 of 50",
        expected=wanted,
        received=observed,
        exchange=exchange,
    )
    expect(
        meta.get("previous_page_url") is None,
        LIST_DEFAULT,
        "the first page has a previous_page_url",
        expected=None,
        received=meta.get("previous_page_url"),
        exchange=exchange,
        requirements=["SIM-PAGE-009"],  # a SHOULD: the Sim page's own example shows one
    )


@check(PAGE_WALK)
@pytest.mark.parametrize("page_size", [7, 50, 1000])
def test_walk_visits_every_sim_once(sc_primary, sc_pool, page_size):
    """At PageSize 1000 the whole list (the complete walk the other list scenarios share); at a
    small page size the whole list while it fits in ``lists.FULL_PAGES`` pages, else its first
    pages, which must be the first Sims of a fresh list read in one page."""
    if page_size == lists.COMPLETE_PAGE_SIZE:  # its own walk (the one the others then share)
        pages, complete = lists.complete_list(sc_primary, fresh=True).pages, True
    else:
        pages, complete = lists.first_pages(sc_primary, {"PageSize": page_size}, PAGE_WALK)
        if not complete:
            lists.expect_same_prefix(
                sc_primary, {"PageSize": page_size}, pages, PAGE_WALK, ["SIM-PAGE-007", "SIM-LIST-005"]
            )
    sids = [sim["sid"] for sim in sims_of(pages)]
    duplicates = _duplicates(sids)
    expect(
        not duplicates,
        PAGE_WALK,
        f"the walk at PageSize={page_size} returned Sims more than once",
        expected="each Sim once",
        received=duplicates[:5],
        exchange=pages[-1],
    )
    listed = set(sids)
    missing = sorted(s.sid for s in sc_pool.reserved_sims(sc_primary.account_sid) if s.sid not in listed)
    if missing and page_size == lists.COMPLETE_PAGE_SIZE:  # another worker moved one meanwhile? walk again
        listed = set(lists.complete_list(sc_primary, fresh=True).sids)
        missing = [
            sid for sid in missing if sid not in listed and _account_of(sc_primary, sid) == sc_primary.account_sid
        ]
    expect(
        not missing or not complete,
        PAGE_WALK,
        f"the walk at PageSize={page_size} missed Sims of the account",
        expected="every Sim of the account",
        received=f"missing {missing[:5]}",
        exchange=pages[-1],
    )
    for index, page in enumerate(pages):
        meta = body(page)["meta"]
        last = index == len(pages) - 1 and complete
        expect(
            (meta["next_page_url"] is None) == last,
            PAGE_WALK,
            "next_page_url is null on a page that is not the last"
            if not last
            else "next_page_url is not null on the last page",
            expected="null only on the last page",
            received=meta["next_page_url"],
            exchange=page,
        )
        if index:
            expect(
                meta["previous_page_url"] is not None,
                PAGE_WALK,
                "previous_page_url is null on a page that is not the first",
                expected="the URL of the previous page",
                received=None,
                exchange=page,
                requirements=["SIM-LIST-006"],
            )
        else:
            expect_soft(
                meta["previous_page_url"] is None,
                PAGE_WALK,
                "previous_page_url is not null on the first page",
                expected=None,
                received=meta["previous_page_url"],
                exchange=page,
                requirements=["SIM-PAGE-009"],  # a SHOULD: the Sim page's own example shows one
            )
        expect(
            meta["page"] == index,
            PAGE_WALK,
            "meta.page does not count the pages walked",
            expected=index,
            received=meta["page"],
            exchange=page,
        )
        expect(
            _describes(meta["url"], page.url, index, page_size),
            PAGE_WALK,
            "meta.url is not the URL of the page it describes (filters, PageSize, Page, PageToken)",
            expected=page.url,
            received=meta["url"],
            exchange=page,
        )
        if not last:
            expect(
                len(_page_sims(page)) == page_size,
                PAGE_WALK,
                "a page before the last is not full",
                expected=page_size,
                received=len(_page_sims(page)),
                exchange=page,
            )
        expect(
            meta["first_page_url"] == body(pages[0])["meta"]["first_page_url"],
            PAGE_WALK,
            "first_page_url changes during the walk",
            expected=body(pages[0])["meta"]["first_page_url"],
            received=meta["first_page_url"],
            exchange=page,
        )
    if len(pages) > 1:
        _second_page_leads_back(sc_primary, pages[0], pages[1])


def _duplicates(sids: list[str]) -> list[str]:
    """The SIDs seen more than once (counted in one pass: a 50,000-Sim walk is 50,000 SIDs)."""
    return sorted(sid for sid, seen in Counter(sids).items() if seen > 1)


def _second_page_leads_back(client, first, second, attempts: int = 3) -> None:
    """previous_page_url of the second page answers the first page's Sims.

    Other scenarios of a full run change the account meanwhile (a Sim moved away and back),
    and then the first page of a moment ago is not the first page now. So a mismatch is
    rechecked on a fresh first page, second page and back link, taken one right after the
    other; only a link that never leads back fails.
    """

    def sids(exchange):
        return [s["sid"] for s in body(exchange)["sims"]]

    back = client.get(body(second)["meta"]["previous_page_url"])
    for _ in range(attempts):
        if sids(back) == sids(first):
            return
        first = client.get(body(first)["meta"]["first_page_url"])
        next_url = body(first)["meta"].get("next_page_url")
        if next_url is None:
            return  # the account shrank to one page meanwhile: nothing to lead back to
        second = client.get(next_url)
        back = client.get(body(second)["meta"]["previous_page_url"])
    expect(
        sids(back) == sids(first),
        PAGE_WALK,
        "previous_page_url of the second page does not lead back to the first page",
        expected=sids(first)[:3],
        received=sids(back)[:3],
        exchange=back,
        requirements=["SIM-LIST-006"],
    )


def _describes(meta_url: str, requested: str, index: int, page_size: int) -> bool:
    """meta.url names the page requested: same path, filters and PageToken, Page = index.

    Twilio writes PageSize and Page into meta.url even when the request left them out, so
    the URLs need not be equal, only equivalent.
    """
    from urllib.parse import parse_qsl, urlsplit

    meta, asked = urlsplit(meta_url), urlsplit(requested)
    mq, aq = dict(parse_qsl(meta.query)), dict(parse_qsl(asked.query))
    same_filters = all(mq.get(k) == aq.get(k) for k in ("Status", "Fleet", "Iccid"))
    same_token = "PageToken" not in aq or mq.get("PageToken") == aq["PageToken"]
    return (
        (meta.scheme, meta.netloc, meta.path) == (asked.scheme, asked.netloc, asked.path)
        and same_filters
        and same_token
        and mq.get("PageSize", str(page_size)) == str(page_size)
        and mq.get("Page", str(index)) == str(index)
    )


@check(PAGE_SIZE_BOUNDS)
@pytest.mark.parametrize(
    "size,accepted", [(1, True), (1000, True), (0, False), (1001, False), (-5, False), ("ten", False), ("2.5", False)]
)
def test_page_size_bounds(sc_primary, size, accepted):
    exchange = sc_primary.get("/v1/Sims", params={"PageSize": size})
    if accepted:
        expect(
            exchange.status == 200,
            PAGE_SIZE_BOUNDS,
            f"PageSize={size} is within 1..1000 but was refused",
            expected=200,
            received=exchange.status,
            exchange=exchange,
        )
        count = len(body(exchange)["sims"])
        expect(
            count <= size,
            PAGE_SIZE_BOUNDS,
            f"PageSize={size} answered more Sims than asked",
            expected=f"<= {size}",
            received=count,
            exchange=exchange,
        )
    elif isinstance(size, str):
        # not an integer at all: the documented type is broken, and Twilio's convention is a 400
        expect(
            400 <= exchange.status < 500,
            PAGE_SIZE_BOUNDS,
            f"PageSize={size!r} is not an integer but was not refused",
            expected="a 4xx",
            received=exchange.status,
            exchange=exchange,
            requirements=["SIM-PAGE-003"],
        )
    else:
        _refused_or_clamped(exchange, PAGE_SIZE_BOUNDS, f"PageSize={size}")


@check(PAGE_INDEX_BOUNDS)
@pytest.mark.parametrize("page", [-1, "1.5", "two"])
def test_negative_page_is_refused(sc_primary, page):
    exchange = sc_primary.get("/v1/Sims", params={"Page": page})
    if isinstance(page, str):
        # not an integer at all: the documented type is broken, and Twilio's convention is a 400
        expect(
            400 <= exchange.status < 500,
            PAGE_INDEX_BOUNDS,
            f"Page={page!r} is not an integer but was not refused",
            expected="a 4xx",
            received=exchange.status,
            exchange=exchange,
            requirements=["SIM-PAGE-004"],
        )
        return
    _refused_or_clamped(exchange, PAGE_INDEX_BOUNDS, f"Page={page}")


def _refused_or_clamped(exchange, check_id: str, what: str) -> None:
    """An out-of-range integer: the page states the range, not the answer outside it.

    Refused (4xx) is what Twilio does; a 200 whose page stays within the documented range
    (clamped) breaks only the SHOULD SIM-ERR-003; a 200 outside the range breaks the MUST.
    """
    if 400 <= exchange.status < 500:
        return
    expect(
        exchange.status == 200,
        check_id,
        f"{what} is out of range and was neither refused (4xx) nor answered (200)",
        expected="400 (or a page clamped into range)",
        received=exchange.status,
        exchange=exchange,
    )
    page = body(exchange)
    meta = page.get("meta", {}) if isinstance(page, dict) else {}
    sims = page.get("sims", []) if isinstance(page, dict) else []
    size, index = meta.get("page_size"), meta.get("page")
    clamped = (
        isinstance(size, int) and 1 <= size <= 1000 and isinstance(index, int) and index >= 0 and len(sims) <= size
    )
    expect(
        clamped,
        check_id,
        f"{what} was answered with a page outside the documented range",
        expected="page_size 1..1000, page >= 0, at most page_size Sims",
        received={"page_size": size, "page": index, "sims": len(sims)},
        exchange=exchange,
        requirements=[r for r in ("SIM-PAGE-002", "SIM-PAGE-004") if r in CHECKS[check_id].requirements],
    )
    fail(
        check_id,
        f"{what} is out of range and was clamped into range instead of refused with 400",
        expected=400,
        received=f"200 with page_size {size}, page {index}",
        exchange=exchange,
        requirements=["SIM-ERR-003"],
    )


@check(FILTER_STATUS)
@pytest.mark.parametrize("status", STATUSES + ["scheduled"])
def test_status_filter(sc_primary, sc_pool, status):
    pages = lists.complete_list(sc_primary, {"Status": status}, check_id=FILTER_STATUS).pages
    sids = {sim["sid"] for sim in sims_of(pages)}
    # The profile's statuses are those of the run's start; a Sim may have moved on since (a ready
    # one turns active by itself): what counts is what a fetch by SID shows now.
    missing = [
        s.sid
        for s in sc_pool.reserved_sims(sc_primary.account_sid, status=status)
        if s.sid not in sids and _fetched(sc_primary, s.sid).get("status") == status
    ]
    if missing:  # the list changed meanwhile? judge the filter on a fresh walk
        pages = lists.complete_list(sc_primary, {"Status": status}, fresh=True, check_id=FILTER_STATUS).pages
        sids = {sim["sid"] for sim in sims_of(pages)}
        missing = [sid for sid in missing if sid not in sids and _fetched(sc_primary, sid).get("status") == status]
    expect(
        not missing,
        FILTER_STATUS,
        f"the Status={status} filter left out Sims in that status",
        expected="every Sim in that status",
        received=f"missing {missing[:5]}",
        exchange=pages[0],
    )
    listed = {sim["sid"]: sim for sim in sims_of(pages)}
    others = [
        s.sid
        for s in sc_pool.reserved_sims(sc_primary.account_sid)
        if s.status != status and s.sid in listed and listed[s.sid].get("status") != status
    ]  # a Sim listed under the filter showing that status is one that changed since the profile
    expect(
        not others,
        FILTER_STATUS,
        f"the Status={status} filter answered Sims in other statuses",
        expected=f"only {status}",
        received=others[:5],
        exchange=pages[0],
    )


@check(FILTER_FLEET)
def test_fleet_filter_by_sid_and_name(sc_primary, sc_pool):
    fleets = [
        f for f in sc_pool.fleets(sc_primary.account_sid) if sc_pool.reserved_sims(sc_primary.account_sid, fleet=f.sid)
    ]
    if not fleets:
        pytest.skip("the profile lists no fleet of the primary account with SIMs")
    for fleet in fleets:
        by_sid = set(lists.complete_list(sc_primary, {"Fleet": fleet.sid}, check_id=FILTER_FLEET).sids)
        expected = {
            s.sid
            for s in sc_pool.reserved_sims(sc_primary.account_sid, fleet=fleet.sid)
            if s.sid in by_sid or _matches_now(sc_primary, s.sid, fleet_sid=fleet.sid)
        }
        expect(
            expected <= by_sid,
            FILTER_FLEET,
            f"the Fleet={fleet.sid} filter left out Sims of that fleet",
            expected=sorted(expected)[:5],
            received=sorted(by_sid)[:5],
        )
        if fleet.unique_name:
            # Other scenarios of a full run move Sims into and out of fleets meanwhile: the two
            # filters are compared on lists taken one right after the other, and a difference
            # counts only if it is still there on a fresh pair (it never is on a correct target).
            pages = walk(sc_primary, {"Fleet": fleet.unique_name, "PageSize": 1000})
            by_name = {s["sid"] for s in sims_of(pages)}
            for _ in range(2):
                if by_name == by_sid:
                    break
                by_sid = {s["sid"] for s in sims_of(walk(sc_primary, {"Fleet": fleet.sid, "PageSize": 1000}))}
                pages = walk(sc_primary, {"Fleet": fleet.unique_name, "PageSize": 1000})
                by_name = {s["sid"] for s in sims_of(pages)}
            expect(
                by_name == by_sid,
                FILTER_FLEET,
                "filtering by the fleet's unique name answers other Sims than by its SID",
                expected=sorted(by_sid)[:5],
                received=sorted(by_name)[:5],
                exchange=pages[0],
            )


@check(FILTER_ICCID)
def test_iccid_filter_finds_exactly_one(sc_primary, sc_pool):
    seed = _one_reserved(sc_pool, sc_primary.account_sid)
    exchange = sc_primary.get("/v1/Sims", params={"Iccid": seed.iccid})
    sims = body(exchange)["sims"]
    expect(
        [s["sid"] for s in sims] == [seed.sid],
        FILTER_ICCID,
        "the Iccid filter did not answer exactly that one Sim",
        expected=[seed.sid],
        received=[s.get("sid") for s in sims],
        exchange=exchange,
    )


@check(FILTER_ICCID)
def test_iccid_filter_unknown_is_empty(sc_primary):
    exchange = sc_primary.get("/v1/Sims", params={"Iccid": "89000000000000000000"})
    expect(
        exchange.status == 200 and body(exchange)["sims"] == [],
        FILTER_ICCID,
        "an ICCID that is not on the account did not answer 200 with an empty list",
        expected="200 with sims []",
        received=f"{exchange.status} {exchange.excerpt()}",
        exchange=exchange,
    )


@check(FILTER_COMBINED)
def test_status_and_fleet_combined(sc_primary, sc_pool):
    pairs = [(s.status, s.fleet) for s in sc_pool.reserved_sims(sc_primary.account_sid) if s.fleet]
    if not pairs:
        pytest.skip("the profile lists no SIM with a fleet")
    status, fleet = pairs[0]
    pages, complete = lists.first_pages(sc_primary, {"Status": status, "Fleet": fleet, "PageSize": 5}, FILTER_COMBINED)
    if not complete:  # a long list: all of it at PageSize 1000
        pages = lists.complete_list(sc_primary, {"Status": status, "Fleet": fleet}, check_id=FILTER_COMBINED).pages
    for sim in sims_of(pages):
        if sim["status"] != status or sim["fleet_sid"] != fleet:
            fail(
                FILTER_COMBINED,
                "a combined Status and Fleet filter answered a Sim matching only one of them",
                expected={"status": status, "fleet_sid": fleet},
                received={"sid": sim["sid"], "status": sim["status"], "fleet_sid": sim["fleet_sid"]},
                exchange=pages[0],
            )
    got = {s["sid"] for s in sims_of(pages)}
    wanted = {
        s.sid
        for s in sc_pool.reserved_sims(sc_primary.account_sid, status=status, fleet=fleet)
        if s.sid in got or _matches_now(sc_primary, s.sid, status=status, fleet_sid=fleet)
    }  # what the profile says, unless the Sim has changed since (a ready one turns active by itself)
    expect(
        wanted <= got,
        FILTER_COMBINED,
        "the combined filter left out Sims matching both",
        expected=sorted(wanted),
        received=sorted(got)[:5],
        exchange=pages[0],
    )


# --- invariants across requests (issue 12) -------------------------------------------------
#
# Other tests of a full run change the account meanwhile (statuses, fleets, Sims moved away and
# back, Sims registered). Every comparison below is therefore made on answers taken back to back
# and, when they disagree, taken again: only a disagreement that survives fresh reads fails.

#: How often a disagreement between two answers is re-read before it counts.
ATTEMPTS = 3
#: How often a whole walk is taken before what it missed counts (each is many requests).
WALK_ATTEMPTS = 2
#: The fields of a Sim the documentation lists (a list item and a fetch are compared on these).
SIM_FIELDS = (
    "sid",
    "unique_name",
    "account_sid",
    "fleet_sid",
    "iccid",
    "status",
    "date_created",
    "date_updated",
    "url",
    "links",
)


def _page_sims(exchange) -> list[dict]:
    """The Sim representations a list page holds (none for an answer that is no list page)."""
    page = body(exchange)
    sims = page.get("sims") if isinstance(page, dict) else None
    return [s for s in sims if isinstance(s, dict)] if isinstance(sims, list) else []


def _meta(exchange) -> dict:
    page = body(exchange)
    meta = page.get("meta") if isinstance(page, dict) else None
    return meta if isinstance(meta, dict) else {}


def _query(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def _same_request(url_a: str, url_b: str, page_size: int) -> bool:
    """Whether two list URLs ask for the same page: same origin, path and parameters (PageSize, Page defaulted)."""
    from urllib.parse import urlsplit

    a, b = urlsplit(url_a), urlsplit(url_b)
    defaults = {"PageSize": str(page_size), "Page": "0"}
    return (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path) and {**defaults, **_query(url_a)} == {
        **defaults,
        **_query(url_b),
    }


def _same_answers(client, url_a: str, url_b: str):
    """(equal, a, b): whether two URLs answer the same Sims, read back to back, re-read on a difference."""
    for _ in range(ATTEMPTS):
        a, b = client.get(url_a), client.get(url_b)
        if lists.page_sids(a) is not None and lists.page_sids(a) == lists.page_sids(b):
            return True, a, b
    return False, a, b


@check(PAGE_LINKS)
@pytest.mark.parametrize(
    "params",
    [{"PageSize": 7}, {"PageSize": 50}, {"PageSize": 7, "Status": "active"}],
    ids=["7", "50", "7-active"],
)
def test_every_link_leads_where_it_says(sc_primary, params):
    filters = {k: str(v) for k, v in params.items() if k != "PageSize"}
    asked = params["PageSize"]
    params = {**filters, "PageSize": asked}
    pages, _ = lists.first_pages(sc_primary, params, PAGE_LINKS)  # every page, or the first of a long list
    first_checked: set[str] = set()
    for index, page in enumerate(pages):
        meta = _meta(page)
        expect(
            meta.get("page_size") == asked,
            PAGE_LINKS,
            f"page {index} of the walk does not have the PageSize asked for (a link lost it)",
            expected=asked,
            received=meta.get("page_size"),
            exchange=page,
            requirements=["SIM-LIST-009", "SIM-LIST-010"],
        )
        expect(
            meta.get("page") == index,
            PAGE_LINKS,
            f"meta.page of the page reached after {index} next links is not {index}",
            expected=index,
            received=meta.get("page"),
            exchange=page,
            requirements=["SIM-LIST-008", "SIM-PAGE-005"],
        )
        for field in ("url", "first_page_url", "next_page_url", "previous_page_url"):
            url = meta.get(field)
            if not isinstance(url, str):
                continue
            linked = _query(url)
            expect(
                all(linked.get(k) == v for k, v in filters.items())
                and linked.get("PageSize", str(asked)) == str(asked),
                PAGE_LINKS,
                f"meta.{field} of page {index} does not keep the request's filters and PageSize",
                expected={**filters, "PageSize": str(asked)},
                received=url,
                exchange=page,
                requirements=["SIM-LIST-010"],
            )
        if isinstance(meta.get("url"), str) and not _same_request(meta["url"], page.url, asked):
            same, asked_again, described = _same_answers(sc_primary, page.url, meta["url"])
            expect(
                same,
                PAGE_LINKS,
                f"meta.url of page {index} does not answer the page it is on",
                expected=lists.page_sids(asked_again),
                received=lists.page_sids(described),
                exchange=described,
                requirements=["SIM-LIST-007"],
            )
        first_url = meta.get("first_page_url")
        if isinstance(first_url, str) and first_url not in first_checked:
            first_checked.add(first_url)
            same, fresh, linked_first = _same_answers(sc_primary, pages[0].url, first_url)
            expect(
                same and _meta(linked_first).get("page") == 0,
                PAGE_LINKS,
                f"first_page_url of page {index} does not answer the first page",
                expected={"sids": lists.page_sids(fresh), "page": 0},
                received={"sids": lists.page_sids(linked_first), "page": _meta(linked_first).get("page")},
                exchange=linked_first,
                requirements=["SIM-LIST-004"],
            )
        if index:
            _back_and_forth(sc_primary, params, pages[index - 1], page, index)


def _back_and_forth(client, params: dict, before, page, index: int) -> None:
    """previous_page_url of page ``index`` answers the page before it, and that page's next link answers it again.

    The first look compares with the walk's own pages. When Sims moved meanwhile the page
    before (read after page index-2) and the Sims before page ``index`` (read back from it) are
    rightly different windows, so a disagreement is looked at again against the list as it is
    now: the back page must hold the PageSize Sims just before the page's first Sim in a fresh
    PageSize=1000 list read right after, and its next link the PageSize Sims after its last.
    """
    size = int(params["PageSize"])
    expected_back: list[str] | None = lists.page_sids(before)
    expected_forward: list[str] | None = lists.page_sids(page)
    fresh, back, forward = page, None, None
    for attempt in range(ATTEMPTS):
        if attempt:
            fresh = client.get(page.url)
        previous_url = _meta(fresh).get("previous_page_url")
        back = client.get(previous_url) if isinstance(previous_url, str) else None
        next_url = _meta(back).get("next_page_url") if back is not None else None
        forward = client.get(next_url) if isinstance(next_url, str) else None
        if attempt:
            expected_back, expected_forward = _around(
                client, params, lists.page_sids(fresh), lists.page_sids(back) if back is not None else None, size
            )
            if expected_back is None:  # the fresh list cannot tell: the page before, read again
                expected_back = lists.page_sids(client.get(before.url))
            if expected_forward is None:
                expected_forward = lists.page_sids(fresh)
        got_back = lists.page_sids(back) if back is not None else None
        if (
            got_back is not None
            and got_back == expected_back
            and _meta(back).get("page") == index - 1
            and forward is not None
            and lists.page_sids(forward) == expected_forward
        ):
            return
    expect(
        back is not None and lists.page_sids(back) == expected_back,
        PAGE_LINKS,
        f"previous_page_url of page {index} does not answer the page before it",
        expected=expected_back,
        received=None if back is None else f"{back.status} {lists.page_sids(back)}",
        exchange=back or fresh,
        requirements=["SIM-LIST-006", "SIM-PAGE-006"],
    )
    expect(
        _meta(back).get("page") == index - 1,
        PAGE_LINKS,
        f"the page previous_page_url of page {index} leads to does not say page {index - 1}",
        expected=index - 1,
        received=_meta(back).get("page"),
        exchange=back,
        requirements=["SIM-LIST-006", "SIM-LIST-008"],
    )
    expect(
        forward is not None and lists.page_sids(forward) == expected_forward,
        PAGE_LINKS,
        f"next_page_url of the page before page {index} does not lead back to page {index}",
        expected=expected_forward,
        received=None if forward is None else f"{forward.status} {lists.page_sids(forward)}",
        exchange=forward or back,
        requirements=["SIM-LIST-005", "SIM-PAGE-006"],
    )


def _around(client, params: dict, page: list[str] | None, back: list[str] | None, size: int):
    """(the Sims just before ``page``'s first, the Sims just after ``back``'s last) in the list as it is now.

    None for what the fresh list cannot tell (the page's first Sim is no longer listed, or the
    list is longer than one page of 1000).
    """
    listed = client.get("/v1/Sims", params={**params, "PageSize": 1000})
    full = lists.page_sids(listed)
    if full is None or _meta(listed).get("next_page_url") is not None:
        return None, None
    before = None
    if page and page[0] in full:
        i = full.index(page[0])
        before = full[max(0, i - size) : i]
        if i < size and back == full[:size]:
            before = back  # the first page, whole: what a server answers for a short page 0 is its own choice
    after = None
    if back and back[-1] in full:
        j = full.index(back[-1]) + 1
        after = full[j : j + size]
    return before, after


def _walked(client, params, check_id):
    pages = walk(client, params, check_id=check_id)
    return pages, [sid for page in pages for sid in (lists.page_sids(page) or [])]


def _fetched(client, sid: str) -> dict:
    """The Sim as a fetch by SID shows it now ({} when the account does not hold it)."""
    exchange = client.get(f"/v1/Sims/{sid}")
    sim = body(exchange)
    return sim if exchange.status == 200 and isinstance(sim, dict) else {}


def _matches_now(client, sid: str, **fields: str) -> bool:
    """Whether a fetch by SID shows the Sim in the client's account with these field values now."""
    sim = _fetched(client, sid)
    return sim.get("account_sid") == client.account_sid and all(sim.get(k) == v for k, v in fields.items())


def _account_of(client, sid: str) -> str | None:
    """The account a fetch by SID shows the Sim in now (None: the account does not hold it)."""
    return _fetched(client, sid).get("account_sid")


@check(PAGE_COMPLETE)
@pytest.mark.parametrize("account,page_size", [("primary", 7), ("primary", 50), ("subaccount", 2)])
def test_walk_is_complete_and_ends(request, sc_pool, account, page_size):
    client = request.getfixturevalue(f"sc_{account}")
    known = {s.sid for s in sc_pool.sims(client.account_sid)}
    if not lists.fits(client, {}, page_size):
        # a long list: its first pages are the first Sims of the list; the complete walk at
        # PageSize 1000 (SCN-PAGE-WALK) judges the rest
        pages, _ = lists.first_pages(client, {"PageSize": page_size}, PAGE_COMPLETE, whole=False)
        lists.expect_same_prefix(client, {"PageSize": page_size}, pages, PAGE_COMPLETE, ["SIM-PAGE-007"])
        page_size = lists.COMPLETE_PAGE_SIZE
    missed: set[str] | None = None  # missed by every walk so far
    for attempt in range(WALK_ATTEMPTS):
        if page_size == lists.COMPLETE_PAGE_SIZE:
            complete = lists.complete_list(client, fresh=attempt > 0, check_id=PAGE_COMPLETE)
            pages, sids, everything = complete.pages, complete.sids, complete.sids
        else:
            pages, sids = _walked(client, {"PageSize": page_size}, PAGE_COMPLETE)
            everything = lists.complete_list(client, fresh=attempt > 0, check_id=PAGE_COMPLETE).sids
        duplicates = _duplicates(sids)
        missed = (known | set(everything)) - set(sids) if missed is None else missed - set(sids)
        missing = sorted(missed)
        empty_end = len(pages) > 1 and not lists.page_sids(pages[-1])
        if not (duplicates or missing or empty_end):
            return
        if attempt < WALK_ATTEMPTS - 1:
            continue
        expect(
            not duplicates,
            PAGE_COMPLETE,
            f"the walk at PageSize={page_size} visits Sims more than once",
            expected="each Sim once",
            received=duplicates[:5],
            exchange=pages[-1],
            requirements=["SIM-PAGE-007"],
        )
        still_here = _held(client, missing)
        expect(
            not still_here,
            PAGE_COMPLETE,
            f"the walk at PageSize={page_size} misses Sims the account holds (fetched by SID right after)",
            expected="every Sim of the account",
            received=f"missing {still_here[:5]} of {len(known | set(everything))}",
            exchange=pages[-1],
            requirements=["SIM-PAGE-007", "SIM-LIST-001"],
        )
        expect(
            not empty_end,
            PAGE_COMPLETE,
            f"the walk at PageSize={page_size} ends on an empty page after {len(pages) - 1} pages with Sims",
            expected="next_page_url null on the last page with Sims",
            received=_meta(pages[-2]).get("next_page_url"),
            exchange=pages[-2],
            requirements=["SIM-PAGE-008"],
        )


def _held(client, sids: list[str], field: str | None = None, value: str | None = None, enough: int = 5) -> list[str]:
    """Those of ``sids`` a fetch by SID shows in the client's account (with ``field`` = ``value``), up to ``enough``."""
    held: list[str] = []
    for sid in sids:
        sim = _fetched(client, sid)
        if sim.get("account_sid") == client.account_sid and (field is None or sim.get(field) == value):
            held.append(sid)
            if len(held) >= enough:
                break
    return held


def _altered_iccids(iccid: str) -> dict[str, str]:
    neighbour = iccid[:-1] + ("1" if iccid[-1] != "1" else "2")
    return {
        "cut by one digit": iccid[:-1],
        "one digit more": iccid + "0",
        "a leading space": " " + iccid,
        "a trailing space": iccid + " ",
        "the last digit changed": neighbour,
    }


@check(FILTER_EXACT)
def test_iccid_filter_matches_exactly(sc_primary, sc_pool):
    own = sc_pool.sims(sc_primary.account_sid)
    if not own:
        pytest.skip("the profile lists no SIM of the primary account")
    known_iccids = {s.iccid for s in sc_pool.profile.sims} | {c.iccid for c in sc_pool.profile.registrable}
    # the last Sim the profile lists: a filter that looks only at the first page(s) misses it
    seed = own[-1]
    for _ in range(ATTEMPTS):
        exchange = sc_primary.get("/v1/Sims", params={"Iccid": seed.iccid})
        if lists.page_sids(exchange) == [seed.sid] or _account_of(sc_primary, seed.sid) != sc_primary.account_sid:
            break
    else:
        fail(
            FILTER_EXACT,
            "the Iccid filter does not find a Sim the account holds",
            expected=[seed.sid],
            received=f"{exchange.status} {lists.page_sids(exchange)}",
            exchange=exchange,
            requirements=["SIM-FILTER-006"],
        )
    for what, value in _altered_iccids(seed.iccid).items():
        if value.strip() != seed.iccid and value.strip() in known_iccids:
            continue  # another Sim or card of the profile really has it
        exchange = sc_primary.get("/v1/Sims", params={"Iccid": value})
        if 400 <= exchange.status < 500:
            continue  # not an ICCID of the account's Sims: it may be refused as malformed (length, check digit)
        sims = body(exchange).get("sims") if exchange.status == 200 and isinstance(body(exchange), dict) else None
        expect(
            isinstance(sims, list)
            and all(isinstance(s, dict) and s.get("iccid") == value for s in sims)
            and (sims == [] or value.strip() != seed.iccid),
            FILTER_EXACT,
            f"the Iccid filter with {seed.iccid} {what} ({value!r}) did not answer 200 with no Sim",
            expected="200 with sims [] (or a 4xx refusing the value)",
            received=f"{exchange.status} {lists.page_sids(exchange)}",
            exchange=exchange,
            requirements=["SIM-FILTER-005", "SIM-FILTER-007"],
        )
    others = [s for a in sc_pool.profile.accounts if a.role == "unrelated" for s in sc_pool.sims(a.sid)]
    for other in others[:2]:
        exchange = sc_primary.get("/v1/Sims", params={"Iccid": other.iccid})
        expect(
            exchange.status == 200 and lists.page_sids(exchange) == [],
            FILTER_EXACT,
            "the Iccid filter with the ICCID of an unrelated account's Sim did not answer 200 with no Sim",
            expected="200 with sims []",
            received=f"{exchange.status} {lists.page_sids(exchange)}",
            exchange=exchange,
            requirements=["SIM-FILTER-007"],
        )


@check(FILTER_EXACT)
def test_altered_fleet_matches_nothing(sc_primary, sc_pool):
    fleets = [
        f for f in sc_pool.fleets(sc_primary.account_sid) if sc_pool.reserved_sims(sc_primary.account_sid, fleet=f.sid)
    ]
    if not fleets:
        pytest.skip("the profile lists no fleet of the primary account with SIMs")
    names = {f.sid for f in sc_pool.profile.fleets} | {f.unique_name for f in sc_pool.profile.fleets if f.unique_name}
    fleet = fleets[0]
    last = "0" if fleet.sid[-1] != "0" else "1"
    altered = {"the SID cut by one": fleet.sid[:-1], "the SID's last digit changed": fleet.sid[:-1] + last}
    if fleet.unique_name:
        altered |= {
            "the unique name cut by one": fleet.unique_name[:-1],
            "the unique name and more": fleet.unique_name + "x",
        }
    for what, value in altered.items():
        if value in names:
            continue  # another fleet of the profile has that SID or name
        exchange = sc_primary.get("/v1/Sims", params={"Fleet": value, "PageSize": 1000})
        if exchange.status != 200:
            continue  # an unknown fleet may be refused (Twilio answers 404)
        sims = body(exchange).get("sims") if isinstance(body(exchange), dict) else None
        wrong = [s.get("sid") for s in sims or [] if isinstance(s, dict) and s.get("fleet_sid") == fleet.sid]
        expect(
            isinstance(sims, list) and not wrong,
            FILTER_EXACT,
            f"the Fleet filter with {what} ({value!r}) answers Sims of fleet {fleet.sid}",
            expected="no Sim of that fleet (or a 404)",
            received=wrong[:5],
            exchange=exchange,
            requirements=["SIM-FILTER-003"],
        )


@check(FILTER_PAGES)
@pytest.mark.parametrize("status", STATUSES + ["scheduled"])
def test_status_filter_page_by_page(sc_primary, status):
    first = sc_primary.get("/v1/Sims", params={"Status": status, "PageSize": 7})
    expect(
        first.status == 200 and lists.page_sids(first) is not None,
        FILTER_PAGES,
        f"the documented Status value {status!r} was not accepted as a list filter",
        expected=200,
        received=first.status,
        exchange=first,
        requirements=["SIM-FILTER-002"],
    )
    _filter_walk_is_exact(sc_primary, "Status", status, "status", status, 7)


@check(FILTER_PAGES)
def test_fleet_filter_page_by_page(sc_primary, sc_pool):
    fleets = sc_pool.fleets(sc_primary.account_sid)
    if not fleets:
        pytest.skip("the profile lists no fleet of the primary account")
    for fleet in fleets:
        _filter_walk_is_exact(sc_primary, "Fleet", fleet.sid, "fleet_sid", fleet.sid, 5)


def _filter_walk_is_exact(client, name: str, value: str, field: str, wanted: str, page_size: int) -> None:
    """The list filtered by ``name=value``, walked page by page, is the Sims whose ``field`` is ``wanted``.

    Each page holds only matching Sims (a page's own representations: no race), and the walk
    holds every matching Sim of a fresh unfiltered list; a Sim counts as left out only if two
    filtered walks miss it and a fetch by SID right after still shows it matching.
    """
    size = page_size
    if not lists.fits(client, {name: value}, page_size):
        # a long list: its first pages at the small size are the first Sims of the filtered list,
        # and the filter is judged on the whole filtered list at PageSize 1000
        params = {name: value, "PageSize": page_size}
        prefix, _ = lists.first_pages(client, params, FILTER_PAGES, whole=False)
        lists.expect_same_prefix(client, params, prefix, FILTER_PAGES, ["SIM-LIST-010"])
        size = lists.COMPLETE_PAGE_SIZE
    missed: set[str] | None = None  # missed by every filtered walk so far
    for attempt in range(WALK_ATTEMPTS):
        pages, sids = _walked(client, {name: value, "PageSize": size}, FILTER_PAGES)
        for index, page in enumerate(pages):
            wrong = [(s.get("sid"), s.get(field)) for s in _page_sims(page) if s.get(field) != wanted]
            expect(
                not wrong,
                FILTER_PAGES,
                f"page {index} of the {name}={value} list holds Sims with another {field}",
                expected=f"only {field} {wanted}",
                received=wrong[:5],
                exchange=page,
                requirements=["SIM-FILTER-001" if name == "Status" else "SIM-FILTER-003", "SIM-LIST-010"],
            )
        everything = lists.complete_list(client, fresh=attempt > 0, check_id=FILTER_PAGES)
        expected = {s["sid"] for s in everything.sims if s.get(field) == wanted}
        missed = expected - set(sids) if missed is None else missed - set(sids)
        if not missed:
            return
        if attempt == WALK_ATTEMPTS - 1:
            still = _held(client, sorted(missed), field, wanted)
            expect(
                not still,
                FILTER_PAGES,
                f"the {name}={value} list, walked page by page, leaves out Sims it matches",
                expected=f"every Sim of the account with {field} {wanted}",
                received=f"missing {still[:5]}",
                exchange=pages[-1],
                requirements=["SIM-FILTER-001" if name == "Status" else "SIM-FILTER-003"],
            )


@check(LIST_SCOPE)
@pytest.mark.parametrize(
    "account,params",
    [
        ("primary", {"PageSize": 25}),
        ("primary", {"PageSize": 7, "Status": "new"}),
        ("subaccount", {"PageSize": 2}),
        ("subaccount", {"PageSize": 1, "Status": "new"}),
    ],
    ids=["primary", "primary-new", "subaccount", "subaccount-new"],
)
def test_every_page_holds_only_the_accounts_sims(request, account, params):
    client = request.getfixturevalue(f"sc_{account}")
    filters = {k: v for k, v in params.items() if k != "PageSize"}
    pages, complete = lists.first_pages(client, params, LIST_SCOPE)
    if not complete:  # a long list: the rest of it, at PageSize 1000
        pages = pages + lists.complete_list(client, filters, check_id=LIST_SCOPE).pages
    for index, page in enumerate(pages):
        foreign = [
            (s.get("sid"), s.get("account_sid")) for s in _page_sims(page) if s.get("account_sid") != client.account_sid
        ]
        expect(
            not foreign,
            LIST_SCOPE,
            f"page {index} of the {account}'s list holds Sims of another account",
            expected=f"account_sid {client.account_sid}",
            received=foreign[:5],
            exchange=page,
        )


@check(LIST_ITEM)
def test_listed_sim_is_the_fetched_sim(sc_primary):
    params = {"PageSize": 20}
    page = sc_primary.get("/v1/Sims", params=params)
    expect(
        lists.page_sids(page) is not None,
        LIST_ITEM,
        "the list did not answer a page",
        expected=200,
        received=page.status,
        exchange=page,
    )
    for listed in _page_sims(page):
        sid = str(listed.get("sid"))
        for attempt in range(ATTEMPTS):
            if attempt:  # changed meanwhile? list it again and fetch it right after
                page = sc_primary.get("/v1/Sims", params=params)
                listed = next((s for s in _page_sims(page) if s.get("sid") == sid), {})
            sim = _fetched(sc_primary, sid)
            fields = [k for k in SIM_FIELDS if listed.get(k) != sim.get(k)]
            if not listed or not sim or not fields:
                break  # the same Sim, or no longer on the page or in the account: nothing to compare
        else:
            fail(
                LIST_ITEM,
                f"a Sim on a list page differs from the same Sim fetched by its SID ({', '.join(fields)})",
                expected={k: sim.get(k) for k in fields},
                received={k: listed.get(k) for k in fields},
                exchange=page,
            )
