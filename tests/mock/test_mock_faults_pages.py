"""Planted faults of list pages, links, paging, filters and list scope: each does what it says.

Every effect below is run twice: against a mock with the fault, where it must hold, and
against the faultless mock, where it must not (so the effect is the fault's, not the mock's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from conformance.mock import start_mock
from conformance.mock.planted.pages import FAULTS
from conformance.profile import Profile


@dataclass
class Ctx:
    http: httpx.Client
    sub: httpx.Client
    profile: Profile

    @property
    def primary(self) -> str:
        return self.profile.primary.sid

    def page(self, url: str = "/v1/Sims", **params) -> dict:
        response = self.http.get(url, params=params or None)
        assert response.status_code == 200, response.text
        return response.json()

    def pages(self, **params) -> list[dict]:
        pages = [self.page(**params)]
        while pages[-1]["meta"]["next_page_url"] and len(pages) < 200:
            pages.append(self.page(pages[-1]["meta"]["next_page_url"]))
        return pages


def sids(page: dict) -> list[str]:
    return [s["sid"] for s in page["sims"]]


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def primary_sids(ctx: Ctx) -> list[str]:
    return [s.sid for s in ctx.profile.sims if s.account == ctx.primary]


# --- links ------------------------------------------------------------------------------
def next_page_skips_page(ctx):
    first = ctx.page(PageSize=5)
    second = ctx.page(first["meta"]["next_page_url"])
    assert sids(second) == primary_sids(ctx)[10:15]


def previous_page_is_same_page(ctx):
    second = ctx.page(ctx.page(PageSize=5)["meta"]["next_page_url"])
    assert second["meta"]["previous_page_url"] == second["meta"]["url"]


def previous_page_skips_back_two(ctx):
    first = ctx.page(PageSize=5)
    third = ctx.page(ctx.page(first["meta"]["next_page_url"])["meta"]["next_page_url"])
    assert sids(ctx.page(third["meta"]["previous_page_url"])) == sids(first)


def first_page_url_keeps_token(ctx):
    second = ctx.page(ctx.page(PageSize=5)["meta"]["next_page_url"])
    assert "PageToken" in query(second["meta"]["first_page_url"])


def first_page_url_drops_filters(ctx):
    meta = ctx.page(Status="active", PageSize=5)["meta"]
    assert "Status" not in query(meta["first_page_url"]) and query(meta["next_page_url"])["Status"] == "active"


def meta_url_is_first_page(ctx):
    second = ctx.page(ctx.page(PageSize=5)["meta"]["next_page_url"])
    assert "PageToken" not in query(second["meta"]["url"])


def meta_url_page_off_by_one(ctx):
    meta = ctx.page(PageSize=5)["meta"]
    assert query(meta["url"])["Page"] == "1" and meta["page"] == 0


def meta_page_always_0(ctx):
    second = ctx.page(ctx.page(PageSize=5)["meta"]["next_page_url"])
    assert second["meta"]["page"] == 0


def meta_page_counts_from_1(ctx):
    assert ctx.page()["meta"]["page"] == 1


def meta_page_size_default(ctx):
    page = ctx.page(PageSize=5)
    assert page["meta"]["page_size"] == 50 and len(page["sims"]) == 5


def links_drop_filters(ctx):
    meta = ctx.page(Status="active", PageSize=5)["meta"]
    assert "Status" not in query(meta["next_page_url"]) and query(meta["first_page_url"])["Status"] == "active"


def links_drop_page_size(ctx):
    first = ctx.page(PageSize=5)
    assert "PageSize" not in query(first["meta"]["next_page_url"])
    assert len(ctx.page(first["meta"]["next_page_url"])["sims"]) == 50


def later_page_links_other_scheme(ctx):
    first = ctx.page(PageSize=5)
    assert urlsplit(first["meta"]["next_page_url"]).scheme == "http"
    second = ctx.page(first["meta"]["next_page_url"])
    assert urlsplit(second["meta"]["next_page_url"]).scheme == "https"


def meta_key_missing_after_first_page(ctx):
    first = ctx.page(PageSize=5)
    assert first["meta"]["key"] == "sims" and "key" not in ctx.page(first["meta"]["next_page_url"])["meta"]


def previous_link_on_first_page(ctx):
    meta = ctx.page(PageSize=5)["meta"]
    assert meta["previous_page_url"] is not None and query(meta["previous_page_url"])["Page"] == "0"


# --- page tokens --------------------------------------------------------------------------
def page_token_with_plus(ctx):
    next_url = ctx.page(PageSize=5)["meta"]["next_page_url"]
    assert "PageToken=PA+" in next_url
    assert ctx.http.get(next_url).status_code == 400  # the "+" arrives as a space
    token = query(next_url.replace("+", "%2B"))["PageToken"]
    assert ctx.http.get("/v1/Sims", params={"PageSize": 5, "PageToken": token}).status_code == 200


def previous_token_refused(ctx):
    second = ctx.page(ctx.page(PageSize=5)["meta"]["next_page_url"])
    assert ctx.http.get(second["meta"]["previous_page_url"]).status_code == 400


# --- walking to the end -----------------------------------------------------------------
def last_page_drops_last_sim(ctx):
    walked = [sid for page in ctx.pages(PageSize=50) for sid in sids(page)]
    assert walked == primary_sids(ctx)[:-1]


def first_page_one_short(ctx):
    first = ctx.page(PageSize=5)
    assert sids(first) == primary_sids(ctx)[:4]
    assert sids(ctx.page(first["meta"]["next_page_url"]))[0] == primary_sids(ctx)[5]


def empty_page_after_full_last_page(ctx):
    pages = ctx.pages(PageSize=7)  # 140 Sims: 20 full pages
    assert len(pages) == 21 and pages[-1]["sims"] == []


# --- paging parameters ------------------------------------------------------------------
def page_of_50_holds_100(ctx):
    page = ctx.page()
    assert page["meta"]["page_size"] == 50 and len(page["sims"]) == 100


def page_size_float_truncated(ctx):
    response = ctx.http.get("/v1/Sims", params={"PageSize": "2.5"})
    assert response.status_code == 200 and len(response.json()["sims"]) == 2


def negative_page_accepted(ctx):
    assert ctx.page(Page=-1)["meta"]["page"] == -1


def page_index_float_accepted(ctx):
    assert ctx.page(Page="1.5")["meta"]["page"] == 1


def page_size_zero_clamped(ctx):
    assert ctx.page(PageSize=0)["meta"]["page_size"] == 1
    assert ctx.page(PageSize=1001)["meta"]["page_size"] == 1000


def negative_page_clamped(ctx):
    assert ctx.page(Page=-1)["meta"]["page"] == 0


# --- filters ------------------------------------------------------------------------------
def status_filter_first_page_only(ctx):
    first = ctx.page(Status="new", PageSize=5)
    assert {s["status"] for s in first["sims"]} == {"new"}
    assert {s["status"] for s in ctx.page(first["meta"]["next_page_url"])["sims"]} != {"new"}


def status_ready_includes_active(ctx):
    statuses = {s["status"] for page in ctx.pages(Status="ready", PageSize=1000) for s in page["sims"]}
    assert statuses == {"ready", "active"}


def list_status_scheduled_refused(ctx):
    assert ctx.http.get("/v1/Sims", params={"Status": "scheduled"}).status_code == 400
    assert ctx.http.get("/v1/Sims", params={"Status": "ready"}).status_code == 200


def list_status_ready_refused(ctx):
    assert ctx.http.get("/v1/Sims", params={"Status": "ready"}).status_code == 400
    assert ctx.http.get("/v1/Sims", params={"Status": "scheduled"}).status_code == 200


def _fleet(ctx):
    return next(f for f in ctx.profile.fleets_of(ctx.primary) if f.unique_name)


def fleet_filter_prefix(ctx):
    fleet = _fleet(ctx)
    for value in (fleet.sid[:-1], fleet.unique_name[:-1]):
        sims = ctx.page(Fleet=value, PageSize=1000)["sims"]
        assert sims and len({s["fleet_sid"] for s in sims}) == 1


def fleet_filter_first_page_only(ctx):
    fleet = _fleet(ctx)
    first = ctx.page(Fleet=fleet.sid, PageSize=5)
    assert {s["fleet_sid"] for s in first["sims"]} == {fleet.sid}
    assert {s["fleet_sid"] for s in ctx.page(first["meta"]["next_page_url"])["sims"]} != {fleet.sid}


def fleet_name_filter_other_fleet(ctx):
    fleet = _fleet(ctx)
    by_name = {s["fleet_sid"] for s in ctx.page(Fleet=fleet.unique_name, PageSize=1000)["sims"]}
    assert by_name and fleet.sid not in by_name
    assert {s["fleet_sid"] for s in ctx.page(Fleet=fleet.sid, PageSize=1000)["sims"]} == {fleet.sid}


def iccid_filter_prefix(ctx):
    iccid = ctx.profile.sims_by(ctx.primary)[0].iccid
    assert len(ctx.page(Iccid=iccid[:-1])["sims"]) > 1


def iccid_filter_trims_spaces(ctx):
    sim = ctx.profile.sims_by(ctx.primary)[0]
    assert sids(ctx.page(Iccid=f" {sim.iccid} ")) == [sim.sid]


def iccid_filter_within_first_page(ctx):
    own = ctx.profile.sims_by(ctx.primary)
    assert sids(ctx.page(Iccid=own[0].iccid)) == [own[0].sid]
    assert ctx.page(Iccid=own[-1].iccid)["sims"] == []


def iccid_filter_other_account(ctx):
    other = next(s for s in ctx.profile.sims if s.account != ctx.primary)
    assert sids(ctx.page(Iccid=other.iccid)) == [other.sid]


def iccid_unknown_404(ctx):
    assert ctx.http.get("/v1/Sims", params={"Iccid": "89000000000000000000"}).status_code == 404
    assert ctx.page(Iccid=ctx.profile.sims_by(ctx.primary)[0].iccid)["sims"]


# --- account scope ------------------------------------------------------------------------
def later_pages_other_accounts(ctx):
    first = ctx.page(PageSize=100)
    assert {s["account_sid"] for s in first["sims"]} == {ctx.primary}
    later = ctx.page(first["meta"]["next_page_url"])
    assert {s["account_sid"] for s in later["sims"]} - {ctx.primary}


def subaccount_list_shows_parent(ctx):
    sims = ctx.sub.get("/v1/Sims", params={"PageSize": 1000}).json()["sims"]
    assert ctx.primary in {s["account_sid"] for s in sims}


# --- the Sims a page lists ----------------------------------------------------------------
def list_sims_without_links(ctx):
    listed = ctx.page(PageSize=1)["sims"][0]
    assert "links" not in listed and "links" in ctx.http.get(f"/v1/Sims/{listed['sid']}").json()


def list_sims_unique_name_null(ctx):
    named = next(s for s in ctx.profile.sims_by(ctx.primary) if s.unique_name)
    assert ctx.page(Iccid=named.iccid)["sims"][0]["unique_name"] is None


EFFECTS: dict[str, Callable[[Ctx], None]] = {fault.name: globals()[fault.name.replace("-", "_")] for fault in FAULTS}


def _effect(mock, effect: Callable[[Ctx], None]) -> None:
    auth, sub_auth = mock.credentials(), mock.credentials("subaccount")
    with (
        httpx.Client(base_url=mock.base_url, auth=auth, trust_env=False, timeout=10) as http,
        httpx.Client(base_url=mock.base_url, auth=sub_auth, trust_env=False, timeout=10) as sub,
    ):
        effect(Ctx(http=http, sub=sub, profile=mock.profile))


def test_every_fault_of_the_area_has_an_effect_check():
    assert set(EFFECTS) == {fault.name for fault in FAULTS}


@pytest.mark.parametrize("fault", sorted(EFFECTS))
def test_fault_does_what_it_says_and_only_with_it(fault, mock):
    with start_mock(faults=[fault], async_delay=0.02) as faulty:
        _effect(faulty, EFFECTS[fault])
    with pytest.raises((AssertionError, KeyError, StopIteration)):
        _effect(mock, EFFECTS[fault])  # the faultless mock (the session's, reset)
