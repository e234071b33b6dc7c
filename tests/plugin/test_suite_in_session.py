"""``pytest --supersim-conformance``: the conformance suite inside another repository's session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.checks import CHECKS, load_all
from conformance.mock import start_mock
from conformance.profile import dump_profile

#: A quick selection of the suite (hand-written read scenarios).
SELECTION = "test_fetch_by_sid or test_iccid_filter_finds or test_iccid_filter_unknown"

#: A user's own tests beside the suite: one marked, one not; both record what the session saw.
RECORDING_CONFTEST = '''
import json, os, threading
from pathlib import Path


def pytest_collection_finish(session):
    """Where this process (controller or xdist worker) points the suite, and which threads run."""
    config = session.config
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    Path(f"seen-{worker}.json").write_text(json.dumps({
        "target": config.getoption("supersim_target"),
        "profile": config.getoption("supersim_profile"),
        "threads": sorted(t.name for t in threading.enumerate()),
    }))
'''

USER_TESTS = """
import pytest


@pytest.mark.supersim_requirement("SIM-FILTER-005")
def test_user_iccid_lookup(supersim_mock, supersim_client):
    iccid = supersim_mock.profile.sims_of(supersim_mock.account_sid)[0].iccid
    assert len(supersim_client.supersim.v1.sims.list(iccid=iccid)) == 1


def test_user_unmarked():
    pass
"""


def _seen(folder: Path) -> dict[str, dict]:
    return {path.stem.removeprefix("seen-"): json.loads(path.read_text()) for path in folder.glob("seen-*.json")}


def test_a_selection_of_the_suite_runs_in_the_session(pytester, run_subprocess, read_report):
    pytester.makeconftest(RECORDING_CONFTEST)
    pytester.makepyfile(test_user=USER_TESTS)
    result = run_subprocess(
        "--supersim-conformance", "-k", f"{SELECTION} or test_user", "-v", "--supersim-report-dir", "reports"
    )
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(
        [
            "test_read.py::test_fetch_by_sid[[]new[]] PASSED*",  # the suite's node IDs are the CLI's
            "*- supersim-conformance -*",
            "7 passed, 0 failed, 0 errored, 0 warned, 0 skipped, 0 xfailed, 0 fixed (7 checks)",
        ]
    )
    report = read_report(pytester.path / "reports")
    assert report["target_kind"] == "reference-mock" and report["suite"] == "full"
    assert report["summary"]["total"] == 7
    load_all()
    rows = {row["nodeid"]: row for row in report["results"]}
    suite_rows = {nodeid: row for nodeid, row in rows.items() if nodeid.startswith("test_read.py::")}
    assert len(suite_rows) == 6
    for row in suite_rows.values():
        assert row["id"] in CHECKS and row["outcome"] == "passed"
        assert set(CHECKS[row["id"]].requirements) <= set(row["requirements"])
    assert rows["test_user.py::test_user_iccid_lookup"]["requirements"] == ["SIM-FILTER-005"]
    assert "test_user.py::test_user_unmarked" not in rows
    # the embedded mock ran in this (controlling) process, from a temporary profile removed afterwards
    [seen] = _seen(pytester.path).values()
    assert seen["target"] == report["target"] and seen["target"].startswith("http://127.0.0.1:")
    assert "supersim-mock" in seen["threads"]
    assert not Path(seen["profile"]).exists()


def test_the_suite_against_a_given_target(pytester, run_subprocess, read_report, tmp_path):
    # a repository whose own configuration would hide the suite or turn its warnings into errors
    pytester.makeini("[pytest]\npython_files = check_*.py\nfilterwarnings = error\n")
    with start_mock(async_delay=0.05) as mock:
        profile = tmp_path / "target.toml"
        profile.write_text(dump_profile(mock.profile))
        result = run_subprocess(
            "--supersim-conformance",
            "--supersim-target",
            mock.base_url + "/",
            "--supersim-profile",
            str(profile),
            "--supersim-suite",
            "read-only",
            "-k",
            "test_fetch_by_sid",
            "--supersim-report-dir",
            "reports",
        )
        seen_paths = {entry["path"] for entry in mock.state.requests}
    result.assert_outcomes(passed=4)
    assert any(path.startswith("/v1/Sims/HS") for path in seen_paths)  # the suite talked to this mock
    report = read_report(pytester.path / "reports")
    assert (report["target"], report["target_kind"], report["suite"]) == (mock.base_url, "url", "read-only")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--supersim-target", "ftp://127.0.0.1:1"], "--supersim-target must be an http(s) URL"),
        (["--supersim-target", "http://127.0.0.1:1"], "--supersim-target needs credentials"),
        (["--supersim-profile", "missing.toml"], "missing.toml: cannot read profile"),
        (["--supersim-expect-failures", "missing.txt"], "missing.txt: cannot read the expected-failures file"),
    ],
    ids=["bad-url", "no-profile", "missing-profile", "missing-expect-failures"],
)
def test_usage_errors_stop_the_session(pytester, run_inprocess, args, fragment, monkeypatch):
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)  # without them a target needs a profile
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    result = run_inprocess("--supersim-conformance", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ERROR: supersim-conformance: " in result.stderr.str() and fragment in result.stderr.str()


def test_an_unreachable_target_ends_the_session_with_status_3(pytester, run_subprocess, tmp_path):
    profile = tmp_path / "target.toml"
    with start_mock() as mock:
        profile.write_text(dump_profile(mock.profile))
        url = mock.base_url
    result = run_subprocess("--supersim-conformance", "--supersim-target", url, "--supersim-profile", str(profile))
    assert result.ret == 3
    assert f"Exit: supersim-conformance: {url} is unreachable" in result.stdout.str() + result.stderr.str()


def test_the_suite_under_xdist_uses_the_controllers_mock(pytester, run_subprocess, read_report):
    pytester.makeconftest(RECORDING_CONFTEST)
    pytester.makepyfile(test_user=USER_TESTS)
    result = run_subprocess(
        "-n", "2", "--supersim-conformance", "-k", f"{SELECTION} or test_user", "--supersim-report-dir", "reports"
    )
    result.assert_outcomes(passed=8)
    report = read_report(pytester.path / "reports")
    assert report["summary"] == {
        "total": 7,
        "passed": 7,
        "failed": 0,
        "errored": 0,
        "warned": 0,
        "skipped": 0,
        "xfailed": 0,
        "fixed": 0,
    }
    seen = _seen(pytester.path)
    assert set(seen) == {"gw0", "gw1"}  # the controller collects nothing under xdist
    for worker in seen.values():
        assert worker["target"] == report["target"]  # the controller's mock ...
        assert "supersim-mock" not in worker["threads"]  # ... and no mock of the worker's own
    assert len({worker["profile"] for worker in seen.values()}) == 1


def test_inside_the_cli_the_cli_writes_the_reports(pytester, run_inprocess):
    """``supersim-conformance run`` passes --supersim-report-dir and registers its own Collector."""
    from conformance.report.collect import Collector

    pytester.makepyfile(
        test_marked="""
