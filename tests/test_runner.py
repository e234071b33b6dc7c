"""`supersim-conformance run` as a user runs it: exit codes, reports, expected failures, secrets."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.mock.server import start_mock
from conformance.profile import default_profile, dump_profile, iter_tokens

SMALL = "test_fetch_by_sid or test_fetch_unknown or test_plain_list"


def run_cli(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "conformance", "run", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def tokens() -> list[str]:
    return [token for _, token in iter_tokens(default_profile())]


@pytest.fixture
def profile_file(tmp_path) -> Path:
    path = tmp_path / "profile.toml"
    path.write_text(dump_profile(default_profile()))
    return path


def test_default_run_writes_every_report_and_latest_pointer(tmp_path):
    result = run_cli(tmp_path, "-k", SMALL, "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    latest = tmp_path / "reports" / "latest"
    assert latest.exists()
    run_dir = latest.resolve() if latest.is_symlink() else tmp_path / "reports" / latest.read_text().strip()
    for name in ("report.json", "junit.xml", "report.md", "report.html"):
        assert (run_dir / name).is_file(), name
    report = json.loads((run_dir / "report.json").read_text())
    assert {"target", "suite", "start_time", "duration", "summary", "results", "scorecard"} <= set(report)
    assert set(report["summary"]) >= {"passed", "failed", "skipped", "errored", "xfailed"}
    for row in report["results"]:
        assert {"id", "requirements", "title", "outcome", "message"} <= set(row)
    assert report["summary"]["passed"] == report["summary"]["total"] > 0
    names = [case.get("name") for case in ET.parse(run_dir / "junit.xml").getroot().iter("testcase")]
    assert names and all(name.split()[0] in {r["id"] for r in report["results"]} for name in names)
    assert "0 failed" in result.stdout


def test_failing_run_still_writes_reports_with_reproduction(tmp_path):
    result = run_cli(
        tmp_path,
        "--fault",
        "lowercase-sid-prefix",
        "-k",
        "test_fetch_by_sid",
        "--no-progress",
        "--report-dir",
        str(tmp_path / "out"),
    )
    assert result.returncode == 1
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    failure = next(r for r in report["results"] if r["outcome"] == "failed")
    caught = {failure["violation"]["check"], *(o["check"] for o in failure["violation"]["also"])}
    assert "RESP-SIM-SCHEMA" in caught
    assert "SIM-PROP-001" in failure["requirements"]
    curl = failure["violation"]["exchange"]["curl"]
    assert curl.startswith("curl ") and "$TWILIO_AUTH_TOKEN" in curl
    md = (tmp_path / "out" / "report.md").read_text()
    html = (tmp_path / "out" / "report.html").read_text()
    assert "## Failures" in md and "RESP-SIM-SCHEMA" in md and "reproduce" in md
    assert html.index("failed") < html.index("passed")  # failures first
    for text in (
        result.stdout,
        result.stderr,
        md,
        html,
        (tmp_path / "out" / "report.json").read_text(),
        (tmp_path / "out" / "junit.xml").read_text(),
    ):
        for token in tokens():
            assert token not in text


def test_expected_failures_become_xfail_and_passing_ones_fixed(tmp_path):
    expected = tmp_path / "gaps.txt"
    expected.write_text(
        "# known gaps of this mock\nRESP-SIM-SCHEMA: SIDs are lowercase in our emulator\n"
        "SIM-PROP-002: the same lowercase SIDs: a fetched Sim never equals its profile entry\n"
        "RESP-SIM-URL: url keeps the uppercase HS prefix, so it is not built from the sid\n"
        "SCN-FETCH-404: claimed broken, but it is not\n"
    )
    result = run_cli(
        tmp_path,
        "--fault",
        "lowercase-sid-prefix",
        "-k",
        "test_fetch_by_sid or test_fetch_unknown",
        "--expect-failures",
        str(expected),
        "--no-progress",
        "--report-dir",
        str(tmp_path / "out"),
    )
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    outcomes = {r["nodeid"]: r["outcome"] for r in report["results"]}
    assert result.returncode == 0, result.stdout + result.stderr
    assert report["summary"]["xfailed"] >= 4 and report["summary"]["failed"] == 0
    assert any(o == "fixed" for n, o in outcomes.items() if "test_fetch_unknown" in n)


def test_an_expected_gap_never_hides_another_failure(tmp_path):
    expected = tmp_path / "gaps.txt"
    expected.write_text("RESP-SIM-SCHEMA: SIDs are lowercase in our emulator\n")

    def run(*faults: str) -> tuple[int, dict]:
        out = tmp_path / "-".join(faults)
        result = run_cli(
            tmp_path,
            *[arg for fault in faults for arg in ("--fault", fault)],
            "-k",
            "test_fetch_by_sid or test_fetch_unknown",
            "--expect-failures",
            str(expected),
            "--no-progress",
            "--report-dir",
            str(out),
        )
        return result.returncode, json.loads((out / "report.json").read_text())

    # the listed gap alone: SCN-FETCH-SID stops on it (blocked, not judged), so nothing else failed
    code, report = run("lowercase-sid-prefix")
    assert code == 0 and report["summary"]["failed"] == 0 and report["summary"]["xfailed"] >= 1
    # a second, unlisted defect still fails the run: the gap hides only what it explains
    code, report = run("lowercase-sid-prefix", "error-body-not-twilio")
    assert code == 1
    failed = {r["violation"]["check"] for r in report["results"] if r["outcome"] == "failed"}
    assert failed == {"RESP-ERROR-BODY"}


def test_bad_expected_failures_file_is_exit_2(tmp_path):
    bad = tmp_path / "gaps.txt"
    bad.write_text("RESP-SIM-SCHEMA without a reason\n")
    result = run_cli(tmp_path, "--expect-failures", str(bad))
    assert result.returncode == 2 and "line 1" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--workers", "0"], "at least 1"),
        (["--suite", "everything"], "invalid choice"),
        (["--target", "http://127.0.0.1:9"], "--target needs credentials"),
        (["--target", "not a url", "--profile", "x.toml"], "http(s) URL"),
        (["--max-examples", "-3"], "at least 1"),
        (["--fault", "no-such-fault"], "unknown fault"),
    ],
)
def test_usage_errors_exit_2(tmp_path, args, fragment):
    result = run_cli(tmp_path, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_unreadable_profile_is_exit_2(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[[accounts]\nsid = ")
    result = run_cli(tmp_path, "--target", "http://127.0.0.1:9", "--profile", str(broken))
    assert result.returncode == 2 and "broken.toml" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_target_is_exit_3(tmp_path, profile_file):
    result = run_cli(tmp_path, "--target", "http://127.0.0.1:9", "--profile", str(profile_file))
    assert result.returncode == 3 and "unreachable" in result.stderr


def test_rejected_credentials_are_exit_3(tmp_path):
    profile = default_profile()
    with start_mock(profile) as mock:
        text = dump_profile(profile).replace(profile.primary.auth_token, "0" * 32)
        path = tmp_path / "wrong.toml"
        path.write_text(text)
        result = run_cli(tmp_path, "--target", mock.base_url, "--profile", str(path))
    assert result.returncode == 3 and "rejected the credentials" in result.stderr
    assert profile.primary.auth_token not in result.stdout + result.stderr


def test_any_target_by_url_with_environment_credentials(tmp_path):
    profile = default_profile()
    with start_mock(profile) as mock:
        text = dump_profile(profile).replace(
            f'auth_token = "{profile.primary.auth_token}"', 'auth_token_env = "MY_PRIMARY_TOKEN"'
        )
        path = tmp_path / "p.toml"
        path.write_text(text)
        result = run_cli(
            tmp_path,
            "--target",
            mock.base_url,
            "--profile",
            str(path),
            "-k",
            SMALL,
            "--no-progress",
            "--report-dir",
            str(tmp_path / "out"),
            env={"MY_PRIMARY_TOKEN": profile.primary.auth_token},
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((tmp_path / "out" / "report.json").read_text())["target"] == mock.base_url


def test_read_only_suite_sends_no_state_changing_request(tmp_path, profile_file):
    profile = default_profile()
    with start_mock(profile) as mock:
        mock.state.clear_requests()
        result = run_cli(
            tmp_path,
            "--target",
            mock.base_url,
            "--profile",
            str(profile_file),
            "--suite",
            "read-only",
            "-k",
            "not generated",
            "--no-progress",
            "--report-dir",
            str(tmp_path / "out"),
        )
        methods = {(entry["method"], entry["status"] < 400) for entry in mock.state.requests}
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["suite"] == "read-only" and report["summary"]["skipped"] > 0
    assert ("POST", True) not in methods, "a read-only run changed state on the target"


def test_progress_lines_when_not_a_terminal(tmp_path):
    result = run_cli(tmp_path, "--fault", "meta-key-wrong", "-k", "test_plain_list or test_fetch_unknown")
    assert "FAIL SCN-LIST-DEFAULT" in result.stderr or "FAIL RESP-PAGE-SCHEMA" in result.stderr
    assert "checks run" in result.stderr
    assert "\r" not in result.stderr


def test_what_cannot_be_put_back_is_one_note_and_only_for_a_target_that_outlives_the_run(tmp_path):
    selection = ["-k", "test_deactivation_is_asynchronous", "--no-progress"]
    # the embedded mock goes away with the run: nothing to report about its state
    run_cli(tmp_path, *selection, "--report-dir", str(tmp_path / "embedded"))
    embedded = json.loads((tmp_path / "embedded" / "report.json").read_text())
    assert embedded["not_restored"] == [] and not [n for n in embedded["notes"] if "put back" in n]
    # a served mock outlives it: one summarising note, the details in not_restored
    with start_mock(async_delay=0.05) as mock:
        profile = tmp_path / "profile.toml"
        profile.write_text(dump_profile(mock.profile))
        run_cli(tmp_path, *selection, "--target", mock.base_url, "--profile", str(profile),
                "--report-dir", str(tmp_path / "served"))  # fmt: skip
    served = json.loads((tmp_path / "served" / "report.json").read_text())
    assert [n for n in served["notes"] if "could not be put back" in n] == [served["notes"][-1]]
    assert served["not_restored"] and all("status cannot be restored" in n for n in served["not_restored"])


def test_a_failure_against_the_embedded_mock_says_how_to_reproduce_it(tmp_path):
    result = run_cli(tmp_path, "--fault", "lowercase-sid-prefix", "-k", "test_fetch_by_sid", "--no-progress",
                     "--report-dir", str(tmp_path / "out"))  # fmt: skip
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    command = "supersim-conformance serve --port 8080 --async-delay 0.05 --fault lowercase-sid-prefix"
    assert command in result.stdout and any(command in note for note in report["notes"])
    # the mock that command serves has the same data and the same defect: the failing request fails again
    failure = next(r for r in report["results"] if r["outcome"] == "failed")
    url = failure["violation"]["exchange"]["url"]
    with start_mock(faults=["lowercase-sid-prefix"], async_delay=0.05) as mock:
        import httpx

        path = url.split("/v1/", 1)[1]
        answer = httpx.get(f"{mock.base_url}/v1/{path}", auth=mock.credentials(), trust_env=False)
    assert answer.status_code == 200 and answer.json()["sid"].startswith("hs")


def test_exitfirst_stops_at_the_first_failure_and_show_skips_says_why(tmp_path):
    result = run_cli(tmp_path, "--fault", "lowercase-sid-prefix", "-x", "-k", "test_read", "--no-progress",
                     "--report-dir", str(tmp_path / "x"))  # fmt: skip
    report = json.loads((tmp_path / "x" / "report.json").read_text())
    assert result.returncode == 1 and report["summary"]["failed"] == 1 and report["summary"]["total"] == 1
    profile = tmp_path / "no-cards.toml"
    profile.write_text(dump_profile(dataclasses.replace(default_profile(), registrable=())))  # no card to register
    shown = run_cli(tmp_path, "--profile", str(profile), "-k", "test_register_card", "--no-progress", "--show-skips",
                    "--report-dir", str(tmp_path / "s"))  # fmt: skip
    assert shown.returncode == 0 and "SKIPPED SCN-CREATE" in shown.stdout and "registrable" in shown.stdout
    quiet = run_cli(tmp_path, "--profile", str(profile), "-k", "test_register_card", "--no-progress",
                    "--report-dir", str(tmp_path / "q"))  # fmt: skip
    assert "--show-skips says why" in quiet.stdout and "SKIPPED" not in quiet.stdout


def test_workers_claim_the_profiles_data_first_come_first_served(tmp_path):
    """Under pytest-xdist a Sim goes to whichever worker asks first (a file in the run's .claims),
    not to a fixed half: a worker that runs many activation scenarios never runs out while the
    other has spares. The claims are this run's only and are gone afterwards."""
    from conformance.suite.data import DataPool

    claims = tmp_path / ".claims"
    profile = default_profile()
    first, second = DataPool(profile, share=(0, 2), claims=claims), DataPool(profile, share=(1, 2), claims=claims)
    sims = [s.sid for s in profile.sims_by(profile.primary.sid, "new") if s.sid not in first.reserved]
    assert all(first._take(sid) for sid in sims)  # one worker may take every free Sim ...
    assert not any(second._take(sid) for sid in sims)  # ... and then the other gets none of them twice
    result = run_cli(
        tmp_path, "-k", "test_update", "--workers", "2", "--no-progress", "--report-dir", str(tmp_path / "r")
    )
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert result.returncode == 0 and report["summary"]["skipped"] == 0
    assert not (tmp_path / "r" / ".claims").exists()
