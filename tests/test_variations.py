"""Benign variations: a correct server that differs harmlessly from Twilio must pass the whole suite.

The zoo (test_zoo.py) proves that every planted fault is caught; this is its mirror image and
proves that the kit raises no false alarm on what the documentation allows. Each variation is
first shown to be in effect (so a variation that did nothing could not pass vacuously), then
the full suite runs against the mock with it, as a user would run it.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from twilio.request_validator import RequestValidator

import conformance.mock
from conformance.contract import basic_auth
from conformance.mock import start_mock
from conformance.mock.callbacks import build_request
from conformance.mock.front import EXTRA_HEADERS, LATENCY
from conformance.mock.model import Completion
from conformance.mock.state import SLOW_ASYNC_DELAY
from conformance.mock.variations import BENIGN, VARIATIONS, UnknownVariationError, validate_variations
from conformance.suite.callbacks import CallbackReceiver

MOCK_DIR = Path(conformance.mock.__file__).parent


def _fetch_and_list(variations: tuple[str, ...]) -> tuple[str, str]:
    """The raw bodies of one fetch and one list page (key order matters here, so not parsed)."""
    with start_mock(variations=variations, async_delay=0.05) as mock:
        auth = mock.credentials()
        sim = mock.profile.sims[0].sid
        with httpx.Client(base_url=mock.base_url, auth=auth, trust_env=False, timeout=10) as client:
            return client.get(f"/v1/Sims/{sim}").text, client.get("/v1/Sims", params={"PageSize": 2}).text


def test_each_variation_is_in_effect():
    plain_sim, plain_page = _fetch_and_list(())
    sim, page = _fetch_and_list(("dates-zero-offset",))
    assert json.loads(plain_sim)["date_created"].endswith("Z")
    assert json.loads(sim)["date_created"].endswith("+00:00") and json.loads(sim)["date_updated"].endswith("+00:00")
    sim, page = _fetch_and_list(("extra-properties",))
    assert set(json.loads(sim)) > set(json.loads(plain_sim))
    assert set(json.loads(page)["meta"]) > set(json.loads(plain_page)["meta"])
    sim, page = _fetch_and_list(("reordered-keys",))
    assert list(json.loads(sim)) == list(reversed(list(json.loads(plain_sim))))
    assert list(json.loads(page)) == ["sims", "meta"] and list(json.loads(plain_page)) == ["meta", "sims"]


def _client(mock, **kw) -> httpx.Client:
    return httpx.Client(base_url=mock.base_url, auth=mock.credentials(), trust_env=False, timeout=10, **kw)


def _sim(mock, status: str, *, with_fleet: bool | None = None) -> str:
    return mock.profile.sims_by(mock.profile.primary.sid, status, with_fleet=with_fleet)[0].sid


def _fastest_fetch(mock, times: int = 5) -> float:
    sim = _sim(mock, "active")
    with _client(mock) as client:
        client.get(f"/v1/Sims/{sim}")  # the connection is set up outside the measurement
        elapsed = []
        for _ in range(times):
            started = time.monotonic()
            assert client.get(f"/v1/Sims/{sim}").status_code == 200
            elapsed.append(time.monotonic() - started)
    return min(elapsed)


def test_latency_delays_every_answer_without_blocking_the_event_loop():
    with start_mock(async_delay=0.05) as mock:
        assert _fastest_fetch(mock) < LATENCY
    with start_mock(variations=("latency",), async_delay=0.05) as mock:
        assert _fastest_fetch(mock) >= LATENCY
        sim, auth, count = _sim(mock, "active"), mock.credentials(), 40

        async def at_once() -> float:
            limits = httpx.Limits(max_connections=count)
            async with httpx.AsyncClient(base_url=mock.base_url, auth=auth, trust_env=False, limits=limits) as client:
                started = time.monotonic()
                answers = await asyncio.gather(*(client.get(f"/v1/Sims/{sim}") for _ in range(count)))
                assert {answer.status_code for answer in answers} == {200}
                return time.monotonic() - started

        # Sleeping on the event loop: forty answers overlap. A blocking sleep would take at least
        # 40 x 30 ms = 1.2 s however fast the machine; the bound leaves room for a loaded one.
        assert asyncio.run(at_once()) < count * LATENCY * 0.75


def test_gzip_compresses_what_the_request_accepts_and_nothing_else():
    with start_mock(async_delay=0.05) as mock, _client(mock) as client:
        sim = _sim(mock, "active")
        assert "content-encoding" not in client.get(f"/v1/Sims/{sim}", headers={"Accept-Encoding": "gzip"}).headers
    with start_mock(variations=("gzip",), async_delay=0.05) as mock, _client(mock) as client:
        plain = client.get(f"/v1/Sims/{sim}", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        for path, params in (
            (f"/v1/Sims/{sim}", None),
            ("/v1/Sims", {"PageSize": 5}),
            ("/v1/Sims/HS" + "0" * 32, None),
        ):
            with client.stream("GET", path, params=params, headers={"Accept-Encoding": "gzip"}) as response:
                raw = b"".join(response.iter_raw())
            assert response.headers["content-encoding"] == "gzip", path
            assert int(response.headers["content-length"]) == len(raw)
            assert json.loads(gzip.decompress(raw)), path
        assert json.loads(gzip.decompress(raw))["status"] == 404
        with client.stream("GET", f"/v1/Sims/{sim}", headers={"Accept-Encoding": "gzip"}) as response:
            assert gzip.decompress(b"".join(response.iter_raw())) == plain.content
        for refused in ("identity", "gzip;q=0", "br"):
            answer = client.get(f"/v1/Sims/{sim}", headers={"Accept-Encoding": refused})
            assert "content-encoding" not in answer.headers and answer.content == plain.content, refused


def _raw_get(mock, path: str) -> tuple[str, bytes]:
    """The head (text) and undecoded body of one HTTP/1.1 GET over a plain socket."""
    authorization = basic_auth.encode(*mock.credentials())
    request = f"GET {path} HTTP/1.1\r\nHost: {mock.host}:{mock.port}\r\nAuthorization: {authorization}\r\n"
    with socket.create_connection((mock.host, mock.port), timeout=10) as sock:
        sock.sendall((request + "Connection: close\r\n\r\n").encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def _dechunk(body: bytes) -> list[bytes]:
    chunks = []
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return chunks
        chunks.append(body[:size])
        assert body[size : size + 2] == b"\r\n"
        body = body[size + 2 :]


def test_chunked_sends_json_in_several_chunks_without_a_content_length():
    with start_mock(async_delay=0.05) as mock:
        sim = _sim(mock, "active")
        head, _ = _raw_get(mock, f"/v1/Sims/{sim}")
        assert "content-length:" in head.lower() and "transfer-encoding" not in head.lower()
    with start_mock(variations=("chunked",), async_delay=0.05) as mock:
        with _client(mock) as client:  # the client the kit uses reads it whole
            plain = client.get(f"/v1/Sims/{sim}").content
        for path in (f"/v1/Sims/{sim}", "/v1/Sims?PageSize=3", "/v1/Sims/HS" + "0" * 32):
            head, body = _raw_get(mock, path)
            lines = head.lower().split("\r\n")
            assert "transfer-encoding: chunked" in lines and not any(h.startswith("content-length") for h in lines)
            chunks = _dechunk(body)
            assert len(chunks) >= 2, path
            assert json.loads(b"".join(chunks)), path
        assert b"".join(_dechunk(_raw_get(mock, f"/v1/Sims/{sim}")[1])) == plain


def test_extra_headers_are_on_every_answer_with_one_request_id():
    with start_mock(variations=("extra-headers",), async_delay=0.05) as mock, _client(mock) as client:
        sim = _sim(mock, "new")
        answers = [
            client.get(f"/v1/Sims/{sim}"),
            client.get("/v1/Sims", params={"PageSize": 2}),
            client.get("/v1/Sims/HS" + "0" * 32),
            client.post(f"/v1/Sims/{sim}", data={"UniqueName": "with-extra-headers"}),
            client.delete(f"/v1/Sims/{sim}"),
            httpx.get(mock.base_url + "/v1/Sims", trust_env=False),  # 401
        ]
        assert [answer.status_code for answer in answers] == [200, 200, 404, 200, 405, 401]
        for answer in answers:
            for name, value in EXTRA_HEADERS:
                assert answer.headers.get(name.decode()) == value.decode(), (answer.request.method, name)
            ids = answer.headers.get_list("twilio-request-id")
            assert len(ids) == 1 and re.fullmatch(r"RQ[0-9a-f]{32}", ids[0])
        assert answers[0].headers["cache-control"] == "no-cache"


def test_extra_callback_params_are_sent_and_signed_with_the_documented_ones():
    receiver = CallbackReceiver()
    try:
        with start_mock(variations=("extra-callback-params",), async_delay=0.05) as mock, _client(mock) as client:
            sim = _sim(mock, "active", with_fleet=True)
            url = receiver.url_for("extra")
            answer = client.post(f"/v1/Sims/{sim}", data={"Status": "inactive", "CallbackUrl": url})
            assert answer.status_code == 202
            mock.state.flush()
            calls = receiver.wait(url, count=1, timeout=10, settle=0)
            token = mock.credentials()[1]
            done = client.get(f"/v1/Sims/{sim}").json()
    finally:
        receiver.close()
    assert len(calls) == 1
    params = dict(calls[0].form)
    documented = {"SimSid": sim, "SimStatus": "inactive", "AccountSid": done["account_sid"]}
    assert {k: params.get(k) for k in documented} == documented
    assert params["ApiVersion"] == "v1" and re.fullmatch(r"EV[0-9a-f]{32}", params["EventSid"])
    assert params["SimIccid"] == done["iccid"] and params["FleetSid"] == done["fleet_sid"]
    validator = RequestValidator(token)
    signature = calls[0].headers["X-Twilio-Signature"]
    assert validator.validate(calls[0].url, params, signature)
    assert not validator.validate(calls[0].url, documented, signature), "the signature covers the extras too"


def test_extra_callback_params_on_a_get_callback_are_in_the_signed_query():
    with start_mock(async_delay=0.05) as mock:
        view = mock.state.store.fetch(mock.profile.primary.sid, _sim(mock, "active"))
    completion = Completion(view, "https://receiver.example/cb?ref=1", "GET")
    plain = build_request(completion, "token", frozenset())
    varied = build_request(completion, "token", frozenset({"extra-callback-params"}))
    query = {k: v[0] for k, v in parse_qs(urlsplit(varied["url"]).query).items()}
    assert set(query) - set(parse_qs(urlsplit(plain["url"]).query)) >= {"ApiVersion", "EventSid", "SimIccid"}
    assert RequestValidator("token").validate(varied["url"], {}, varied["headers"]["X-Twilio-Signature"])


def test_slow_async_keeps_an_update_scheduled_for_longer():
    with start_mock(variations=("slow-async",), async_delay=0.05) as mock, _client(mock) as client:
        assert mock.state.async_delay == SLOW_ASYNC_DELAY
        mock.state.set_async_delay(0)
        assert mock.state.async_delay == SLOW_ASYNC_DELAY
        sim = _sim(mock, "active")
        started = time.monotonic()
        assert client.post(f"/v1/Sims/{sim}", data={"Status": "inactive"}).json()["status"] == "scheduled"
        time.sleep(SLOW_ASYNC_DELAY / 2)
        assert client.get(f"/v1/Sims/{sim}").json()["status"] == "scheduled"
        while client.get(f"/v1/Sims/{sim}").json()["status"] == "scheduled":
            assert time.monotonic() - started < 10
            time.sleep(0.05)
        assert time.monotonic() - started >= SLOW_ASYNC_DELAY
        assert client.get(f"/v1/Sims/{sim}").json()["status"] == "inactive"


def _walk(client: httpx.Client, size: int) -> tuple[list[str], list[dict]]:
    metas, sids = [], []
    page = client.get("/v1/Sims", params={"PageSize": size}).json()
    while True:
        metas.append(page["meta"])
        sids += [sim["sid"] for sim in page["sims"]]
        if page["meta"]["next_page_url"] is None:
            return sids, metas
        page = client.get(page["meta"]["next_page_url"]).json()


def test_opaque_page_tokens_are_opaque_fresh_and_still_lead_on():
    with start_mock(async_delay=0.05) as mock, _client(mock) as client:
        plain_sids, plain_metas = _walk(client, 7)
    assert re.fullmatch(r"P[AB][0-9a-f]+", parse_qs(urlsplit(plain_metas[0]["next_page_url"]).query)["PageToken"][0])
    with start_mock(variations=("opaque-page-tokens",), async_delay=0.05) as mock, _client(mock) as client:
        sids, metas = _walk(client, 7)
        assert sids == plain_sids and len(metas) == len(plain_metas) > 2
        for index, meta in enumerate(metas):
            for field, page in (("next_page_url", index + 1), ("previous_page_url", index - 1)):
                if meta[field] is None:
                    continue
                query = parse_qs(urlsplit(meta[field]).query)
                assert query["Page"] == [str(page)] and query["PageSize"] == ["7"], meta[field]
                token = query["PageToken"][0]
                assert re.fullmatch(r"[A-Za-z0-9_-]{50}", token) and not re.match(r"P[AB][0-9a-f]+$", token)
                base64.urlsafe_b64decode(token + "==")
        again = client.get(metas[1]["url"]).json()["meta"]
        assert again["next_page_url"] != metas[1]["next_page_url"], "a fresh token every time"
        first = client.get(metas[0]["next_page_url"]).json()["sims"]
        assert [s["sid"] for s in client.get(again["next_page_url"]).json()["sims"]] == sids[14:21]
        assert [s["sid"] for s in first] == sids[7:14]
        back = client.get(metas[2]["previous_page_url"]).json()["sims"]
        assert [s["sid"] for s in back] == sids[7:14]
        token = parse_qs(urlsplit(metas[0]["next_page_url"]).query)["PageToken"][0]
        for bad in ("PA1", token[:-2] + ("AA" if token[-2:] != "AA" else "BB")):
            assert client.get("/v1/Sims", params={"PageSize": 7, "PageToken": bad}).status_code == 400


def test_out_of_range_paging_is_clamped_into_range():
    with start_mock(variations=("out-of-range-clamped",), async_delay=0.05) as mock, _client(mock) as client:
        for params, size, page in (({"PageSize": 0}, 1, 0), ({"PageSize": 1001}, 1000, 0), ({"Page": -1}, 50, 0)):
            answer = client.get("/v1/Sims", params=params)
            assert answer.status_code == 200, (params, answer.text)
            meta = answer.json()["meta"]
            assert (meta["page_size"], meta["page"]) == (size, page)
            assert len(answer.json()["sims"]) <= size
        assert client.get("/v1/Sims", params={"PageSize": "ten"}).status_code == 400  # not an integer: still refused
    with start_mock(async_delay=0.05) as mock, _client(mock) as client:
        assert client.get("/v1/Sims", params={"PageSize": 0}).status_code == 400


def test_inactive_move_allowed_moves_an_inactive_sim_and_back():
    with start_mock(variations=("inactive-move-allowed",), async_delay=0.05) as mock, _client(mock) as client:
        sim = _sim(mock, "inactive", with_fleet=False)
        sub = mock.profile.subaccounts[0].sid
        moved = client.post(f"/v1/Sims/{sim}", data={"AccountSid": sub})
        assert moved.status_code == 200 and moved.json()["account_sid"] == sub
        back = client.post(f"/v1/Sims/{sim}", data={"AccountSid": mock.profile.primary.sid})
        assert back.status_code == 200 and back.json()["account_sid"] == mock.profile.primary.sid
        active = _sim(mock, "active")
        assert client.post(f"/v1/Sims/{active}", data={"AccountSid": sub}).status_code == 400  # still new-only


def test_every_variation_has_an_effect_test_and_names_where_it_acts():
    assert set(VARIATIONS) == {
        "dates-zero-offset",
        "extra-properties",
        "reordered-keys",
        "latency",
        "gzip",
        "chunked",
        "extra-headers",
        "extra-callback-params",
        "slow-async",
        "opaque-page-tokens",
        "out-of-range-clamped",
        "inactive-move-allowed",
    }, "a new variation needs its effect asserted here (test_each_variation_is_in_effect or a test of its own)"
    for variation in BENIGN:
        assert variation.description and variation.why_correct
        for module in variation.acts_in:
            assert f'"{variation.name}"' in (MOCK_DIR / f"{module}.py").read_text(), (variation.name, module)


def test_an_unknown_variation_is_refused_with_the_known_ones():
    with pytest.raises(UnknownVariationError, match="known variations: .*dates-zero-offset"):
        validate_variations(["dates-plus-one"])


#: The SHOULD a variation departs from by design (Twilio answers 400 there): a warning, never a failure.
WARNS = {"out-of-range-clamped": {"SIM-ERR-003"}}


@pytest.mark.parametrize("variation", sorted(VARIATIONS))
def test_the_whole_suite_passes_against_a_benign_variation(tmp_path, variation):
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--variation", variation, "--no-progress",
         "--report-dir", str(tmp_path / "report")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    failing = [(r["id"], r["message"][:300]) for r in report["results"] if r["outcome"] in ("failed", "errored")]
    assert result.returncode == 0 and not failing, (failing, result.stderr[-2000:])
    assert f"with benign variations: {variation}" in report["target_kind"]
    # a warning only where the variation departs from a SHOULD on purpose, and only that one
    warned = {req for r in report["results"] if r["outcome"] == "warned" for req in r["warned_requirements"]}
    assert warned == WARNS.get(variation, set()), [
        r["message"][:200] for r in report["results"] if r["outcome"] == "warned"
    ]
