"""Benchmark of ``supersim-conformance run`` and of its generated phase against plain ``st run`` (issue #4).

Run from the repository root, with the kit's virtualenv::

    python tests/benchmarks/bench_run.py [--rounds R] [--max-examples N] [--seed N] [--json FILE]

What it measures (wall time of whole processes as a user sees them, plus each child's CPU time,
user+sys, which two shared cores disturb less):

1. **full**: the default ``supersim-conformance run`` (embedded mock, whole suite), one child
   process per round with a fresh ``--report-dir``; nothing else is passed (``--max-examples``
   only when given to this script).
2. **ours**: the generated phase alone, ``supersim-conformance run -k generated --target URL
   --profile FILE --max-examples N --seed S --no-progress`` against a mock served by its own
   process (``python -m conformance serve --port 0 --async-delay 0.05``, the embedded mock's
   delay), so mock start-up is outside the timing.
3. **st**: plain Schemathesis on the same operations: ``st run schemas/openapi.yaml --url URL
   --auth SID:TOKEN --phases examples,coverage,fuzzing,stateful --mode all --max-examples N
   --seed S --workers 1 --checks all --generation-database none --no-color --continue-on-failure``
   (run in an empty temporary directory, so no schemathesis.toml applies).
   ``--checks all`` is every built-in check (the set our generated phase runs too; it adds its
   own ``supersim_domain_checks``). ``--generation-database none`` matches our phase (no example
   database). ``--continue-on-failure``: plain Schemathesis flags schema-valid writes refused
   with 400 (ST202; our phase accepts 400 on writes, see conformance/suite/test_generated.py)
   and would otherwise stop generating for those operations at the first one, sending fewer
   requests than our side (``--st-stop-on-failure`` measures that). The token is passed on the
   child's command line (as ``--auth`` requires) but printed as ``SID:***``.

The kit runs as ``python -m conformance`` (the ``supersim-conformance`` entry point, ``cli.main``)
from the repository root, so this checkout's code is what is measured. TWILIO_ACCOUNT_SID and
TWILIO_AUTH_TOKEN are removed from the children's environment (they would replace the profile's
credentials). With ``--warm-bytecode`` the children keep compiled bytecode in a private
PYTHONPYCACHEPREFIX warmed by one untimed run of each side (a machine where bytecode caching
works); by default they inherit this environment as it is (PYTHONDONTWRITEBYTECODE included).

Every **ours** and **st** run gets a freshly started mock (same default profile, new state, empty
request log); after the run the mock's ``GET /_mock/requests`` log (Basic auth) gives how many
requests the side sent, by operation. A run is not counted when it exited other than 0/1, left
no result (no report.json checks / no st summary), or the mock logged no request or mostly 5xx.
Rounds interleave: round 1 runs full, ours, st; round 2 full, st, ours; and so on. The floors
use the median of the full run's wall times and the median of the per-round ratios ours/st
(the ratio of the medians, the CPU ratio and the ratio per request sent are printed beside):

* full default run < 60 s;
* generated phase <= 1.5 x plain Schemathesis.

A side that sends less than half of the other's requests makes the ratio meaningless: the report
says NOT COMPARABLE. It is a report, not a gate: exit 0 unless something crashed (1) or it was
interrupted (130). Every child gets a timeout (``--timeout``, default 300 s) and every started
process is stopped at the end, also on Ctrl-C, SIGTERM or an error.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import datetime
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402  (a dependency of the kit)

from conformance import contract  # noqa: E402
from conformance.profile import load_profile  # noqa: E402
from conformance.suite.settings import Settings  # noqa: E402

BANNER = re.compile(r"mock listening on (http://\S+)")
FLOOR_FULL_SECONDS = 60.0
FLOOR_GENERATED_RATIO = 1.5
#: A side sending fewer than this share of the other side's requests is not a like-for-like comparison.
COMPARABLE_SHARE = 0.5
#: Matches the embedded mock's delay (RunOptions.async_delay), so served and embedded mocks behave alike.
ASYNC_DELAY = "0.05"
#: Environment variables that would change which credentials a child uses.
CREDENTIAL_ENV = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")


# ---------------------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------------------
def _kill_group(process: subprocess.Popen, first: int = signal.SIGINT, grace: float = 5.0) -> None:
    """Stop a child started in its own session (and whatever it started): ``first``, then SIGKILL."""
    if process.poll() is not None:
        return
    for sig, wait in ((first, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)  # the child's own process group (start_new_session=True)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


#: Set by --warm-bytecode: variables to set (str) or remove (None) in every child's environment.
ENV_OVERRIDES: dict[str, str | None] = {}


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_ENV}
    env.setdefault("PYTHONUNBUFFERED", "1")
    for name, value in ENV_OVERRIDES.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def describe_environment() -> str:
    env = child_env()
    if env.get("PYTHONDONTWRITEBYTECODE"):
        return ("PYTHONDONTWRITEBYTECODE is set: no bytecode cache is written, so every run "
                "compiles (and pytest assertion-rewrites) its imports from source; --warm-bytecode measures a warm cache")
    if env.get("PYTHONPYCACHEPREFIX"):
        return f"bytecode cached under PYTHONPYCACHEPREFIX (warmed by an untimed run of each side first)"
    return "bytecode cache as the environment has it (PYTHONDONTWRITEBYTECODE unset)"


@dataclasses.dataclass
class Timed:
    seconds: float
    cpu_seconds: float  # user+sys of the child (and of what it started and waited for)
    returncode: int
    output: str


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(command: list[str], *, cwd: Path, log: Path, timeout: float) -> Timed:
    """Run ``command`` to completion (output to ``log``); wall seconds from spawn to exit."""
    with open(log, "w", encoding="utf-8") as out:
        cpu_before = _children_cpu()  # only this child is reaped in between (served mocks are reaped later)
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   env=child_env(), start_new_session=True)
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process, signal.SIGTERM, 3)
            raise RuntimeError(f"timed out after {timeout:g} s: {shlex.join(command[:4])} ... (log: {log})") from None
        finally:
            _kill_group(process, signal.SIGTERM, 3)  # no-op when it already exited
        seconds = time.perf_counter() - started
    return Timed(seconds, _children_cpu() - cpu_before, returncode, log.read_text(encoding="utf-8", errors="replace"))


@dataclasses.dataclass
class ServedMock:
    process: subprocess.Popen
    base_url: str
    sid: str
    token: str

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, auth=(self.sid, self.token), timeout=10, trust_env=False)

    def clear_log(self) -> None:
        with self._client() as client:
            client.delete("/_mock/requests").raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        with self._client() as client:
            response = client.get("/_mock/requests")
            response.raise_for_status()
            return response.json()["requests"]


@contextlib.contextmanager
def served_mock(workdir: Path, name: str, timeout: float = 30.0) -> Iterator[ServedMock]:
    """``python -m conformance serve --port 0 --write-profile FILE`` as a child; yields once it answers."""
    profile_path = workdir / f"{name}.profile.toml"
    command = [sys.executable, "-m", "conformance", "serve", "--port", "0", "--async-delay", ASYNC_DELAY,
               "--write-profile", str(profile_path)]
    process = subprocess.Popen(command, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=child_env(), start_new_session=True)
    lines: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def drain() -> None:  # keep reading so the mock never blocks on a full pipe (its banner shows a token: kept)
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip())
            match = BANNER.search(line)
            if match and not found.is_set():
                url.append(match.group(1))
                found.set()

    threading.Thread(target=drain, name=f"{name}-stdout", daemon=True).start()
    try:
        deadline = time.monotonic() + timeout
        while not found.wait(0.05):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the served mock did not start:\n" + "\n".join(redact(l) for l in lines[-20:]))
        profile = load_profile(profile_path)
        sid, token = profile.credentials(profile.primary.sid)
        mock = ServedMock(process, url[0], sid, token)
        while True:
            try:
                mock.clear_log()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield mock
    finally:
        _kill_group(process)


_SECRETS: set[str] = set()


def redact(text: str) -> str:
    text = re.sub(r"(auth token )[0-9A-Za-z]+", r"\1***", text)  # the served mock's banner
    for secret in _SECRETS:
        text = text.replace(secret, "***")
    return text


# ---------------------------------------------------------------------------------------
# the three commands
# ---------------------------------------------------------------------------------------
def kit_command(*args: str) -> list[str]:
    """``supersim-conformance ARGS`` as ``python -m conformance ARGS`` (the same ``cli.main``), run from the
    repository root so the code measured is this checkout's, whatever the virtualenv has installed."""
    return [sys.executable, "-m", "conformance", *args]


