"""Read-only scenarios: fetch, addressing, lists, pagination, filters. Safe on a live account."""

from __future__ import annotations

import pytest

from conformance.checks import CHECKS, expect, expect_soft, fail
from conformance.checks.scenarios import (
    FETCH_BY_NAME,
    FETCH_BY_SID,
    FETCH_UNKNOWN,
    FILTER_COMBINED,
    FILTER_FLEET,
    FILTER_ICCID,
    FILTER_STATUS,
    LIST_DEFAULT,
    PAGE_INDEX_BOUNDS,
    PAGE_SIZE_BOUNDS,
    PAGE_WALK,
)
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
    pages = walk(sc_primary, {"PageSize": page_size})
    sids = [sim["sid"] for sim in sims_of(pages)]
    duplicates = sorted({sid for sid in sids if sids.count(sid) > 1})
    expect(
        not duplicates,
        PAGE_WALK,
        f"the walk at PageSize={page_size} returned Sims more than once",
        expected="each Sim once",
        received=duplicates[:5],
        exchange=pages[-1],
    )
    missing = sorted(s.sid for s in sc_pool.reserved_sims(sc_primary.account_sid) if s.sid not in set(sids))
    expect(
        not missing,
        PAGE_WALK,
        f"the walk at PageSize={page_size} missed Sims of the account",
        expected="every Sim of the account",
        received=f"missing {missing[:5]}",
        exchange=pages[-1],
    )
    for index, page in enumerate(pages):
        meta = body(page)["meta"]
        last = index == len(pages) - 1
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
                len(body(page)["sims"]) == page_size,
                PAGE_WALK,
                "a page before the last is not full",
                expected=page_size,
                received=len(body(page)["sims"]),
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
def test_negative_page_is_refused(sc_primary):
    exchange = sc_primary.get("/v1/Sims", params={"Page": -1})
    _refused_or_clamped(exchange, PAGE_INDEX_BOUNDS, "Page=-1")


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
    pages = walk(sc_primary, {"Status": status, "PageSize": 1000})
    sids = {sim["sid"] for sim in sims_of(pages)}
    missing = [s.sid for s in sc_pool.reserved_sims(sc_primary.account_sid, status=status) if s.sid not in sids]
    expect(
        not missing,
        FILTER_STATUS,
        f"the Status={status} filter left out Sims in that status",
        expected="every Sim in that status",
        received=f"missing {missing[:5]}",
        exchange=pages[0],
    )
    others = [s.sid for s in sc_pool.reserved_sims(sc_primary.account_sid) if s.status != status and s.sid in sids]
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
        by_sid = {s["sid"] for s in sims_of(walk(sc_primary, {"Fleet": fleet.sid, "PageSize": 1000}))}
        expected = {s.sid for s in sc_pool.reserved_sims(sc_primary.account_sid, fleet=fleet.sid)}
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
    pages = walk(sc_primary, {"Status": status, "Fleet": fleet, "PageSize": 5})
    for sim in sims_of(pages):
        if sim["status"] != status or sim["fleet_sid"] != fleet:
            fail(
                FILTER_COMBINED,
                "a combined Status and Fleet filter answered a Sim matching only one of them",
                expected={"status": status, "fleet_sid": fleet},
                received={"sid": sim["sid"], "status": sim["status"], "fleet_sid": sim["fleet_sid"]},
                exchange=pages[0],
            )
    wanted = {s.sid for s in sc_pool.reserved_sims(sc_primary.account_sid, status=status, fleet=fleet)}
    got = {s["sid"] for s in sims_of(pages)}
    expect(
        wanted <= got,
        FILTER_COMBINED,
        "the combined filter left out Sims matching both",
        expected=sorted(wanted),
        received=sorted(got)[:5],
        exchange=pages[0],
    )
