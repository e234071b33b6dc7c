"""Levels that mean something: a MUST violation fails a run, a SHOULD or MAY one is a warning.

A target whose only defect breaks a SHOULD (the planted fault ``generic-error-codes``: Super SIM
refusals with generic codes instead of Twilio's 830xx) must pass - exit 0 - with the warning in
every report format; ``--strict`` makes the same run fail. A Violation names only the
requirements it breaks, and its level is theirs.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conformance.checks import CHECKS, Violation, load_all, requirement_level, strongest
from conformance.checks.generated import only_paging_out_of_range
from conformance.contract.exchange import Exchange

SELECTION = "test_registration_errors"


def _run(tmp_path, *extra: str) -> tuple[int, dict, str, str]:
    report_dir = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--no-progress", "--report-dir", str(report_dir),
         "--fault", "generic-error-codes", "-k", SELECTION, *extra],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads((report_dir / "report.json").read_text())
    return done.returncode, report, done.stdout + done.stderr, (report_dir / "report.md").read_text()


def _card(report: dict, requirement: str) -> dict:
    return next(c for c in report["scorecard"] if c["id"] == requirement)


@pytest.mark.slow
def test_a_should_violation_is_a_warning_in_every_report(tmp_path):
    code, report, output, markdown = _run(tmp_path)
    assert code == 0, output
    warned = [r for r in report["results"] if r["outcome"] == "warned"]
    assert warned and report["warnings"] == len(warned) == report["summary"]["warned"]
    assert report["summary"]["failed"] == 0 and report["strict"] is False
    for result in warned:
        assert result["level"] == "SHOULD"
        assert set(result["warned_requirements"]) <= {"SIM-ERR-008", "SIM-ERR-009"}
        assert result["failed_requirements"] == []
        assert result["violation"]["check"] == "SCN-ERROR-CODE" and result["violation"]["level"] == "SHOULD"
    assert _card(report, "SIM-ERR-008")["verdict"] == "warned"
    assert _card(report, "SIM-CREATE-002")["verdict"] == "passed"  # the MUST part held
    assert "## Warnings" in markdown and "not Twilio's 83001" in markdown
    assert "WARNING SCN-CREATE-ERRORS (SIM-ERR-008, SHOULD)" in output
    junit = (tmp_path / "report" / "junit.xml").read_text()
    assert 'failures="0"' in junit and "warning (SHOULD)" in junit


@pytest.mark.slow
def test_strict_makes_a_should_violation_fail_the_run(tmp_path):
    code, report, output, _ = _run(tmp_path, "--strict")
    assert code == 1, output
    assert report["strict"] is True and report["warnings"] == 0
    failed = [r for r in report["results"] if r["outcome"] == "failed"]
    assert failed and all(set(r["failed_requirements"]) <= {"SIM-ERR-008", "SIM-ERR-009"} for r in failed)
    assert _card(report, "SIM-ERR-008")["verdict"] == "failed"


def test_a_violation_names_only_the_requirements_it_breaks():
    load_all()
    whole = Violation("SCN-ERROR-CODE", "m")
    assert whole.requirements == CHECKS["SCN-ERROR-CODE"].requirements and whole.level == "SHOULD"
    one = Violation("SCN-ERROR-CODE", "m", requirements=["SIM-ERR-012"])
    assert one.requirements == ("SIM-ERR-012",) and one.to_dict()["level"] == "SHOULD"
    with pytest.raises(ValueError, match="does not guard"):
        Violation("SCN-ERROR-CODE", "m", requirements=["SIM-PROP-001"])
    with pytest.raises(ValueError):
        Violation("SCN-ERROR-CODE", "m", requirements=[])


def test_levels_come_from_the_catalog_and_the_strongest_wins():
    assert requirement_level("SIM-PROP-001") == "MUST"
    assert requirement_level("SIM-ERR-003") == "SHOULD"
    assert requirement_level("SIM-MOVE-010") == "MAY"
    assert requirement_level("SIM-NOPE-999") == "MUST"  # never weaker for an unknown ID
    assert strongest(["SIM-ERR-003", "SIM-MOVE-010"]) == "SHOULD"
    assert strongest(["SIM-ERR-003", "SIM-PROP-001"]) == "MUST"
    assert strongest([]) == "MUST"
    # the paging checks mix a MUST range with the SHOULD answer outside it
    assert CHECKS["SCN-PAGE-SIZE-BOUNDS"].level == "MUST"


def _list(query: str) -> Exchange:
    return Exchange(method="GET", url=f"http://127.0.0.1:1/v1/Sims?{query}", status=200)


@pytest.mark.parametrize(
    ("query", "only_range"),
    [
        ("PageSize=0", True),
        ("PageSize=1001&Status=new", True),
        ("Page=-1&PageSize=50", True),
        ("PageSize=50", False),  # in range: no fault at all
        ("PageSize=ten", False),  # not an integer: the type is broken, a MUST
        ("PageSize=0&Status=bogus", False),  # another fault beside the range
        ("PageSize=0&PageSize=5", False),  # a parameter twice
    ],
)
def test_an_out_of_range_only_list_request_is_told_apart(query, only_range):
    assert only_paging_out_of_range(_list(query)) is only_range
    assert only_paging_out_of_range(None) is False
