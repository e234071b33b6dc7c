"""A correct target that rate-limits now and then (429, Twilio's body, Retry-After) is not a failure.

Twilio answers 429 with its error body and ``Retry-After`` when a client goes too fast. Every
request the kit sends, hand-written or generated (every Schemathesis phase and the state
machine), must wait and retry. The proxy here sits in front of the reference mock and answers
every Nth request with such a 429 instead of forwarding it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conformance.mock.server import start_mock
from conformance.profile import dump_profile

TOO_MANY = json.dumps(
    {
        "code": 20429,
        "message": "Too Many Requests",
        "more_info": "https://www.twilio.com/docs/errors/20429",
        "status": 429,
    }
).encode()


@contextlib.contextmanager
def rate_limiting_proxy(upstream_port: int, every: int) -> Iterator[tuple[str, dict[str, int]]]:
    """A loopback proxy to ``127.0.0.1:upstream_port`` that answers every ``every``-th request 429."""
    counts = {"requests": 0, "limited": 0}
    lock = threading.Lock()

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            with lock:
                counts["requests"] += 1
                limited = counts["requests"] % every == 0
                counts["limited"] += limited
            if limited:
                self.send_response(429)
                for name, value in (("Content-Type", "application/json"), ("Retry-After", "0")):
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(TOO_MANY)))
                self.end_headers()
                self.wfile.write(TOO_MANY)
                return
            upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=10)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            finally:
                upstream.close()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_TRACE = do_HEAD = answer

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", counts
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize(
    "keyword",
    [
        # Schema-valid phases and the state machine: the coverage and negative phases send requests
        # (raw control characters in paths, odd methods) that this small proxy cannot relay.
        pytest.param("examples or fuzz-positive or test_generated_stateful", id="generated-phases-and-stateful"),
        pytest.param("test_read or test_auth", id="hand-written-read-scenarios"),
    ],
)
def test_a_target_that_rate_limits_a_share_of_requests_passes(tmp_path, keyword):
    with start_mock(async_delay=0.05) as mock:
        profile = tmp_path / "profile.toml"
        profile.write_text(dump_profile(mock.profile))
        # The proxy answers 429 to every 7th request; its own Host is what the mock sees, so the
        # links the mock builds point back through the proxy.
        with rate_limiting_proxy(mock.port, every=7) as (url, counts):
            result = subprocess.run(
                [sys.executable, "-m", "conformance", "run", "--target", url, "--profile", str(profile),
                 "--suite", "full", "-k", keyword, "--max-examples", "5", "--seed", "1", "--no-progress",
                 "--report-dir", str(tmp_path / "report")],
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    failing = [(r["id"], r["message"][:300]) for r in report["results"] if r["outcome"] in ("failed", "errored")]
    assert result.returncode == 0, (failing, result.stderr[-2000:])
    assert counts["limited"] >= 5, f"the proxy rate-limited only {counts['limited']} of {counts['requests']} requests"
