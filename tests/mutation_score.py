"""The mutation score: the suite against every planted fault, and which check caught each one.

For each fault of the reference mock (``conformance.mock.faults.PLANTED``) this runs the real
``supersim-conformance run`` (the runner's :func:`~conformance.run.runner.run`, in this process:
~0.8 s a fault instead of ~3 s for a fresh interpreter) against an embedded mock with exactly
that fault, on the tests its table entry selects, and judges the run:

- a MUST fault is *caught* when the run exits 1, a check its entry names is among the failed
  ones, and one of the requirements it breaks is among the failed requirements;
- a SHOULD fault is caught when the run exits 0 with a warning from a named check on one of
  the requirements it breaks, and fails nothing.

Each shard ends with a run of the faultless mock over every selection of the shard, which must
pass: a check that fails on a correct server proves nothing about the faulty ones.

Run it alone from the repository root (``python -m tests.mutation_score``, ``--jobs 2`` for
two processes, ``--fault NAME`` for one); ``tests/test_zoo.py`` runs it in shards and the kit's
test session prints the score per requirement area at its end (``tests/conftest.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The options every zoo run uses: few generated examples, a short wait for callbacks, one seed.
RUN_OPTIONS = {"max_examples": 5, "callback_timeout": 3.0, "no_progress": True, "seed": 1}


def select(names: Iterable[str] | None = None, shard: str | None = None) -> list:
    """The faults to run: by name, or shard ``I/N`` (1-based) of the whole table, or all."""
    from conformance.mock.faults import PLANTED

    chosen = [fault for fault in PLANTED if not names or fault.name in set(names)]
    if shard:
        index, count = (int(part) for part in shard.split("/"))
        chosen = chosen[index - 1 :: count]
    return chosen


def _run(workdir: Path, name: str, **config) -> tuple[int, dict | None, str]:
    from conformance.plugin import RunConfig
    from conformance.run.runner import run

    report_dir = workdir / name
    output = io.StringIO()
    with contextlib.redirect_stderr(output):
        code = run(RunConfig(report_dir=str(report_dir), **RUN_OPTIONS, **config), stream=output)
    path = report_dir / "report.json"
    report = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    return code, report, output.getvalue()


def _found(report: dict, outcomes: tuple[str, ...]) -> tuple[set[str], set[str]]:
    """(check IDs, requirement IDs) of the results with one of ``outcomes``."""
    checks: set[str] = set()
    requirements: set[str] = set()
    for result in report["results"]:
        if result["outcome"] not in outcomes:
            continue
        checks.add(result["id"])
        requirements.update(result.get("failed_requirements") or [])
        requirements.update(result.get("warned_requirements") or [])
        violation = result.get("violation") or {}
        # a scenario whose own rule failed after a response rule had (``blocked``) caught it too
        for part in [violation, *violation.get("also", []), *violation.get("blocked", [])]:
            if part:
                checks.add(part["check"])
                requirements.update(part.get("requirements") or [])
    return checks, requirements


def judge(fault, code: int, report: dict | None, output: str) -> dict:
    """The zoo's verdict on one run against ``fault``: caught or not, by which checks, and why not."""
    verdict = {
        "fault": fault.name,
        "level": fault.level,
        "breaks": list(fault.breaks),
        "expected": list(fault.caught_by),
        "exit": code,
        "caught_by": [],
        "requirements": [],
        "caught": False,
        "why": "",
    }
    if report is None:
        verdict["why"] = f"the run wrote no report (exit {code}):\n{output[-3000:]}"
        return verdict
    if fault.level == "MUST":
        checks, requirements = _found(report, ("failed", "errored"))
        if code != 1:
            verdict["why"] = f"the run exited {code}, not 1"
    else:
        checks, requirements = _found(report, ("warned",))
        failed, _ = _found(report, ("failed", "errored"))
        if code != 0 or failed:
            verdict["why"] = f"a SHOULD fault must warn and pass; exit {code}, failed {sorted(failed)}"
        elif not report.get("warnings"):
            verdict["why"] = "no warning"
    verdict["caught_by"] = sorted(checks & set(fault.caught_by))
    verdict["requirements"] = sorted(requirements & set(fault.breaks))
    if not verdict["why"] and not verdict["caught_by"]:
        verdict["why"] = f"caught by {sorted(checks)}, none of {list(fault.caught_by)}"
    elif not verdict["why"] and not verdict["requirements"]:
        verdict["why"] = f"reported {sorted(requirements)}, none of the broken {list(fault.breaks)}"
    verdict["caught"] = not verdict["why"]
    if not verdict["caught"]:
        verdict["why"] += "\n" + output[-4000:]
    return verdict


