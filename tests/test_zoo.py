"""The suite has teeth: a zoo of faulty servers, each failing on the check meant to catch it.

Every planted fault of the reference mock (``conformance.mock.faults.FAULTS``) is one server
with exactly one defect. The run against it, through the real CLI, must exit 1 and name, among
its failures, one of the checks that target that defect; the run against the faultless mock
must pass completely. A fault with no entry in ``ZOO`` fails ``test_every_fault_is_in_the_zoo``,
so a new fault cannot go unproven.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conformance.mock.faults import FAULTS

#: fault -> (the checks any one of which must catch it, the -k selection of the suite that can).
ZOO: dict[str, tuple[set[str], str]] = {
    "lowercase-sid-prefix": ({"RESP-SIM-SCHEMA", "RESP-PAGE-SCHEMA"}, "test_response_check or test_fetch_by_sid"),
    "iccid-filter-returns-two": ({"RESP-FILTER-ICCID", "SCN-FILTER-ICCID"}, "iccid"),
    "next-page-loops": ({"SCN-PAGE-WALK"}, "test_walk"),
    "page-repeats-item": ({"SCN-PAGE-WALK"}, "test_walk"),
    "create-returns-200": ({"RESP-CREATE"}, "test_register_card"),
    "skip-scheduled": ({"SCN-ASYNC-ACTIVATE", "SCN-ASYNC-DEACTIVATE", "SCN-ASYNC-REACTIVATE"}, "asynchronous"),
    "fleet-changes-while-scheduled": ({"SCN-ASYNC-FLEET"}, "test_fleet_change_of_activated_sim"),
    "callback-as-json": ({"SCN-CB-POST"}, "test_post_callback"),
    "callback-without-account-sid": ({"SCN-CB-POST"}, "test_post_callback"),
    "callback-get-as-form": ({"SCN-CB-GET"}, "test_get_callback"),
    "callback-bad-signature": ({"SCN-CB-SIGNATURE"}, "test_callback_signature"),
    "callback-twice": ({"SCN-CB-POST"}, "test_post_callback"),
    "no-callback": ({"SCN-CB-POST"}, "test_post_callback"),
    "error-body-not-twilio": ({"RESP-ERROR-BODY"}, "test_fetch_unknown or test_response_check"),
    "accept-wrong-credentials": ({"SCN-AUTH-WRONG", "SCN-AUTH-MISSING"}, "wrong_token or missing_credentials"),
    "other-account-visible": ({"SCN-AUTH-OTHER-ACCOUNT"}, "other_accounts"),
    "relative-urls": ({"RESP-SIM-URL", "RESP-SIM-SCHEMA", "RESP-PAGE-SCHEMA", "RESP-PAGE-HOST"},
                      "test_response_check or test_fetch_by_sid"),
    "meta-key-wrong": ({"RESP-PAGE-SCHEMA", "RESP-PAGE-META"}, "test_response_check or test_plain_list"),
    "no-null-next-on-last-page": ({"SCN-PAGE-WALK"}, "test_walk"),
    "ignore-page-size": ({"RESP-PAGE-META", "SCN-PAGE-WALK", "SCN-PAGE-SIZE-BOUNDS"}, "test_walk or page_size"),
    "ignore-status-filter": ({"RESP-FILTER-STATUS", "SCN-FILTER-STATUS"}, "status_filter or test_response_check"),
    "allow-ready-from-active": ({"SCN-TRANS-READY"}, "test_ready_only_from_new"),
    "allow-return-to-new": ({"SCN-TRANS-NEW"}, "test_never_back_to_new"),
    "duplicate-unique-name-allowed": ({"SCN-UNIQUE-NAME"}, "test_unique_name"),
    "unknown-sid-returns-200-empty": ({"SCN-FETCH-404", "RESP-SIM-SCHEMA"}, "test_fetch_unknown"),
    "date-updated-not-moving": ({"SCN-ASYNC-ACTIVATE", "SCN-ASYNC-DEACTIVATE", "SCN-ASYNC-REACTIVATE"},
                                "asynchronous"),
    "next-page-other-host": ({"RESP-PAGE-HOST", "SAFE-FOREIGN-HOST"}, "test_walk or test_response_check"),
    "forbidden-not-404": ({"SCN-AUTH-OTHER-ACCOUNT"}, "other_accounts"),
    "page-size-over-max-accepted": ({"SCN-PAGE-SIZE-BOUNDS"}, "page_size"),
    "move-non-new-allowed": ({"SCN-MOVE-RULES"}, "test_only_new_sims_move"),
    "move-to-unrelated-allowed": ({"SCN-MOVE-RULES"}, "test_move_to_unrelated"),
    "no-auto-activate": ({"SCN-AUTO-ACTIVE"}, "automatically"),
    "date-updated-before-created": ({"RESP-SIM-DATES"}, "test_response_check or test_fetch_by_sid"),
    "ignore-fleet-filter": ({"RESP-FILTER-FLEET", "SCN-FILTER-FLEET", "SCN-FILTER-COMBINED"},
                            "test_response_check or fleet_filter or combined"),
    "list-shows-other-accounts": ({"RESP-ACCOUNT"}, "test_response_check or test_walk"),
    "unique-name-not-addressable": ({"SCN-FETCH-NAME", "SCN-UNIQUE-NAME"}, "unique_name"),
    "default-page-size-20": ({"SCN-LIST-DEFAULT", "RESP-PAGE-META"}, "test_plain_list"),
    "json-body-accepted": ({"SCN-CREATE-JSON"}, "test_json_body"),
    "move-keeps-foreign-fleet": ({"SCN-MOVE-FLEET"}, "test_sim_with_fleet_needs_a_fleet"),
}


def run_cli(tmp_path, *args: str) -> tuple[int, dict, str]:
    report_dir = tmp_path / "report"
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--no-progress", "--report-dir", str(report_dir), *args],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads((report_dir / "report.json").read_text())
    return result.returncode, report, result.stdout + result.stderr


def failed_checks(report: dict) -> set[str]:
    found = set()
    for result in report["results"]:
        if result["outcome"] in ("failed", "errored"):
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
    code, report, output = run_cli(tmp_path, "--fault", fault, "-k", selection, "--max-examples", "5", "--callback-timeout", "3")
    caught = failed_checks(report)
    assert code == 1, f"the run against a mock with {fault!r} did not fail:\n{output}"
    assert caught & expected, f"{fault!r} was caught by {sorted(caught)}, not by any of {sorted(expected)}"
    assert fault in report["target_kind"]


@pytest.mark.slow
def test_reference_mock_passes_the_hand_written_suite(tmp_path):
    code, report, output = run_cli(tmp_path, "-k", "not generated")
    assert code == 0, output
    summary = report["summary"]
    assert summary["failed"] == 0 and summary["errored"] == 0
    assert summary["skipped"] == 0, [r["nodeid"] + ": " + r["message"] for r in report["results"] if r["outcome"] == "skipped"]
    assert summary["passed"] >= 80