def st_binary() -> str:
    local = Path(sys.executable).parent / "st"
    found = str(local) if local.exists() else shutil.which("st")
    if not found:
        raise SystemExit("Schemathesis' `st` is not installed next to this Python (pip install schemathesis)")
    return found


def full_command(report_dir: Path, max_examples: int | None) -> list[str]:
    command = kit_command("run", "--report-dir", str(report_dir))
    return command + (["--max-examples", str(max_examples)] if max_examples else [])


def ours_command(mock: ServedMock, profile_path: Path, report_dir: Path, max_examples: int, seed: int) -> list[str]:
    return kit_command("run", "-k", "generated", "--target", mock.base_url, "--profile", str(profile_path),
                       "--max-examples", str(max_examples), "--seed", str(seed), "--report-dir", str(report_dir),
                       "--no-progress")


def st_command(mock: ServedMock, max_examples: int, seed: int, *, stop_on_failure: bool) -> list[str]:
    command = [
        st_binary(), "run", str(contract.openapi_path()),
        "--url", mock.base_url,
        "--auth", f"{mock.sid}:{mock.token}",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--mode", "all",
        "--max-examples", str(max_examples),
        "--seed", str(seed),
        "--workers", "1",
        "--checks", "all",
        "--generation-database", "none",
        "--no-color",
    ]
    return command if stop_on_failure else command + ["--continue-on-failure"]


