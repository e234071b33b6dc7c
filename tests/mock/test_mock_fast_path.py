"""The hot path: the front's fast way in for GETs, the caches behind it, and the lazy request log.

``conformance.mock.app.Front`` answers ``GET /v1/Sims`` and ``GET /v1/Sims/{Sid}`` without
Starlette's routing. These tests pin down that nothing a client can see changed: the same
requests, sent once through the front and once through the Starlette routes, get the same
answers and leave the same log entries, with and without planted faults and strict mode.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from starlette.responses import JSONResponse

from conformance.mock import app as http
from conformance.mock import render, responses, start_mock
from conformance.mock.app import EncodedJSON
from conformance.mock.forms import update_request
from conformance.mock.model import ListQuery, PageResult

#: Planted faults that change what the two GETs answer (all at once: the answers only have to match).
READ_FAULTS = [
    "lowercase-sid-prefix",
    "relative-urls",
    "meta-key-wrong",
    "next-page-loops",
    "error-body-not-twilio",
    "other-account-visible",
    "unknown-sid-returns-200-empty",
    "ignore-status-filter",
    "iccid-filter-returns-two",
    "page-size-over-max-accepted",
]


def _basic(sid: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()


def _requests(mock) -> list[tuple[str, dict[str, str]]]:
    """(path with query, headers) pairs covering answers, errors and violations of both GETs."""
    profile = mock.profile
    primary = profile.primary.sid
    sid, token = mock.credentials()
    auth = {"Authorization": _basic(sid, token)}
    own = profile.sims_of(primary)[0]
    named = next(s for s in profile.sims_of(primary) if s.unique_name)
    other = next(s for s in profile.sims if s.account != primary)
    fleet = profile.fleets_of(primary)[0]
    return [
        (f"/v1/Sims/{own.sid}", auth),
        (f"/v1/Sims/{named.unique_name}", auth),
        (f"/v1/Sims/{other.sid}", auth),
        ("/v1/Sims/HS" + "0" * 32, auth),
        ("/v1/Sims/a%2Fb", auth),
        ("/v1/Sims/%FF", auth),
        ("/v1/Sims/" + "x" * 300, auth),
        (f"/v1/Sims/{own.sid}?Color=red", auth),
        (f"/v1/Sims/{own.sid}?a=1&a=2", auth),
        (f"/v1/Sims/{own.sid}", {}),
        (f"/v1/Sims/{own.sid}", {"Authorization": _basic(sid, token + "x")}),
        (f"/v1/Sims/{own.sid}", {"Authorization": "Bearer abc"}),
        (f"/v1/Sims/{own.sid}", {**auth, "X-Forwarded-Host": "proxy.example:8443", "X-Forwarded-Proto": "https"}),
        (f"/v1/Sims/{own.sid}", {**auth, "Host": "bad host/evil"}),
        ("/v1/Sims", auth),
        ("/v1/Sims?PageSize=2", auth),
        ("/v1/Sims?pageSize=3", auth),
        ("/v1/Sims?PageSize=5000", auth),
        ("/v1/Sims?PageSize=abc", auth),
        ("/v1/Sims?Status=bogus", auth),
        ("/v1/Sims?Status=active&PageSize=2", auth),
        (f"/v1/Sims?Fleet={fleet.sid}", auth),
        ("/v1/Sims?Fleet=no-such-fleet", auth),
        (f"/v1/Sims?Iccid={own.iccid}", auth),
        ("/v1/Sims?PageToken=garbage", auth),
        ("/v1/Sims?PageSize=%FF", auth),
        ("/v1/Sims?PageSize=2", {}),
        ("/v1/Sims?PageSize=2", {**auth, "X-Forwarded-Host": "proxy.example"}),
    ]


def _exchange(mock, requests) -> list[dict[str, Any]]:
    """Send the requests (and the page after each list page); the answers and log entries, comparable."""
    mock.state.clear_requests()
    seen = []
    with httpx.Client(base_url=mock.base_url, trust_env=False, timeout=10) as client:
        for path, headers in requests:
            response = client.get(path, headers=headers)
            seen.append(_answer(response))
            next_url = response.json().get("meta", {}).get("next_page_url") if response.status_code == 200 else None
            if next_url and next_url.startswith("http://127.0.0.1"):
                seen.append(_answer(client.get(next_url, headers=headers)))
    entries = [{k: v for k, v in e.items() if k not in ("id", "time")} for e in mock.state.requests]
    return seen + entries


def _answer(response: httpx.Response) -> dict[str, Any]:
    headers = {k: v for k, v in response.headers.items() if k not in ("twilio-request-id", "date")}
    assert response.headers["twilio-request-id"].startswith("RQ") and len(response.headers["twilio-request-id"]) == 34
    return {"status": response.status_code, "headers": headers, "body": response.content}


def _spy_on_the_front(monkeypatch) -> list[bool]:
    """Records, per GET the front sees, whether it answered it itself."""
    answered: list[bool] = []
    original = http.Front.read

    async def spy(self, scope, entry):
        response = await original(self, scope, entry)
        answered.append(response is not None)
        return response

    monkeypatch.setattr(http.Front, "read", spy)
    return answered


def _front_off(monkeypatch) -> None:
    """Every GET goes through Starlette's routes from now on."""

    async def never(self, scope, entry):
        return None

    monkeypatch.setattr(http.Front, "read", never)