import pytest

@pytest.mark.supersim_requirement("SIM-ERR-001")
def test_marked():
    pass
"""
    )
    collector = Collector(progress=False)
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--supersim-report-dir", "reports", plugins=[collector]
    )
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "reports").exists() and " supersim-conformance " not in result.stdout.str()
    assert [r.id for r in collector.ordered()] == ["test_marked"]


def _rows(report: dict) -> dict[str, tuple]:
    return {row["nodeid"]: (row["id"], row["outcome"], tuple(row["requirements"])) for row in report["results"]}


@pytest.mark.slow
def test_a_full_read_only_run_matches_the_cli(pytester, run_subprocess, read_report, tmp_path):
    result = run_subprocess(
        "--supersim-conformance", "--supersim-suite", "read-only", "--supersim-report-dir", "reports", timeout=600
    )
    assert result.ret == 0, result.stdout.str()[-3000:]
    plugin = read_report(pytester.path / "reports")
    cli = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--suite", "read-only", "--report-dir", str(tmp_path / "cli")],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert cli.returncode == 0, cli.stderr[-3000:]
    expected = read_report(tmp_path / "cli")
    assert plugin["summary"] == expected["summary"]
    assert plugin["summary"]["passed"] > 0 and plugin["summary"]["skipped"] > 0
    assert _rows(plugin) == _rows(expected)
    assert {c["id"]: c["verdict"] for c in plugin["scorecard"]} == {
        c["id"]: c["verdict"] for c in expected["scorecard"]
    }


@pytest.mark.slow
def test_a_cassette_recording_replays_in_the_session(pytester, run_subprocess, read_report, tmp_path):
    """`supersim-conformance record` writes a recording; `--supersim-target cassette:DIR` replays it offline."""
    recording = tmp_path / "recording"
    record = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "record",
            "--out",
            str(recording),
            "--report-dir",
            str(tmp_path / "record-report"),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert record.returncode == 0, record.stdout + record.stderr
    result = run_subprocess(
        "--supersim-conformance",
        "--supersim-target",
        f"cassette:{recording}",
        "-k",
        "test_read",
        "--supersim-report-dir",
        "reports",
    )
    assert result.ret == 0, result.stdout.str()[-3000:]
    report = read_report(pytester.path / "reports")
    assert (report["target_kind"], report["suite"]) == ("cassette", "read-only")
    assert report["summary"]["passed"] > 10 and report["summary"]["failed"] == 0
    assert (
        run_subprocess(
            "--supersim-conformance", "--supersim-target", f"cassette:{recording}", "--supersim-suite", "full"
        ).ret
        == pytest.ExitCode.USAGE_ERROR
    )