def shown(command: list[str]) -> str:
    """The command as printed: the token masked, paths of temporary files shortened."""
    parts = []
    for i, part in enumerate(command):
        if i and command[i - 1] == "--auth":
            part = part.split(":", 1)[0] + ":***"
        parts.append(redact(part))
    text = shlex.join(parts)
    return text.replace(str(REPO) + "/", "")


# ---------------------------------------------------------------------------------------
# one measurement
# ---------------------------------------------------------------------------------------
def count_requests(entries: list[dict[str, Any]]) -> dict[str, Any]:
    by_operation = collections.Counter(e.get("operation") or f"{e.get('method')} (no operation)" for e in entries)
    server_errors = sum(1 for e in entries if isinstance(e.get("status"), int) and e["status"] >= 500)
    return {"total": len(entries), "server_errors": server_errors, "by_operation": dict(sorted(by_operation.items())),
            "log_full": len(entries) >= 10_000}  # the mock keeps the last 10,000 (REQUEST_LOG_SIZE)


def problem_with(side: str, returncode: int, requests: dict[str, Any], extra: dict[str, Any]) -> str | None:
    """Why a generated run cannot be compared (None if it can)."""
    if returncode not in (0, 1):  # 1: ours found violations / st reported failures; the run itself completed
        return f"exit status {returncode}"
    if side == "ours" and not (extra.get("summary") or {}).get("total"):
        return "no report.json with checks (the run did not complete; exit 1 may be a crash)"
    if side == "st" and "cases_generated" not in extra:
        return "no 'N generated' summary in st's output (the run did not complete)"
    if not requests["total"]:
        return "the mock logged no request"
    if requests["server_errors"] > requests["total"] / 2:
        return f"the mock answered 5xx to {requests['server_errors']} of {requests['total']} requests (mock broken?)"
    return None


def st_summary(output: str) -> dict[str, Any]:
    """What st itself printed: cases generated and its own duration (the last summary line)."""
    info: dict[str, Any] = {}
    if match := re.search(r"(\d+) generated", output):
        info["cases_generated"] = int(match.group(1))
    if match := re.search(r"in ([\d.]+)s =+\s*$", output.strip().splitlines()[-1] if output.strip() else ""):
        info["own_seconds"] = float(match.group(1))
    if match := re.search(r"Failures:\n((?:[ \t]+\S.*\n)+)", output):
        info["failures"] = [line.strip() for line in match.group(1).splitlines() if line.strip()]
    return info


def ours_summary(report_dir: Path) -> dict[str, Any]:
    """From report.json: pytest session time and the sum of the generated tests' own durations."""
    try:
        data = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    results = data.get("results", [])
    return {
        "pytest_seconds": data.get("duration"),
        "tests_seconds": round(sum(r.get("duration") or 0 for r in results), 3),
        "summary": data.get("summary"),
    }


