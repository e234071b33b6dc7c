"""A broken or hostile target is a reported failure, never a crash, a hang or a leaked secret."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from conformance.checks import Violation, load_all
from conformance.profile import default_profile, dump_profile, iter_tokens
from conformance.suite.helpers import walk
from conformance.target import Target

load_all()
PROFILE = default_profile()
SID, TOKEN = PROFILE.credentials(PROFILE.primary.sid)


@pytest.fixture
def server():
    srv = HTTPServer(host="127.0.0.1", port=0)
    srv.start()
    yield srv
    srv.clear()
    srv.stop()


def client_for(server: HTTPServer, **kw):
    target = Target(base_url=server.url_for("/").rstrip("/"), profile=PROFILE, **kw)
    return target, target.client(SID, TOKEN)


def test_non_json_body_is_a_failure_with_an_excerpt(server):
    server.expect_request("/v1/Sims").respond_with_data("<html>oops</html>", content_type="text/html")
    _, client = client_for(server)
    with pytest.raises(Violation) as caught:
        client.get("/v1/Sims")
    assert caught.value.check_id == "RESP-JSON"
    assert "<html>oops</html>" in str(caught.value)


def test_json_with_wrong_content_type_is_a_failure(server):
    server.expect_request("/v1/Sims/HS" + "a" * 32).respond_with_data(json.dumps({"sid": 1}), content_type="text/plain")
    _, client = client_for(server)
    with pytest.raises(Violation) as caught:
        client.get("/v1/Sims/HS" + "a" * 32)
    assert caught.value.check_id == "RESP-JSON" and "Content-Type" in str(caught.value)


def test_huge_body_is_cut_off_not_loaded(server):
    server.expect_request("/v1/Sims").respond_with_data("x" * 3_000_000, content_type="application/json")
    _, client = client_for(server, max_body_bytes=1_000_000)
    exchange = client.get("/v1/Sims", check=False)
    assert exchange.error and "larger than 1000000 bytes" in exchange.error and exchange.text == ""


def test_slow_answer_times_out(server):
    def slow(request: Request) -> Response:
        time.sleep(2)
        return Response("{}", content_type="application/json")

    server.expect_request("/v1/Sims").respond_with_handler(slow)
    _, client = client_for(server, timeout=0.3)
    started = time.monotonic()
    exchange = client.get("/v1/Sims", check=False)
    assert exchange.error and "no answer within 0.3 s" in exchange.error
    assert time.monotonic() - started < 1.9


def test_429_is_retried_honouring_retry_after_and_bounded(server):
    calls = []

    def limited(request: Request) -> Response:
        calls.append(time.monotonic())
        return Response(json.dumps({"code": 20429, "message": "Too Many Requests", "status": 429,
                                    "more_info": "https://www.twilio.com/docs/errors/20429"}),
                        status=429, headers={"Retry-After": "0.2"}, content_type="application/json")

    server.expect_request("/v1/Sims").respond_with_handler(limited)
    _, client = client_for(server, max_retries_429=2, max_retry_after=0.5)
    exchange = client.get("/v1/Sims", check=False)
    assert exchange.status == 429 and len(calls) == 3
    assert calls[1] - calls[0] >= 0.18


def test_429_then_success(server):
    server.expect_ordered_request("/v1/Sims").respond_with_data(
        "{}", status=429, headers={"Retry-After": "0"}, content_type="application/json")
    server.expect_ordered_request("/v1/Sims").respond_with_json({"ok": True})
    _, client = client_for(server)
    assert client.get("/v1/Sims", check=False).status == 200


def test_credentials_are_never_sent_to_another_host(server):
    other = HTTPServer(host="127.0.0.1", port=0)
    other.start()
    try:
        other.expect_request("/v1/Sims").respond_with_json({})
        _, client = client_for(server)
        with pytest.raises(Violation) as caught:
            client.get(other.url_for("/v1/Sims"))
        assert caught.value.check_id == "SAFE-FOREIGN-HOST"
        assert other.log == [], "a request was sent to the other host"
    finally:
        other.stop()


def _page(base, next_url, page=0):
    return {"sims": [], "meta": {"first_page_url": f"{base}/v1/Sims?PageSize=50&Page=0", "key": "sims",
                                 "next_page_url": next_url, "page": page, "page_size": 50,
                                 "previous_page_url": None if page == 0 else f"{base}/v1/Sims?Page={page - 1}",
                                 "url": f"{base}/v1/Sims?PageSize=50&Page={page}"}}


def test_a_looping_next_page_url_is_reported_not_followed_forever(server):
    base = server.url_for("/").rstrip("/")
    server.expect_request("/v1/Sims").respond_with_json(_page(base, f"{base}/v1/Sims?PageToken=A"))
    _, client = client_for(server)
    with pytest.raises(Violation) as caught:
        walk(client)
    assert caught.value.check_id == "SCN-PAGE-WALK" and "loop" in str(caught.value)
    assert len(server.log) <= 3


def test_an_endless_walk_stops_at_its_bound(server):
    base = server.url_for("/").rstrip("/")

    def endless(request: Request) -> Response:
        page = int(request.args.get("PageToken", "0"))
        return Response(json.dumps(_page(base, f"{base}/v1/Sims?PageToken={page + 1}", page)),
                        content_type="application/json")

    server.expect_request("/v1/Sims").respond_with_handler(endless)
    _, client = client_for(server)
    with pytest.raises(Violation) as caught:
        walk(client, max_pages=20)
    assert "did not end within 20 pages" in str(caught.value)
    assert len(server.log) == 20


def test_a_run_against_garbage_completes_with_failures_and_reports(server, tmp_path):
    """Every endpoint answers 200 with non-JSON: the run fails check by check and writes its reports."""
    server.expect_request(__import__("re").compile(".*")).respond_with_data(
        f"not json, and the token {TOKEN} echoed back", content_type="text/plain")
    profile = tmp_path / "profile.toml"
    profile.write_text(dump_profile(PROFILE))
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--target", server.url_for("/").rstrip("/"),
         "--profile", str(profile), "--suite", "read-only", "-k", "not generated", "--no-progress",
         "--report-dir", str(tmp_path / "out"), "--timeout", "5"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["summary"]["failed"] > 10
    everything = result.stdout + result.stderr + "".join(p.read_text() for p in (tmp_path / "out").iterdir())
    for _, token in iter_tokens(PROFILE):
        assert token not in everything
    assert "[REDACTED]" in everything
