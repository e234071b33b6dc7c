"""Repeated full runs: the kit's verdicts on correct targets, many times over, with random seeds.

Run with the Python of an environment that has the kit installed (a fresh ``pip install .``
venv, to measure what a user gets), from the repository root::

    /path/to/venv/bin/python tests/benchmarks/repeat_runs.py [--embedded 20] [--proxied 10] [--json FILE]

1. **embedded**: ``supersim-conformance run --seed S`` (the embedded reference mock, the whole
   suite), ``--embedded`` times, each with a fresh random seed.
2. **proxied**: the reference mock served on a loopback port, behind ``tests/slow_proxy.py``
   adding 30 ms to every request and answering a random 2 % of them with Twilio's 429 and
   ``Retry-After: 1``; ``supersim-conformance run --target PROXY --profile FILE --seed S``,
   ``--proxied`` times.

A correct target must give zero failed and zero errored checks every time (warnings are
counted too: the reference mock has none). The script prints one line per run and the totals,
and exits 1 if any run was not clean.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/, for slow_proxy

from slow_proxy import slow_proxy

from conformance.mock.server import start_mock
from conformance.profile import dump_profile


def one_run(args: list[str], work: Path) -> dict:
    report_dir = work / "report"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--no-progress", "--report-dir", str(report_dir), *args],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=work,
    )
    seconds = time.monotonic() - started
    try:
        report = json.loads((report_dir / "report.json").read_text())
    except (OSError, ValueError):
        return {"exit": done.returncode, "seconds": seconds, "summary": None, "problems": [done.stderr[-500:]]}
    problems = [
        f"{r['outcome']} {r['id']} {r['nodeid']}: {(r['message'].splitlines() or [''])[0][:200]}"
        for r in report["results"]
        if r["outcome"] in ("failed", "errored", "warned")
    ]
    return {"exit": done.returncode, "seconds": seconds, "summary": report["summary"], "problems": problems}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedded", type=int, default=20, help="runs against the embedded mock (default 20)")
    parser.add_argument("--proxied", type=int, default=10, help="runs through the slow proxy (default 10)")
    parser.add_argument("--latency", type=float, default=0.03, help="seconds the proxy adds (default 0.03)")
    parser.add_argument("--share", type=float, default=0.02, help="share of requests answered 429 (default 0.02)")
    parser.add_argument("--json", metavar="FILE", help="also write every run's result here")
    options = parser.parse_args()
    rng = random.SystemRandom()
    runs: list[dict] = []

    def record(kind: str, seed: int, result: dict, extra: str = "") -> None:
        result.update(kind=kind, seed=seed)
        runs.append(result)
        s = result["summary"] or {}
        print(
            f"{kind:8} seed {seed:>10}  exit {result['exit']}  {result['seconds']:6.1f} s  "
            f"passed {s.get('passed', '?')} failed {s.get('failed', '?')} errored {s.get('errored', '?')} "
            f"warned {s.get('warned', '?')} skipped {s.get('skipped', '?')}{extra}",
            flush=True,
        )
        for problem in result["problems"]:
            print(f"    {problem}", flush=True)

    for _ in range(options.embedded):
        seed = rng.randrange(2**31)
        with tempfile.TemporaryDirectory() as work:
            record("embedded", seed, one_run(["--seed", str(seed)], Path(work)))

    for n in range(options.proxied):
        seed = rng.randrange(2**31)
        with tempfile.TemporaryDirectory() as work, start_mock(async_delay=0.05) as mock:
            profile = Path(work) / "profile.toml"
            profile.write_text(dump_profile(mock.profile))
            proxy = slow_proxy(mock.base_url, latency=options.latency, share=options.share, retry_after="1", seed=n)
            with proxy as (url, counts):
                result = one_run(["--target", url, "--profile", str(profile), "--seed", str(seed)], Path(work))
            record("proxied", seed, result, f"  ({counts['limited']} of {counts['requests']} requests answered 429)")

    clean = [
        r
        for r in runs
        if r["exit"] == 0 and r["summary"] and not r["summary"]["failed"] and not r["summary"]["errored"]
    ]
    for kind in ("embedded", "proxied"):
        chosen = [r for r in runs if r["kind"] == kind]
        if not chosen:
            continue
        failed = sum((r["summary"] or {}).get("failed", 0) for r in chosen)
        errored = sum((r["summary"] or {}).get("errored", 0) for r in chosen)
        warned = sum((r["summary"] or {}).get("warned", 0) for r in chosen)
        median = statistics.median(r["seconds"] for r in chosen)
        print(
            f"{kind}: {len(chosen)} runs, {sum(1 for r in chosen if r in clean)} clean; "
            f"{failed} failed, {errored} errored, {warned} warned checks in all; median {median:.1f} s per run"
        )
    if options.json:
        Path(options.json).write_text(json.dumps(runs, indent=2) + "\n")
    return 0 if len(clean) == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
