"""The suite has teeth: a zoo of faulty servers, each failing on the check meant to catch it.

Every planted fault of the reference mock (``conformance.mock.faults.FAULTS``) is one server
with exactly one defect. The run against it (the runner's ``run``, as the CLI calls it, in one
process per shard: ``tests/mutation_score.py``) must exit 1 and name, among its failures, one of
the checks that target that defect and one of the requirements it breaks; the run against the
faultless mock must pass completely. The cases come from the fault table itself
(``conformance.mock.faults.PLANTED``: each entry names the checks that must catch it and the
``-k`` selection that runs them), so a new fault cannot go unproven.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.mock.faults import FAULTS, PLANTED

ROOT = Path(__file__).resolve().parents[1]
#: The zoo runs in this many shards, each one process running its faults one after another
#: (``tests/mutation_score.py``): ~0.8 s a fault instead of ~3 s for a fresh interpreter each.
SHARDS = 8


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


def test_every_fault_is_in_exactly_one_shard():
    from tests.mutation_score import select

    shards = [{fault.name for fault in select(shard=f"{i}/{SHARDS}")} for i in range(1, SHARDS + 1)]
    assert sorted(name for shard in shards for name in shard) == sorted(FAULTS)


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(1, SHARDS + 1))
def test_faulty_servers_fail_on_the_checks_meant_to_catch_them(tmp_path, shard):
    """Each fault of the shard: the run fails (a SHOULD fault: warns) on a check its entry names,
    on a requirement it breaks; and the faultless mock passes every selection of the shard."""
    out = tmp_path / "verdicts.json"
    result = subprocess.run(
        [sys.executable, "-m", "tests.mutation_score", "--shard", f"{shard}/{SHARDS}", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert out.exists(), result.stdout + result.stderr
    verdicts = json.loads(out.read_text())
    zoo_dir = os.environ.get("SUPERSIM_ZOO_DIR")
    if zoo_dir:  # tests/conftest.py prints the mutation score of the whole zoo at the end of the session
        (Path(zoo_dir) / f"shard-{shard}.json").write_text(out.read_text())
    missed = {v["fault"]: v["why"] for v in verdicts["faults"] if not v["caught"]}
    assert not missed, "\n\n".join(f"{name}: {why}" for name, why in missed.items())
    assert verdicts["reference"]["passed"], verdicts["reference"]["why"]
    assert {v["fault"] for v in verdicts["faults"]} == {f.name for f in PLANTED[shard - 1 :: SHARDS]}
    assert "Traceback" not in result.stderr, result.stderr


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
