"""The suite has teeth: a zoo of faulty servers, each failing on the check meant to catch it.

Every planted fault of the reference mock (``conformance.mock.faults.FAULTS``) is one server
with exactly one defect. The run against it, through the real CLI, must exit 1 and name, among
its failures, one of the checks that target that defect; the run against the faultless mock
must pass completely. The cases come from the fault table itself
(``conformance.mock.faults.PLANTED``: each entry names the checks that must catch it and the
``-k`` selection that runs them), so a new fault cannot go unproven.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conformance.mock.faults import FAULTS, PLANTED

#: fault -> (the checks any one of which must catch it, the -k selection of the suite that can),
#: from the mock's fault table: a fault is one entry there, and this zoo proves it.
ZOO: dict[str, tuple[set[str], str]] = {fault.name: (set(fault.caught_by), fault.selection) for fault in PLANTED}
LEVEL = {fault.name: fault.level for fault in PLANTED}


def run_cli(tmp_path, *args: str) -> tuple[int, dict, str]:
    report_dir = tmp_path / "report"
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--no-progress", "--report-dir", str(report_dir), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads((report_dir / "report.json").read_text())
    return result.returncode, report, result.stdout + result.stderr


def failed_checks(report: dict, outcomes: tuple[str, ...] = ("failed", "errored")) -> set[str]:
    found = set()
    for result in report["results"]:
        if result["outcome"] in outcomes:
            found.add(result["id"])
            if result.get("violation"):
                found.add(result["violation"]["check"])
                found.update(other["check"] for other in result["violation"].get("also", []))
    return found


def test_every_fault_is_in_the_zoo():
    assert set(ZOO) == set(FAULTS), "each planted fault needs a zoo entry naming the check that catches it"


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(ZOO))
def test_faulty_server_fails_on_the_check_meant_to_catch_it(tmp_path, fault):
    expected, selection = ZOO[fault]
    code, report, output = run_cli(
        tmp_path, "--fault", fault, "-k", selection, "--max-examples", "5", "--callback-timeout", "3"
    )
    if LEVEL[fault] == "MUST":
        caught = failed_checks(report)
        assert code == 1, f"the run against a mock with {fault!r} did not fail:\n{output}"
    else:  # a SHOULD defect is a warning: reported, and the run still passes
        caught = failed_checks(report, ("warned",))
        assert code == 0 and report["warnings"] >= 1, f"{fault!r}: exit {code}, warnings {report['warnings']}\n{output}"
        assert not failed_checks(report), output
    assert caught & expected, f"{fault!r} was caught by {sorted(caught)}, not by any of {sorted(expected)}"
    assert fault in report["target_kind"]


@pytest.mark.slow
def test_reference_mock_passes_the_hand_written_suite(tmp_path):
    code, report, output = run_cli(tmp_path, "-k", "not generated")
    assert code == 0, output
    summary = report["summary"]
    assert summary["failed"] == 0 and summary["errored"] == 0
    assert summary["skipped"] == 0, [
        r["nodeid"] + ": " + r["message"] for r in report["results"] if r["outcome"] == "skipped"
    ]
    assert summary["passed"] >= 80
