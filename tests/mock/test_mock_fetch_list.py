"""GET /v1/Sims/{Sid} and GET /v1/Sims: lookup, filters, the meta block, and complete stable paging."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest


def test_fetch_by_sid_and_by_unique_name_are_equivalent(api, mock):
    seed = mock.profile.sims_by(api.sid, named=True)[0]
    by_sid = api.sim(seed.sid)
    by_name = api.sim(seed.unique_name)
    assert by_sid == by_name
    assert by_sid["unique_name"] == seed.unique_name
    assert by_sid["status"] == seed.status and by_sid["fleet_sid"] == seed.fleet and by_sid["iccid"] == seed.iccid
    assert by_sid["url"] == f"{mock.base_url}/v1/Sims/{seed.sid}"
    assert by_sid["date_created"] <= by_sid["date_updated"]


def test_fetch_by_name_with_spaces_and_slash(api, mock):
    sid = mock.profile.sims_by(api.sid, "new")[0].sid
    assert api.update(sid, UniqueName="my sim/one").status_code == 200
    assert api.get("/v1/Sims/my%20sim%2Fone").json()["sid"] == sid
    assert api.get("/v1/Sims/my sim/one").status_code == 404  # an unencoded "/" is another path


@pytest.mark.parametrize(
    "ref",
    [
        "HS" + "0" * 32,
        "no-such-name",
        "hs" + "0" * 32,
        "HS123",
        "x" * 300,
        "%00",
        "..",
        "HS" + "0" * 32 + "/BillingPeriods",
    ],
)
def test_unknown_sims_are_404_20404(api, ref):
    response = api.get(f"/v1/Sims/{ref}")
    assert response.status_code == 404
    assert response.json()["code"] == 20404


@pytest.mark.parametrize("status", ["new", "ready", "active", "inactive", "scheduled"])
def test_status_filter(api, mock, status):
    sims = api.walk({"Status": status, "PageSize": 1000})
    expected = {s.sid for s in mock.profile.sims_by(api.sid, status)}
    assert {s["sid"] for s in sims} == expected
    assert all(s["status"] == status for s in sims)


def test_fleet_filter_by_sid_and_by_unique_name(api, mock):
    for fleet in mock.profile.fleets_of(api.sid):
        expected = {s.sid for s in mock.profile.sims_of(api.sid) if s.fleet == fleet.sid}
        assert expected
        for ref in (fleet.sid, fleet.unique_name):
            sims = api.walk({"Fleet": ref, "PageSize": 10})
            assert {s["sid"] for s in sims} == expected
            assert len(sims) == len(expected)


def test_combined_filters(api, mock):
    fleet = mock.profile.fleets_of(api.sid)[0]
    expected = {s.sid for s in mock.profile.sims_by(api.sid, "active") if s.fleet == fleet.sid}
    sims = api.walk({"Fleet": fleet.unique_name, "Status": "active", "PageSize": 3})
    assert {s["sid"] for s in sims} == expected and len(sims) == len(expected)


def test_unknown_or_foreign_fleet_filter_is_404(api, mock):
    foreign = mock.profile.fleets_of(mock.profile.unrelated.sid)[0]
    for ref in ("no-such-fleet", "HF" + "0" * 32, foreign.sid, foreign.unique_name):
        response = api.get("/v1/Sims", params={"Fleet": ref})
        assert response.status_code == 404 and response.json()["code"] == 20404


def test_iccid_filter_returns_zero_or_one(api, mock):
    seed = mock.profile.sims_of(api.sid)[5]
    page = api.get("/v1/Sims", params={"Iccid": seed.iccid}).json()
    assert [s["sid"] for s in page["sims"]] == [seed.sid]
    assert page["meta"]["next_page_url"] is None and page["meta"]["previous_page_url"] is None
    for iccid in ("89883070999999999999", "abc", ""):
        assert api.get("/v1/Sims", params={"Iccid": iccid}).json()["sims"] == []
    # combined with a status the Sim does not have: nothing
    other = next(s for s in ("new", "ready", "active", "inactive") if s != seed.status)
    assert api.get("/v1/Sims", params={"Iccid": seed.iccid, "Status": other}).json()["sims"] == []


def test_meta_block_is_exactly_as_documented(api, mock):
    fleet = mock.profile.fleets_of(api.sid)[0]
    first = api.get("/v1/Sims", params={"Status": "active", "Fleet": fleet.unique_name, "PageSize": 5}).json()
    meta = first["meta"]
    assert list(meta) == ["first_page_url", "key", "next_page_url", "page", "page_size", "previous_page_url", "url"]
    base = f"{mock.base_url}/v1/Sims?Status=active&Fleet={fleet.unique_name}&PageSize=5"
    assert meta["key"] == "sims"
    assert meta["page"] == 0 and meta["page_size"] == 5
    assert meta["url"] == base + "&Page=0"
    assert meta["first_page_url"] == base + "&Page=0"
    assert meta["previous_page_url"] is None
    assert meta["next_page_url"].startswith(base + "&Page=1&PageToken=PA")
    second = api.get(meta["next_page_url"]).json()
    assert second["meta"]["page"] == 1
    assert second["meta"]["url"] == meta["next_page_url"]
    assert second["meta"]["first_page_url"] == base + "&Page=0"
    assert second["meta"]["previous_page_url"].startswith(base + "&Page=0&PageToken=PB")
    back = api.get(second["meta"]["previous_page_url"]).json()
    assert back["sims"] == first["sims"]
    assert back["meta"]["previous_page_url"] is None


def test_default_page_size_is_50(api):
    page = api.get("/v1/Sims").json()
    assert page["meta"]["page_size"] == 50 and len(page["sims"]) == 50


@pytest.mark.parametrize("size", [0, -1, 1001, 5000, "abc", "1.5", ""])
def test_page_size_out_of_bounds_is_400(api, size):
    response = api.get("/v1/Sims", params={"PageSize": size})
    assert response.status_code == 400
    assert "PageSize" in response.json()["message"]


@pytest.mark.parametrize(
    "params", [{"Page": -1}, {"Page": "x"}, {"PageToken": "bogus"}, {"Status": "gone"}, {"Fleet": ""}]
)
def test_other_bad_list_parameters_are_400(api, params):
    response = api.get("/v1/Sims", params=params)
    assert response.status_code == 400
    assert next(iter(params)) in response.json()["message"]


def test_page_is_only_client_state(api):
    """Page without a token is echoed in meta but does not move the window (documented choice)."""
    first = api.get("/v1/Sims", params={"PageSize": 5}).json()
    echoed = api.get("/v1/Sims", params={"PageSize": 5, "Page": 3}).json()
    assert echoed["meta"]["page"] == 3
    assert echoed["sims"] == first["sims"]


@pytest.mark.parametrize("page", ["9007199254740991", "9" * 40])
def test_any_large_page_index_is_accepted(api, page):
    """Page has no maximum in the contract: a huge index is still client state, not a 400."""
    answer = api.get("/v1/Sims", params={"PageSize": 5, "Page": page})
    assert answer.status_code == 200
    assert answer.json()["meta"]["page"] == int(page)


@pytest.mark.parametrize("size", [1, 7, 50, 139, 140, 1000])
def test_walking_next_pages_yields_every_sim_once_in_stable_order(api, mock, size):
    expected = [s.sid for s in mock.profile.sims_of(api.sid)]
    sims = api.walk({"PageSize": size})
    assert [s["sid"] for s in sims] == expected
    assert api.walk({"PageSize": size}) == sims


def test_walking_backwards_from_the_last_page(api, mock):
    pages = []
    response = api.get("/v1/Sims", params={"PageSize": 30})
    while True:
        page = response.json()
        pages.append(page)
        if page["meta"]["next_page_url"] is None:
            break
        response = api.get(page["meta"]["next_page_url"])
    assert len(pages) == 5
    collected = list(pages[-1]["sims"])
    page = pages[-1]
    while page["meta"]["previous_page_url"]:
        page = api.get(page["meta"]["previous_page_url"]).json()
        collected = page["sims"] + collected
    assert [s["sid"] for s in collected] == [s.sid for s in mock.profile.sims_of(api.sid)]


def test_paging_stays_complete_while_sims_are_added(api, mock):
    first = api.get("/v1/Sims", params={"PageSize": 50}).json()
    card = mock.profile.registrable[0]
    new = api.post("/v1/Sims", data={"Iccid": card.iccid, "RegistrationCode": card.registration_code}).json()
    rest = api.walk(
        {"PageSize": 50, "PageToken": parse_qs(urlsplit(first["meta"]["next_page_url"]).query)["PageToken"][0]}
    )
    sids = [s["sid"] for s in first["sims"] + rest]
    assert sids == [s.sid for s in mock.profile.sims_of(api.sid)] + [new["sid"]]


def test_twilio_like_links_on_an_empty_list(api):
    page = api.get("/v1/Sims", params={"Status": "scheduled"}).json()
    assert page["sims"] == []
    assert page["meta"]["next_page_url"] is None and page["meta"]["previous_page_url"] is None


def test_100000_sims_walk_completely_at_page_size_1000(mock, check_contract):
    account = mock.profile.unrelated.sid
    seeded = mock.state.seed_sims(account, 100_000, status="active")
    expected = [s.sid for s in mock.profile.sims_of(account)] + seeded
    seen: list[str] = []
    with httpx.Client(auth=mock.credentials(account), timeout=30, trust_env=False) as client:
        url = f"{mock.base_url}/v1/Sims?PageSize=1000"
        pages = 0
        while url:
            response = client.get(url)
            assert response.status_code == 200
            body = response.json()
            if pages in (0, 50):
                check_contract(response)
            seen += [s["sid"] for s in body["sims"]]
            url = body["meta"]["next_page_url"]
            pages += 1
    assert pages == 101
    assert len(seen) == len(set(seen)) == len(expected)
    assert seen == expected
    mock.state.reset()
