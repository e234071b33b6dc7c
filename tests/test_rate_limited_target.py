"""A correct target that rate-limits now and then (429, Twilio's body, Retry-After) is not a failure.

Twilio answers 429 with its error body and ``Retry-After`` when a client goes too fast. Every
request the kit sends, hand-written or generated (every Schemathesis phase and the state
machine), must wait and retry. The proxy (``tests/slow_proxy.py``) sits in front of the reference
mock and answers every Nth request with such a 429 instead of forwarding it.
"""

from __future__ import annotations

import json
import subprocess
import sys

from slow_proxy import slow_proxy  # tests/slow_proxy.py (tests/ is on sys.path: rootdir-relative, no package)

from conformance.mock.server import start_mock
from conformance.profile import dump_profile


def test_a_target_that_rate_limits_a_share_of_requests_passes_the_whole_suite(tmp_path):
    """The full suite, generated phases and state machine included, through a proxy that answers
    every 7th request 429 (Retry-After: 0, so the run stays short) and delays each by 5 ms."""
    with start_mock(async_delay=0.05) as mock:
        profile = tmp_path / "profile.toml"
        profile.write_text(dump_profile(mock.profile))
        with slow_proxy(mock.base_url, every=7, retry_after="0", latency=0.005) as (url, counts):
            result = subprocess.run(
                [sys.executable, "-m", "conformance", "run", "--target", url, "--profile", str(profile),
                 "--suite", "full", "--max-examples", "5", "--seed", "1", "--no-progress",
                 "--report-dir", str(tmp_path / "report")],
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    failing = [(r["id"], r["message"][:300]) for r in report["results"] if r["outcome"] in ("failed", "errored")]
    assert result.returncode == 0, (failing, result.stderr[-2000:])
    assert report["summary"]["skipped"] == 0, [r["nodeid"] for r in report["results"] if r["outcome"] == "skipped"]
    assert counts["limited"] >= 50, f"the proxy rate-limited only {counts['limited']} of {counts['requests']} requests"