@pytest.fixture
def fast_path_used(monkeypatch) -> list[bool]:
    return _spy_on_the_front(monkeypatch)


def _both_ways(mock, monkeypatch) -> tuple[list, list]:
    """The same GETs answered by the front, then by the Starlette routes."""
    requests = _requests(mock)
    answered = _spy_on_the_front(monkeypatch)
    fast = _exchange(mock, requests)
    assert answered and all(answered), "every GET of the two routes was answered by the front itself"
    _front_off(monkeypatch)
    return fast, _exchange(mock, requests)


def test_the_front_answers_gets_exactly_as_the_starlette_routes(mock, monkeypatch):
    fast, slow = _both_ways(mock, monkeypatch)
    assert len(fast) == len(slow)
    for one, other in zip(fast, slow, strict=False):
        assert one == other


@pytest.mark.parametrize("options", [{"faults": READ_FAULTS}, {"strict": True}], ids=["read-faults", "strict"])
def test_same_answers_with_faults_and_in_strict_mode(options, monkeypatch):
    with start_mock(async_delay=0.05, **options) as mock:
        fast, slow = _both_ways(mock, monkeypatch)
    assert fast == slow


def test_faults_apply_on_the_fast_path(fast_path_used):
    with start_mock(faults=["lowercase-sid-prefix", "relative-urls", "forbidden-not-404"]) as mock:
        primary = mock.profile.primary.sid
        own = mock.profile.sims_of(primary)[0].sid
        other = next(s.sid for s in mock.profile.sims if s.account != primary)
        with httpx.Client(base_url=mock.base_url, auth=mock.credentials(), trust_env=False) as client:
            body = client.get(f"/v1/Sims/{own}").json()
            forbidden = client.get(f"/v1/Sims/{other}")
            page = client.get("/v1/Sims", params={"PageSize": 1}).json()
    assert body["sid"].startswith("hs") and body["url"] == f"/v1/Sims/{own}"
    assert forbidden.status_code == 403 and forbidden.json()["code"] == 20403
    assert page["meta"]["url"].startswith("/v1/Sims?") and page["sims"][0]["sid"].startswith("hs")
    assert fast_path_used[-3:] == [True, True, True]  # (start_mock itself GETs /_mock/ first)


def test_head_and_posts_still_go_through_starlette(api, mock, fast_path_used):
    sid = mock.profile.sims_by(api.sid, "new")[0].sid
    assert api.client.head(f"/v1/Sims/{sid}").status_code == 200
    assert api.update(sid, UniqueName="via-starlette").status_code == 200
    assert fast_path_used == []
    assert api.sim("via-starlette")["sid"] == sid
    assert fast_path_used == [True]
    assert [e["operation"] for e in mock.state.requests] == ["FetchSim", "UpdateSim", "FetchSim"]


# ------------------------------------------------------------------ the login cache
def test_a_wrong_token_is_refused_every_time_and_never_remembered(mock):
    sid, token = mock.credentials()
    right, wrong = _basic(sid, token), _basic(sid, token + "x")
    sim = mock.profile.sims_of(sid)[0].sid
    with httpx.Client(base_url=mock.base_url, trust_env=False) as client:
        assert client.get(f"/v1/Sims/{sim}", headers={"Authorization": right}).status_code == 200
        for _ in range(3):
            assert client.get(f"/v1/Sims/{sim}", headers={"Authorization": wrong}).status_code == 401
        assert client.get(f"/v1/Sims/{sim}", headers={"Authorization": right}).status_code == 200
    assert mock.state.known_login(right) == sid
    assert mock.state.known_login(wrong) is None


def test_other_accounts_credentials_are_remembered_separately(mock):
    sub = mock.profile.accounts_with("subaccount")[0].sid
    header = _basic(*mock.credentials(sub))
    with httpx.Client(base_url=mock.base_url, trust_env=False) as client:
        page = client.get("/v1/Sims", headers={"Authorization": header}).json()
    assert {s["account_sid"] for s in page["sims"]} == {sub}
    assert mock.state.known_login(header) == sub


def test_reset_forgets_logins(mock):
    header = _basic(*mock.credentials())
    with httpx.Client(base_url=mock.base_url, trust_env=False) as client:
        client.get("/v1/Sims", headers={"Authorization": header})
    assert mock.state.known_login(header) is not None
    mock.state.reset()
    assert mock.state.known_login(header) is None


def test_credentials_accepted_only_by_the_fault_are_not_remembered():
    with start_mock(faults=["accept-wrong-credentials"]) as mock:
        sid, token = mock.credentials()
        wrong = _basic(sid, token + "x")
        with httpx.Client(base_url=mock.base_url, trust_env=False) as client:
            assert client.get("/v1/Sims", headers={"Authorization": wrong}).status_code == 200
        assert mock.state.known_login(wrong) is None