def measure_full(round_no: int, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    report_dir = workdir / f"full-{round_no}"
    command = full_command(report_dir, args.max_examples_full)
    timed = run_timed(command, cwd=REPO, log=workdir / f"full-{round_no}.log", timeout=args.timeout)
    extra = ours_summary(report_dir)
    problem = None
    if timed.returncode not in (0, 1):
        problem = f"exit status {timed.returncode}"
    elif not (extra.get("summary") or {}).get("total"):
        problem = "no report.json with checks (the run did not complete; exit 1 may be a crash)"
    return {"command": shown(command), "seconds": timed.seconds, "cpu_seconds": timed.cpu_seconds,
            "returncode": timed.returncode, "ok": problem is None, "problem": problem, "tail": _tail(timed.output),
            **extra}


def measure_generated(side: str, round_no: int, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One generated-phase run (``ours`` or ``st``) against a freshly started mock."""
    with served_mock(workdir, f"{side}-{round_no}") as mock:
        _SECRETS.add(mock.token)
        profile_path = workdir / f"{side}-{round_no}.profile.toml"
        log = workdir / f"{side}-{round_no}.log"
        if side == "ours":
            report_dir = workdir / f"ours-{round_no}"
            command = ours_command(mock, profile_path, report_dir, args.max_examples, args.seed)
            timed = run_timed(command, cwd=REPO, log=log, timeout=args.timeout)
            extra = ours_summary(report_dir)
        else:
            st_dir = workdir / f"st-{round_no}"  # st's working directory: no schemathesis.toml, reports land here
            st_dir.mkdir()
            command = st_command(mock, args.max_examples, args.seed, stop_on_failure=args.st_stop_on_failure)
            timed = run_timed(command, cwd=st_dir, log=log, timeout=args.timeout)
            extra = st_summary(timed.output)
        requests = count_requests(mock.requests())
    problem = problem_with(side, timed.returncode, requests, extra)
    return {"command": shown(command), "seconds": timed.seconds, "cpu_seconds": timed.cpu_seconds,
            "returncode": timed.returncode, "ok": problem is None, "problem": problem,
            "requests": requests, "tail": _tail(timed.output), **extra}


def _tail(output: str, lines: int = 6) -> list[str]:
    return [redact(line) for line in output.strip().splitlines()[-lines:]]


# ---------------------------------------------------------------------------------------
# rounds, medians, floors
# ---------------------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def run(args: argparse.Namespace) -> dict[str, Any]:
    say = lambda text: print(text, flush=True)
    started = time.monotonic()
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_average_at_start": os.getloadavg()},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "versions": versions(),
        "rounds": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        workdir = Path(tmp)
        if args.warm_bytecode:  # a private cache: nothing is written into the repository or the virtualenv
            ENV_OVERRIDES.update(PYTHONDONTWRITEBYTECODE=None, PYTHONPYCACHEPREFIX=str(workdir / "pycache"))
        results["environment"] = describe_environment()
        say(f"children: {results['environment']}")
        if args.warm_bytecode:
            for side in ("ours", "st"):
                warm = measure_generated(side, 0, workdir, args)
                say(f"  warm-up {side}: {warm['seconds']:.2f} s (not counted)")
        say(f"{args.rounds} round(s); generated phase at --max-examples {args.max_examples} --seed {args.seed}; "
            f"per-child timeout {args.timeout:g} s")
        for round_no in range(1, args.rounds + 1):
            order = ("ours", "st") if round_no % 2 else ("st", "ours")
            row: dict[str, Any] = {"round": round_no, "order": list(order)}
            if not args.skip_full:
                row["full"] = measure_full(round_no, workdir, args)
                _say_run(say, round_no, "full", row["full"])
            for side in order:
                row[side] = measure_generated(side, round_no, workdir, args)
                _say_run(say, round_no, side, row[side])
            if row["ours"]["ok"] and row["st"]["ok"]:
                row["ratio_ours_st"] = row["ours"]["seconds"] / row["st"]["seconds"]
                say(f"  round {round_no}: ours/st = {row['ratio_ours_st']:.2f}")
            results["rounds"].append(row)
    results["summary"] = summarize(results["rounds"], skip_full=args.skip_full)
    results["elapsed_seconds"] = time.monotonic() - started
    return results


def _say_run(say, round_no: int, name: str, data: dict[str, Any]) -> None:
    requests = f", {data['requests']['total']} requests" if "requests" in data else ""
    if data.get("summary"):
        requests += f", {data['summary'].get('passed', 0)} passed / {data['summary'].get('failed', 0)} failed checks"
    status = "" if data["ok"] else f"  [NOT COUNTED: {data['problem']}]"
    say(f"  round {round_no} {name:>4}: {data['seconds']:6.2f} s (exit {data['returncode']}{requests}){status}")
    if not data["ok"]:
        for line in data["tail"]:
            say(f"      | {line}")


def summarize(rounds: list[dict[str, Any]], *, skip_full: bool) -> dict[str, Any]:
    def values(side: str, key: str) -> list[float]:
        return [r[side][key] for r in rounds if side in r and r[side]["ok"]]

    def requests(side: str) -> list[int]:
        return [r[side]["requests"]["total"] for r in rounds if side in r and r[side]["ok"]]

    paired = [r for r in rounds if "ratio_ours_st" in r]
    summary: dict[str, Any] = {
        "ours_seconds": values("ours", "seconds"), "st_seconds": values("st", "seconds"),
        "ours_median": median(values("ours", "seconds")), "st_median": median(values("st", "seconds")),
        "ours_cpu_median": median(values("ours", "cpu_seconds")), "st_cpu_median": median(values("st", "cpu_seconds")),
        "ours_requests": requests("ours"), "st_requests": requests("st"),
        "round_ratios": [r["ratio_ours_st"] for r in paired],
        "round_cpu_ratios": [r["ours"]["cpu_seconds"] / r["st"]["cpu_seconds"] for r in paired if r["st"]["cpu_seconds"]],
    }
    summary["ratio_of_medians"] = summary["ours_median"] / summary["st_median"] if summary["st_seconds"] else float("nan")
    summary["median_round_ratio"] = median(summary["round_ratios"])
    summary["median_round_cpu_ratio"] = median(summary["round_cpu_ratios"])
    ours_req, st_req = median(summary["ours_requests"]), median(summary["st_requests"])
    summary["ours_requests_median"], summary["st_requests_median"] = ours_req, st_req
    summary["comparable"] = bool(ours_req and st_req and min(ours_req, st_req) >= COMPARABLE_SHARE * max(ours_req, st_req))
    # Wall time per request sent: the ratio that remains once the sides' request counts are evened out.
    per_request = [(r["ours"]["seconds"] / r["ours"]["requests"]["total"]) / (r["st"]["seconds"] / r["st"]["requests"]["total"])
                   for r in paired if r["ours"]["requests"]["total"] and r["st"]["requests"]["total"]]
    summary["median_round_ratio_per_request"] = median(per_request)
    floors = []
    if not skip_full:
        summary["full_seconds"] = values("full", "seconds")
        summary["full_median"] = median(summary["full_seconds"])
        summary["full_cpu_median"] = median(values("full", "cpu_seconds"))
        value = summary["full_median"]
        floors.append({"name": f"full default run < {FLOOR_FULL_SECONDS:g} s", "value": value, "unit": "s",
                       "pass": value == value and value < FLOOR_FULL_SECONDS})
    value = summary["median_round_ratio"]
    floors.append({"name": f"generated phase <= {FLOOR_GENERATED_RATIO:g} x plain Schemathesis", "value": value,
                   "unit": "x", "pass": value == value and value <= FLOOR_GENERATED_RATIO})
    summary["floors"] = floors
    return summary


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("schemathesis", "hypothesis", "pytest", "uvicorn", "supersim-conformance"):
        with contextlib.suppress(PackageNotFoundError):
            found[name] = version(name)
    return found


def print_report(results: dict[str, Any]) -> None:
    rounds, summary = results["rounds"], results["summary"]
    print("\nCommands (last round; token shown as ***; a fresh mock per generated run, so ports differ):")
    last = rounds[-1]
    for name in ("full", "ours", "st"):
        if name in last:
            print(f"  {name:>4}: {last[name]['command']}")
    print(f"\nEnvironment of the children: {results['environment']}")
    print("\nWall seconds per round (client CPU seconds user+sys in brackets; order of the generated pair last):")
    print(f"  {'round':>6}  {'full':>15}  {'ours':>15}  {'st':>15}  {'ours/st':>7}  {'req ours':>8}  {'req st':>6}  order")
    cell = lambda data: f"{data['seconds']:6.2f} ({data['cpu_seconds']:5.2f})" if data and data["ok"] else f"{'-':>15}"
    for r in rounds:
        ratio = f"{r['ratio_ours_st']:7.2f}" if "ratio_ours_st" in r else f"{'-':>7}"
        print(f"  {r['round']:>6}  {cell(r.get('full'))}  {cell(r['ours'])}  {cell(r['st'])}  {ratio}  "
              f"{r['ours']['requests']['total']:>8}  {r['st']['requests']['total']:>6}  [{', '.join(r['order'])}]")
    med = lambda key: f"{summary[key + '_median']:6.2f} ({summary[key + '_cpu_median']:5.2f})" \
        if key + "_median" in summary else f"{'-':>15}"
    print(f"  {'median':>6}  {med('full')}  {med('ours')}  {med('st')}  {summary['median_round_ratio']:7.2f}  "
          f"{summary['ours_requests_median']:>8g}  {summary['st_requests_median']:>6g}")
    print(f"\n  generated phase ours/st: median of per-round ratios {summary['median_round_ratio']:.2f} "
          f"(ratio of the medians {summary['ratio_of_medians']:.2f}); client CPU {summary['median_round_cpu_ratio']:.2f}; "
          f"wall per request sent {summary['median_round_ratio_per_request']:.2f}")
    for side in ("ours", "st"):
        print(f"  requests by operation, {side} (round {last['round']}): {last[side]['requests']['by_operation']}")
    o = last["ours"]
    if o.get("pytest_seconds") is not None:
        print(f"  ours, round {last['round']}: {o['seconds']:.2f} s wall = {o['pytest_seconds']:.2f} s pytest session "
              f"(of which {o['tests_seconds']:.2f} s inside the generated tests' calls) + "
              f"{o['seconds'] - o['pytest_seconds']:.2f} s interpreter start-up, probe, reports")
    s = last["st"]
    if "own_seconds" in s:
        print(f"  st, round {last['round']}: {s['seconds']:.2f} s wall, {s['own_seconds']:.2f} s by its own clock, "
              f"{s.get('cases_generated', '?')} cases; its findings: {'; '.join(s.get('failures') or ['none'])}")
    if not summary["comparable"]:
        print(f"\n  NOT COMPARABLE: one side sent less than {COMPARABLE_SHARE:.0%} of the other's requests "
              f"(ours {summary['ours_requests_median']:g}, st {summary['st_requests_median']:g}); the ratio is not "
              "a like-for-like comparison.")
    print("\nFloors (issue #4):")
    for floor in summary["floors"]:
        print(f"  {'PASS' if floor['pass'] else 'FAIL'}  {floor['name']}: median {floor['value']:.2f} {floor['unit']}")


# ---------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, metavar="R", help="interleaved rounds (default 3)")
    default_examples = Settings.__dataclass_fields__["max_examples"].default
    parser.add_argument("--max-examples", type=int, default=None, metavar="N",
                        help=f"examples per operation for both generated sides (default {default_examples}, the kit's "
                             "default); also passed to the full run when given")
    parser.add_argument("--seed", type=int, default=1, metavar="N", help="seed for both generated sides (default 1)")
    parser.add_argument("--timeout", type=float, default=300.0, metavar="S", help="timeout per child run (default 300)")
    parser.add_argument("--skip-full", action="store_true", help="measure the generated phase only")
    parser.add_argument("--st-stop-on-failure", action="store_true",
                        help="run st without --continue-on-failure (it then stops an operation at its first failure)")
    parser.add_argument("--warm-bytecode", action="store_true",
                        help="children keep compiled bytecode in a private PYTHONPYCACHEPREFIX (warmed by one untimed "
                             "run of each side) even if PYTHONDONTWRITEBYTECODE is set here")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every number to FILE")
    args = parser.parse_args(argv)
    if args.rounds < 1 or (args.max_examples is not None and args.max_examples < 1) or args.timeout <= 0:
        parser.error("--rounds and --max-examples must be at least 1, --timeout positive")
    args.max_examples_full = args.max_examples  # the default run stays the default unless asked otherwise
    args.max_examples = args.max_examples or default_examples
    return args


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # unwinds every `with`/`finally`, so every child is stopped


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    try:
        results = run(args)
    except KeyboardInterrupt:
        print("\ninterrupted; every started process was stopped", file=sys.stderr)
        return 130
    except (RuntimeError, OSError, httpx.HTTPError) as error:
        print(f"bench_run: error: {redact(str(error))}", file=sys.stderr)
        return 1
    print_report(results)
    print(f"\n(total {results['elapsed_seconds']:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"numbers written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