def run_faults(faults: list, workdir: Path) -> dict:
    """Run the zoo over ``faults`` in this process; then the faultless mock over their selections."""
    verdicts = []
    for fault in faults:
        started = time.monotonic()
        try:
            code, report, output = _run(workdir, fault.name, faults=[fault.name], keyword=fault.selection)
            verdict = judge(fault, code, report, output)
        except Exception as error:  # a kit error in one run must not hide the others' verdicts
            verdict = judge(fault, -1, None, f"{type(error).__name__}: {error}")
        verdict["seconds"] = round(time.monotonic() - started, 2)
        verdicts.append(verdict)
    reference = {"passed": True, "why": ""}
    if faults:
        keyword = " or ".join(f"({fault.selection})" for fault in faults)
        code, report, output = _run(workdir, "faultless", keyword=keyword)
        if code != 0 or report is None or report["summary"]["failed"] or report["summary"]["errored"]:
            reference = {"passed": False, "why": f"the faultless mock did not pass (exit {code}):\n{output[-4000:]}"}
    return {"faults": verdicts, "reference": reference}


def score_table(verdicts: list[dict]) -> str:
    """The mutation score per requirement area, then which check caught each fault (Markdown)."""
    from conformance.mock.planted.analysis import area

    areas: dict[str, list[dict]] = {}
    for verdict in verdicts:
        for name in sorted({area(requirement) for requirement in verdict["breaks"]}):
            areas.setdefault(name, []).append(verdict)
    caught = sum(v["caught"] for v in verdicts)
    lines = [
        f"mutation score: {caught} of {len(verdicts)} planted faults caught",
        "",
        "| area | planted faults | caught | missed |",
        "| --- | --- | --- | --- |",
    ]
    for name, members in sorted(areas.items()):
        missed = [v["fault"] for v in members if not v["caught"]]
        lines.append(f"| {name} | {len(members)} | {len(members) - len(missed)} | {', '.join(missed) or '-'} |")
    lines += ["", "| fault | breaks | caught by | seconds |", "| --- | --- | --- | --- |"]
    for verdict in verdicts:
        by = ", ".join(verdict["caught_by"]) if verdict["caught"] else "MISSED"
        lines.append(f"| {verdict['fault']} | {', '.join(verdict['breaks'])} | {by} | {verdict['seconds']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation_score", description=__doc__.splitlines()[0])
    parser.add_argument("--fault", action="append", default=[], help="run only this fault (repeatable)")
    parser.add_argument("--shard", help="run shard I/N of the fault table (1-based)")
    parser.add_argument("--jobs", type=int, default=1, help="processes to split the faults over")
    parser.add_argument("--json", help="write the verdicts here")
    parser.add_argument("--markdown", help="write the score table here")
    args = parser.parse_args(argv)
    if args.jobs > 1 and not args.shard:
        results = _in_processes(args.jobs, args.fault)
    else:
        with tempfile.TemporaryDirectory(prefix="zoo-") as workdir:
            results = run_faults(select(args.fault, args.shard), Path(workdir))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    table = score_table(results["faults"])
    if args.markdown:
        Path(args.markdown).write_text(table, encoding="utf-8")
    print(table)
    missed = [v for v in results["faults"] if not v["caught"]]
    for verdict in missed:
        print(f"MISSED {verdict['fault']}: {verdict['why']}\n", file=sys.stderr)
    if not results["reference"]["passed"]:
        print(results["reference"]["why"], file=sys.stderr)
    return 1 if missed or not results["reference"]["passed"] else 0


def _in_processes(jobs: int, names: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="zoo-") as workdir:
        outputs = [Path(workdir) / f"shard-{i}.json" for i in range(1, jobs + 1)]
        command = [sys.executable, "-m", "tests.mutation_score", *[f"--fault={n}" for n in names]]
        processes = [
            subprocess.Popen(
                [*command, "--shard", f"{i}/{jobs}", "--json", str(out)], cwd=ROOT, stdout=subprocess.DEVNULL
            )
            for i, out in enumerate(outputs, 1)
        ]
        for process in processes:
            process.wait()
        parts = [json.loads(out.read_text(encoding="utf-8")) for out in outputs if out.exists()]
    verdicts = [verdict for part in parts for verdict in part["faults"]]
    failed = [part["reference"] for part in parts if not part["reference"]["passed"]]
    if len(parts) < jobs:
        failed.append({"passed": False, "why": f"{jobs - len(parts)} shard(s) wrote no verdicts"})
    return {"faults": verdicts, "reference": failed[0] if failed else {"passed": True, "why": ""}}


if __name__ == "__main__":
    sys.exit(main())
