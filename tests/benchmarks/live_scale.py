"""A live-like account: the read-only run with credentials only, at 5,000 and 50,000 SIMs.

Run with the Python of an environment that has the kit installed (a fresh ``pip install .``
venv, to measure what a user gets), from the repository root::

    /path/to/venv/bin/python tests/benchmarks/live_scale.py [--sims 5000 50000] [--rounds 3] [--json FILE]

For each size, the reference mock is started in this process with that many SIMs more in the
primary account (a quarter in each status), and ``supersim-conformance run --target URL
--suite read-only`` runs against it with only ``TWILIO_ACCOUNT_SID`` / ``TWILIO_AUTH_TOKEN``
set (no profile: the run discovers its data), the rate limit off. Printed per size: the
median wall time of the run, the requests the mock answered, and what the same requests
would take at a live account's default 5 requests a second; then the ratio of the request
counts between the largest and the smallest size (the issue's goal: at most 2x from 5,000 to
50,000 SIMs). Exits 1 if a run was not green.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conformance.mock.server import start_mock

LIVE_RATE = 5.0


def one_run(sims: int) -> dict:
    with start_mock(async_delay=0.05) as mock, tempfile.TemporaryDirectory() as work:
        primary = mock.profile.primary.sid
        fleets = [f.sid for f in mock.profile.fleets_of(primary)]
        per = sims // 4
        store = mock.state.store
        store.seed_sims(primary, per, status="new")
        store.seed_sims(primary, per, status="ready", fleet=fleets[0])
        store.seed_sims(primary, per, status="active", fleet=fleets[1])
        store.seed_sims(primary, sims - 3 * per, status="inactive", name_prefix="bulk-")
        sid, token = mock.credentials()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
        env.update(TWILIO_ACCOUNT_SID=sid, TWILIO_AUTH_TOKEN=token)
        before = len(mock.state.requests)
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "conformance", "run", "--target", mock.base_url, "--suite", "read-only",
             "--no-progress", "--report-dir", str(Path(work) / "r")],
            capture_output=True, text=True, timeout=3600, env=env, cwd=work,
        )  # fmt: skip
        seconds = time.monotonic() - started
        requests = len(mock.state.requests) - before
        try:
            summary = json.loads((Path(work) / "r" / "report.json").read_text())["summary"]
        except (OSError, ValueError):
            summary = None
    return {"exit": done.returncode, "seconds": seconds, "requests": requests, "summary": summary}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="write the measurements here")
    args = parser.parse_args()
    results: dict[int, list[dict]] = {}
    clean = True
    for sims in args.sims:
        for round_ in range(1, args.rounds + 1):
            run = one_run(sims)
            results.setdefault(sims, []).append(run)
            ok = run["exit"] == 0 and run["summary"] and run["summary"]["failed"] == 0
            clean = clean and bool(ok)
            print(f"{sims:>7} SIMs round {round_}: exit {run['exit']}, {run['seconds']:.1f} s, "
                  f"{run['requests']} requests, {run['summary']}", flush=True)  # fmt: skip
    print()
    print("| SIMs | median run (s) | requests (median) | at 5 req/s (min) |")
    print("| --- | --- | --- | --- |")
    medians = {}
    for sims, runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        requests = statistics.median(r["requests"] for r in runs)
        medians[sims] = requests
        print(f"| {sims:,} | {seconds:.1f} | {requests:.0f} | {requests / LIVE_RATE / 60:.1f} |")
    if len(medians) > 1:
        small, large = min(medians), max(medians)
        print(f"\nrequests at {large:,} / at {small:,} SIMs: {medians[large] / medians[small]:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({str(k): v for k, v in results.items()}, indent=1))
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