# ------------------------------------------------------------------ the lazy request log
def test_log_entries_are_formatted_as_before(mock):
    sid, token = mock.credentials()
    with httpx.Client(base_url=mock.base_url, trust_env=False) as client:
        refused_headers = {"X-Thing": "caf\xe9".encode("latin-1"), "Authorization": "Basic bad"}
        client.get("/v1/Sims?PageSize=2&x=%FF", headers=refused_headers)
        client.get("/v1/Sims?PageSize=2", headers={"Authorization": _basic(sid, token)})
    refused, listed = mock.state.requests
    assert refused["status"] == 401 and refused["account"] is None and refused["operation"] == "ListSim"
    assert refused["query_string"] == "PageSize=2&x=%FF"
    assert refused["query"] == {"PageSize": "2", "x": "\ufffd"}  # never parsed: the lenient reading
    assert refused["headers"]["x-thing"] == "caf\xe9" and "authorization" not in refused["headers"]
    assert listed["query"] == {"PageSize": "2"} and listed["account"] == sid and listed["form"] is None
    assert list(listed) == [
        "time",
        "method",
        "path",
        "query_string",
        "query",
        "form",
        "headers",
        "status",
        "account",
        "operation",
        "violations",
        "id",
    ]
    assert listed["time"].endswith("Z") and listed["id"] == refused["id"] + 1
    assert mock.state.requests == [refused, listed]


def test_the_entry_is_in_the_log_when_the_answer_arrives(mock):
    sid, token = mock.credentials()
    sim = mock.profile.sims_of(sid)[0].sid
    with httpx.Client(base_url=mock.base_url, trust_env=False, auth=(sid, token)) as client:
        for n in range(1, 6):
            client.get(f"/v1/Sims/{sim}")
            assert len(mock.state.requests) == n


# ------------------------------------------------------------------ encodings
def test_encoded_pages_and_sims_are_the_documents_encoded(mock):
    store = mock.state.store
    primary = mock.profile.primary.sid
    renamed = mock.profile.sims_of(primary)[0].sid
    store.update(primary, renamed, update_request({"UniqueName": 'Zürich 🚚 "q" \\'}))
    query = ListQuery()
    for faults in (frozenset(), frozenset({"relative-urls", "meta-key-wrong", "lowercase-sid-prefix"})):
        for size in (1, 3, 50):
            query = ListQuery(page_size=size)
            result = store.list_page(primary, query)
            expected = render.encode(render.page_json(result, query, "http://h:1", faults))
            assert render.page_bytes(result, query, "http://h:1", faults) == expected
            for sim in result.sims:
                encoded = render.encode(render.sim_json(sim, "http://h:1", faults))
                assert render.sim_bytes(sim, "http://h:1", faults) == encoded
    empty = PageResult(sims=[], next_token=None, previous_token=None)
    assert render.page_bytes(empty, query, "http://h") == render.encode(render.page_json(empty, query, "http://h"))


def test_render_encode_is_what_jsonresponse_sends():
    document = {"a": "Zürich 🚚", "b": [1, None, True], "c": {"d": '"\\'}}
    assert render.encode(document) == JSONResponse(document).body


@pytest.mark.parametrize(
    "status, headers",
    [
        (200, None),
        (201, None),
        (202, {}),
        (401, {"WWW-Authenticate": 'Basic realm="Twilio API"'}),
        (405, {"Allow": "GET, POST"}),
        (204, None),
    ],
)
def test_encoded_json_answers_are_jsonresponses(status, headers, monkeypatch):
    monkeypatch.setattr(responses, "request_id", lambda: "RQ" + "0" * 32)  # EncodedJSON's module
    document = {"code": 1, "message": "é"}
    ours = EncodedJSON(status, render.encode(document), headers)
    all_headers = {"Twilio-Request-Id": "RQ" + "0" * 32, **(headers or {})}
    theirs = JSONResponse(document, status_code=status, headers=all_headers)
    assert (ours.status_code, ours.raw_headers, ours.body) == (theirs.status_code, theirs.raw_headers, theirs.body)


def test_request_ids_look_like_twilios():
    ids = {http.request_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 34 and i.startswith("RQ") and int(i[2:], 16) >= 0 for i in ids)


# ------------------------------------------------------------------ snapshots
def test_a_sims_snapshot_is_kept_until_it_changes(mock):
    store = mock.state.store
    primary = mock.profile.primary.sid
    sim = mock.profile.sims_by(primary, "new")[0].sid
    first = store.fetch(primary, sim)
    assert store.fetch(primary, sim) is first
    updated, status, _ = store.update(primary, sim, update_request({"UniqueName": "renamed"}))
    assert status == 200 and updated is not first and updated.unique_name == "renamed"
    assert store.fetch(primary, "renamed") is updated
    assert updated.date_updated > first.date_updated
    scheduled, status, _ = store.update(primary, sim, update_request({"Status": "active"}))
    assert status == 202 and scheduled.status == "scheduled"
    mock.state.flush()
    assert store.fetch(primary, sim).status == "active"
