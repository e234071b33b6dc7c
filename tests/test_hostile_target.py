"""A broken or hostile target is a reported failure, never a crash, a hang or a leaked secret."""

from __future__ import annotations

import contextlib
import json
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from conformance.checks import Violation, load_all
from conformance.contract.exchange import KEPT_BODY_CHARS, MAX_BODY_BYTES
from conformance.profile import default_profile, dump_profile, iter_tokens
from conformance.run.generated_transport import BoundedTransport, body_overflow
from conformance.run.target import Target
from conformance.suite.helpers import walk

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


@contextlib.contextmanager
def huge_body_server(size: int, *, chunked: bool = False) -> Iterator[str]:
    """A loopback server whose every answer (any method, any path) is a ``size``-byte JSON list."""
    body = ("[" + "1," * ((size - 2) // 2)).encode()
    body += b"1" * (size - 1 - len(body)) + b"]"

    class Huge(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the kit hangs up once it has read enough
                if chunked:
                    for start in range(0, len(body), 1 << 20):
                        piece = body[start : start + (1 << 20)]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_TRACE = do_HEAD = answer

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Huge)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


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
    assert exchange.error and "3,000,000 bytes is larger than the 1,000,000 bytes" in exchange.error
    assert exchange.oversize and exchange.body_bytes == 3_000_000 and exchange.status == 200
    assert 0 < len(exchange.text) <= KEPT_BODY_CHARS and not exchange.is_json


def test_huge_body_is_a_reported_failure_with_its_size(server):
    body = "[" + "1," * 1_500_000 + "1]"
    server.expect_request("/v1/Sims").respond_with_data(body, content_type="application/json")
    _, client = client_for(server)
    with pytest.raises(Violation) as caught:
        client.get("/v1/Sims")
    violation = caught.value
    assert violation.check_id == "RESP-JSON" and f"{len(body):,} bytes" in violation.received
    assert len(violation.exchange.text) <= KEPT_BODY_CHARS


def test_huge_body_without_a_length_is_cut_at_the_cap():
    """Chunked (no Content-Length): the kit stops reading at the cap and says 'more than'."""
    with huge_body_server(3_000_000, chunked=True) as base_url:
        target = Target(base_url=base_url, profile=PROFILE)
        exchange = target.client(SID, TOKEN).get("/v1/Sims", check=False)
    assert exchange.oversize and exchange.body_bytes is None
    assert f"more than {MAX_BODY_BYTES:,} bytes" in exchange.error


def test_generated_transport_reads_no_further_than_the_cap():
    """Schemathesis' transport as the generated phase uses it: a 3 MB answer is cut, its size kept."""
    import requests

    transport = BoundedTransport(limit=1_000_000)
    with huge_body_server(3_000_000) as base_url:
        response = requests.get(base_url + "/v1/Sims", stream=True, hooks={"response": [transport.cap]}, timeout=10)
    assert len(response.content) == KEPT_BODY_CHARS
    assert body_overflow(response.request) == (True, 3_000_000)
    with huge_body_server(1_000) as base_url:
        response = requests.get(base_url + "/v1/Sims", stream=True, hooks={"response": [transport.cap]}, timeout=10)
    assert len(response.content) == 1_000 and body_overflow(response.request) == (False, None)


def test_a_run_against_a_target_whose_every_answer_is_20_mb_ends_with_bounded_memory(tmp_path):
    """The whole suite (generated phase included) against 20 MB answers: a clear failure, reports,
    no traceback, and the run's memory stays bounded (it grew past 12 GB when bodies were kept)."""
    profile = tmp_path / "profile.toml"
    profile.write_text(dump_profile(PROFILE))
    with huge_body_server(20 * 1024 * 1024) as base_url:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "conformance",
                "run",
                "--target",
                base_url,
                "--profile",
                str(profile),
                "--no-progress",
                "--report-dir",
                str(tmp_path / "out"),
                "--timeout",
                "10",
                "--max-examples",
                "5",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    received = [r["violation"]["received"] or "" for r in report["results"] if r.get("violation")]
    assert any("20,971,520 bytes" in text for text in received), received[:5]
    assert (tmp_path / "out" / "report.html").stat().st_size < 5_000_000
    assert peak_mb < 500, f"peak RSS of the run {peak_mb:.0f} MB"


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
        return Response(
            json.dumps(
                {
                    "code": 20429,
                    "message": "Too Many Requests",
                    "status": 429,
                    "more_info": "https://www.twilio.com/docs/errors/20429",
                }
            ),
            status=429,
            headers={"Retry-After": "0.2"},
            content_type="application/json",
        )

    server.expect_request("/v1/Sims").respond_with_handler(limited)
    _, client = client_for(server, max_retries_429=2, max_retry_after=0.5)
    exchange = client.get("/v1/Sims", check=False)
    assert exchange.status == 429 and len(calls) == 3
    assert calls[1] - calls[0] >= 0.18


def test_429_then_success(server):
    server.expect_ordered_request("/v1/Sims").respond_with_data(
        "{}", status=429, headers={"Retry-After": "0"}, content_type="application/json"
    )
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
    return {
        "sims": [],
        "meta": {
            "first_page_url": f"{base}/v1/Sims?PageSize=50&Page=0",
            "key": "sims",
            "next_page_url": next_url,
            "page": page,
            "page_size": 50,
            "previous_page_url": None if page == 0 else f"{base}/v1/Sims?Page={page - 1}",
            "url": f"{base}/v1/Sims?PageSize=50&Page={page}",
        },
    }


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
        return Response(
            json.dumps(_page(base, f"{base}/v1/Sims?PageToken={page + 1}", page)), content_type="application/json"
        )

    server.expect_request("/v1/Sims").respond_with_handler(endless)
    _, client = client_for(server)
    with pytest.raises(Violation) as caught:
        walk(client, max_pages=20)
    assert "did not end within 20 pages" in str(caught.value)
    assert len(server.log) == 20


def test_a_run_against_garbage_completes_with_failures_and_reports(server, tmp_path):
    """Every endpoint answers 200 with non-JSON: the run fails check by check and writes its reports."""
    server.expect_request(__import__("re").compile(".*")).respond_with_data(
        f"not json, and the token {TOKEN} echoed back", content_type="text/plain"
    )
    profile = tmp_path / "profile.toml"
    profile.write_text(dump_profile(PROFILE))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--target",
            server.url_for("/").rstrip("/"),
            "--profile",
            str(profile),
            "--suite",
            "read-only",
            "-k",
            "not generated",
            "--no-progress",
            "--report-dir",
            str(tmp_path / "out"),
            "--timeout",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["summary"]["failed"] > 10
    everything = result.stdout + result.stderr + "".join(p.read_text() for p in (tmp_path / "out").iterdir())
    for _, token in iter_tokens(PROFILE):
        assert token not in everything
    assert "[REDACTED]" in everything
