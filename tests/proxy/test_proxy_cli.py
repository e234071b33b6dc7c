"""``supersim-conformance proxy`` as a user runs it: a process, a banner, Ctrl-C, report files,
a recording that ``run --target cassette:DIR`` judges again; usage errors and a dead upstream."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conformance.mock import start_mock
from conformance.profile import default_profile

URL = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def kit(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args], capture_output=True, text=True, cwd=cwd, timeout=timeout
    )


@pytest.fixture
def mock():
    with start_mock(default_profile(), faults=["lowercase-sid-prefix"]) as running:
        yield running


def test_a_session_from_banner_to_ctrl_c(tmp_path, mock):
    sid, token = mock.credentials("primary")
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "proxy", "--upstream", mock.base_url, "--port", "0",
         "--report-dir", "out", "--record", "rec"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        match = URL.search(banner)
        assert match, banner
        proxy = match.group(1)
        with httpx.Client(base_url=proxy, auth=(sid, token), trust_env=False, timeout=10) as http:
            listed = http.get("/v1/Sims", params={"PageSize": 3})
            assert listed.status_code == 200
            assert proxy in listed.json()["meta"]["next_page_url"], "the client stays on the proxy"
            http.get("/v1/Sims", params={"pageSize": 3})  # the client's mistake
            violations = http.get("/_proxy/violations").json()
            assert violations["exchanges"] == 2
            sides = {(v["side"], v["check"]) for v in violations["violations"]}
            assert ("server", "RESP-PAGE-SCHEMA") in sides and ("client", "CLIENT-PARAM-NAMES") in sides
            written = http.post("/_proxy/report").json()
            assert written["exit_code"] == 1 and Path(tmp_path, written["files"]["json"]).is_file()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 1, (out, err)
    assert "2 exchange(s)" in out and "client [CLIENT-PARAM-NAMES] breaks SIM-REQ-003" in out
    assert "Traceback" not in err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["target_kind"] == "proxy"
    failed = {r["id"] for r in report["results"] if r["outcome"] == "failed"}
    assert {"RESP-PAGE-SCHEMA", "CLIENT-PARAM-NAMES"} <= failed
    for name in ("report.json", "junit.xml", "report.md", "report.html", "badge.svg"):
        assert token not in (tmp_path / "out" / name).read_text(), name
    recorded = (tmp_path / "rec" / "traffic.yaml").read_text()
    assert token not in recorded and token not in out + err
    assert sid not in recorded, "the account SID is replaced by a placeholder"
    assert "https://supersim.twilio.com/v1/Sims" in recorded

    again = kit("run", "--target", "cassette:rec", "--report-dir", "again", cwd=tmp_path)
    assert again.returncode == 1, again.stdout + again.stderr
    rejudged = json.loads((tmp_path / "again" / "report.json").read_text())
    assert {r["id"] for r in rejudged["results"] if r["outcome"] == "failed"} == failed


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        ((), 2, "the following arguments are required: --upstream"),
        (("--upstream", "ftp://example"), 2, "must be an http:// or https:// base URL"),
        (("--upstream", "http://127.0.0.1:1"), 3, "did not answer"),
        (("--upstream", "http://127.0.0.1:1", "--keep-pii"), 2, "--keep-pii goes with --record"),
        (("--upstream", "http://127.0.0.1:1", "--port", "70000"), 2, "a port is 0-65535"),
    ],
)
def test_usage_errors_and_a_dead_upstream(tmp_path, args, code, says):
    result = kit("proxy", *args, cwd=tmp_path, timeout=60)
    assert result.returncode == code, result.stdout + result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr
    if code == 2:
        assert result.stderr.startswith("usage: supersim-conformance proxy")


def test_the_session_ends_cleanly_with_nothing_seen(tmp_path, mock):
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "proxy", "--upstream", mock.base_url, "--report-dir", "out"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    assert URL.search(process.stdout.readline())
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, out + err
    assert "0 exchange(s)" in out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["summary"]["failed"] == 0
