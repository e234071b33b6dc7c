"""Benchmark of ``supersim-conformance run`` from a fresh install: the default run, its generated phase
against plain ``st run`` (issue #4), and a run against a target whose every answer is ~20 MB
(issue "Fresh install at full speed").

Run from the repository root with any Python >= 3.11 (the script needs only the standard
library; everything it measures runs from a fresh venv)::

    python tests/benchmarks/bench_run.py [--venv PATH] [--rounds R] [--max-examples N] [--seed N] [--json FILE]

First it builds a fresh virtual environment from the checkout (``python -m venv``, then a plain
``pip install <repo>``: not editable, no extras), or reuses ``--venv PATH`` (built there and
kept if PATH does not exist), and prints the stack read from inside it. Every command below is
that venv's ``supersim-conformance`` (or ``st``), run in an empty temporary working directory,
so neither this checkout's code nor its pyproject.toml is involved. TWILIO_ACCOUNT_SID,
TWILIO_AUTH_TOKEN and PYTHONPATH are removed from the children's environment.

What it measures (wall time of whole processes as a user sees them, plus each child's CPU time,
user+sys, which two shared cores disturb less):

1. **full**: the default ``supersim-conformance run`` (embedded mock, whole suite), one child
   process per round with a fresh ``--report-dir``; nothing else is passed (``--max-examples``
   only when given to this script).
2. **ours**: the generated phase alone, ``supersim-conformance run -k generated --target URL
   --profile FILE --max-examples N --seed S --no-progress`` against a mock served by its own
   process (``supersim-conformance serve --port 0 --async-delay 0.05 --profile FILE``, the
   embedded mock's delay), so mock start-up is outside the timing.
3. **st**: plain Schemathesis on the same operations: ``st run <the kit's openapi.yaml> --url URL
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
4. **huge body**: ``supersim-conformance run --target URL --profile FILE --no-progress
   --report-dir DIR`` against ``huge_body_server.py``, whose every answer (the
   ``/v1/Sims?PageSize=1`` probe included) is a 200 with a ~20 MB JSON document. It records
   wall time, the peak RSS of the run's process tree (VmHWM sampled from /proc every 0.1 s),
   the exit status, whether report.json was written and whether stderr holds a Traceback.
   The run is killed, and reported, when it exceeds ``--huge-timeout`` (300 s) or its tree's
   RSS exceeds ``--memory-guard-mb`` (2048 MB).

With ``--warm-bytecode`` the children may write bytecode (PYTHONDONTWRITEBYTECODE removed) into
the venv, as on a user's machine, after one untimed run of each side; by default they inherit
this environment as it is (PYTHONDONTWRITEBYTECODE included).

Every **ours** and **st** run gets a freshly started mock (same default profile, new state, empty
request log); after the run the mock's ``GET /_mock/requests`` log (Basic auth) gives how many
requests the side sent, by operation. A run is not counted when it exited other than 0/1, left
no result (no report.json checks / no st summary), or the mock logged no request or mostly 5xx.
Rounds interleave: round 1 runs full, ours, st; round 2 full, st, ours; and so on. The checks
(goal, floor) use the median of the full run's wall times and the median of the per-round
ratios ours/st (the ratio of the medians, the CPU ratio and the ratio per request sent are
printed beside):

* full default run: goal <= 8 s, floor <= 12 s;
* generated phase <= 1.5 x plain Schemathesis;
* huge body: the run ends within 60 s (floor 120 s), peak RSS <= 300 MB (floor 500 MB), a
  report.json is written, no Traceback on stderr.

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
import http.client
import json
import os
import platform
import re
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchtools import (
    LoopbackClient,
    Venv,
    basic_auth,
    describe_stack,
    fresh_venv,
    judge,
    print_checks,
    server_process,
    stack_info,
    stop_group,
    tree_hwm_mb,
    tree_rss_mb,
    write_default_profile,
    yes_no,
)

BANNER = r"mock listening on (http://\S+)"
#: (goal, floor) of the issues, in seconds, x and MB; all are "at most".
FULL_SECONDS = (8.0, 12.0)
GENERATED_RATIO = (1.5, 1.5)
HUGE_SECONDS = (60.0, 120.0)
HUGE_RSS_MB = (300.0, 500.0)
#: A side sending fewer than this share of the other side's requests is not a like-for-like comparison.
COMPARABLE_SHARE = 0.5
#: Matches the embedded mock's delay (RunOptions.async_delay), so served and embedded mocks behave alike.
ASYNC_DELAY = "0.05"
#: How often the huge-body run's process tree is sampled (peak RSS and the memory guard).
SAMPLE_SECONDS = 0.1

VENV_FACTS = r"""
import json
from conformance import contract
from conformance.run.settings import Settings
print(json.dumps({"openapi": str(contract.openapi_path()),
                  "max_examples": Settings.__dataclass_fields__["max_examples"].default}))
"""


# ---------------------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------------------
#: Set by --warm-bytecode: variables to set (str) or remove (None) in every child's environment.
ENV_OVERRIDES: dict[str, str | None] = {}


def child_env(venv: Venv) -> dict[str, str]:
    """The venv's environment (as if activated, no credentials, no PYTHONPATH) with --warm-bytecode's changes."""
    env = venv.env()
    for name, value in ENV_OVERRIDES.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def describe_environment(venv: Venv) -> str:
    env = child_env(venv)
    if env.get("PYTHONDONTWRITEBYTECODE"):
        return (
            "PYTHONDONTWRITEBYTECODE is set: no bytecode cache is written, so every run "
            "pytest-assertion-rewrites the suite's modules again (the installed packages were compiled by pip); "
            "--warm-bytecode measures a warm cache"
        )
    if ENV_OVERRIDES:
        return "bytecode written into the venv as on a user's machine (warmed by an untimed run of each side first)"
    return "bytecode cache as the environment has it (PYTHONDONTWRITEBYTECODE unset)"


@dataclasses.dataclass
class Timed:
    seconds: float
    cpu_seconds: float  # user+sys of the child (and of what it started and waited for)
    returncode: int | None  # None: killed by this script (see ended)
    output: str
    ended: str = "exited"  # or "timeout", "memory guard"
    peak_rss_mb: float | None = None  # sampled VmHWM of the process tree (only when sampled)
    max_rss_mb: float | None = None  # largest current RSS of the tree seen (only when sampled)


def _children_usage() -> resource.struct_rusage:
    return resource.getrusage(resource.RUSAGE_CHILDREN)


def _children_cpu() -> float:
    usage = _children_usage()
    return usage.ru_utime + usage.ru_stime


def run_timed(command: list[str], *, venv: Venv, cwd: Path, log: Path, timeout: float) -> Timed:
    """Run ``command`` to completion (output to ``log``); wall seconds from spawn to exit.

    A run that exceeds ``timeout`` is killed and aborts the benchmark: these runs are expected
    to finish, and a hung one would make every number after it meaningless.
    """
    with open(log, "w", encoding="utf-8") as out:
        cpu_before = _children_cpu()  # only this child is reaped in between (served mocks are reaped later)
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=child_env(venv),
            start_new_session=True,
        )
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_group(process, signal.SIGTERM, 3)
            raise RuntimeError(f"timed out after {timeout:g} s: {shlex.join(command[:4])} ... (log: {log})") from None
        finally:
            stop_group(process, signal.SIGTERM, 3)  # the whole group, also when it already exited
        seconds = time.perf_counter() - started
    return Timed(seconds, _children_cpu() - cpu_before, returncode, log.read_text(encoding="utf-8", errors="replace"))


def run_guarded(
    command: list[str], *, venv: Venv, cwd: Path, stdout_log: Path, stderr_log: Path, timeout: float, guard_mb: float
) -> Timed:
    """Run ``command`` while sampling its process tree; kill it past ``timeout`` s or ``guard_mb`` MB of RSS.

    Unlike :func:`run_timed` a kill is a result, not an error: the huge-body run is the one
    expected to misbehave. The peak is the largest sum of VmHWM (each process's own peak RSS)
    over the tree seen at a sample: exact for a single process, an upper bound for several.
    """
    peak = largest = 0.0
    ended = "exited"
    with open(stdout_log, "w", encoding="utf-8") as out, open(stderr_log, "w", encoding="utf-8") as err:
        cpu_before = _children_cpu()
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=child_env(venv),
            start_new_session=True,
        )
        try:
            while process.poll() is None:
                peak = max(peak, tree_hwm_mb(process.pid))
                current = tree_rss_mb(process.pid)
                largest = max(largest, current)
                if current > guard_mb:
                    ended = "memory guard"
                    break
                if time.perf_counter() - started > timeout:
                    ended = "timeout"
                    break
                time.sleep(SAMPLE_SECONDS)
        finally:
            stop_group(process, signal.SIGKILL if ended == "memory guard" else signal.SIGTERM, 3)
        seconds = time.perf_counter() - started
    output = stdout_log.read_text(encoding="utf-8", errors="replace")
    return Timed(
        seconds,
        _children_cpu() - cpu_before,
        process.returncode if ended == "exited" else None,
        output,
        ended,
        peak,
        largest,
    )


@dataclasses.dataclass
class ServedMock:
    base_url: str
    sid: str
    token: str

    def _client(self) -> LoopbackClient:
        return LoopbackClient(self.base_url, headers={"Authorization": basic_auth(self.sid, self.token)}, timeout=10)

    def clear_log(self) -> None:
        with self._client() as client:
            client.delete("/_mock/requests").raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        with self._client() as client:
            response = client.get("/_mock/requests")
            response.raise_for_status()
            return response.json()["requests"]


@contextlib.contextmanager
def served_mock(venv: Venv, workdir: Path, name: str, profile: Profile) -> Iterator[ServedMock]:
    """``<venv>/bin/supersim-conformance serve --port 0 --async-delay 0.05 --profile FILE``; yields once it answers."""
    command = [
        venv.bin("supersim-conformance"),
        "serve",
        "--port",
        "0",
        "--async-delay",
        ASYNC_DELAY,
        "--profile",
        str(profile.path),
    ]
    with server_process(
        name, command, cwd=workdir, env=child_env(venv), url_pattern=BANNER, ready_path="/_mock/"
    ) as server:
        mock = ServedMock(server.base_url, profile.account_sid, profile.auth_token)
        mock.clear_log()
        yield mock


@dataclasses.dataclass
class Profile:
    """The kit's default target profile, written once by the venv's kit."""

    path: Path
    account_sid: str
    auth_token: str


_SECRETS: set[str] = set()
_SHORTER: dict[str, str] = {}  # long path prefixes -> how they are printed


def redact(text: str) -> str:
    for secret in _SECRETS:
        text = text.replace(secret, "***")
    for prefix, short in _SHORTER.items():
        text = text.replace(prefix, short)
    return text


# ---------------------------------------------------------------------------------------
# the commands
# ---------------------------------------------------------------------------------------
def kit_command(venv: Venv, *args: str) -> list[str]:
    """``supersim-conformance ARGS``: the venv's entry point, as a user of the fresh install runs it."""
    return [venv.bin("supersim-conformance"), *args]


def full_command(venv: Venv, report_dir: Path, max_examples: int | None) -> list[str]:
    command = kit_command(venv, "run", "--report-dir", str(report_dir))
    return command + (["--max-examples", str(max_examples)] if max_examples else [])


def ours_command(
    venv: Venv, mock: ServedMock, profile: Profile, report_dir: Path, max_examples: int, seed: int
) -> list[str]:
    return kit_command(
        venv,
        "run",
        "-k",
        "generated",
        "--target",
        mock.base_url,
        "--profile",
        str(profile.path),
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--report-dir",
        str(report_dir),
        "--no-progress",
    )


def st_command(
    venv: Venv, openapi: str, mock: ServedMock, max_examples: int, seed: int, *, stop_on_failure: bool
) -> list[str]:
    command = [
        venv.bin("st"),
        "run",
        openapi,
        "--url",
        mock.base_url,
        "--auth",
        f"{mock.sid}:{mock.token}",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--mode",
        "all",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--checks",
        "all",
        "--generation-database",
        "none",
        "--no-color",
    ]
    return command if stop_on_failure else command + ["--continue-on-failure"]


def shown(command: list[str]) -> str:
    """The command as printed: the token masked, the venv and the temporary directory shortened."""
    parts = []
    for i, part in enumerate(command):
        if i and command[i - 1] == "--auth":
            part = part.split(":", 1)[0] + ":***"
        parts.append(redact(part))
    return shlex.join(parts)


# ---------------------------------------------------------------------------------------
# one measurement
# ---------------------------------------------------------------------------------------
def count_requests(entries: list[dict[str, Any]]) -> dict[str, Any]:
    by_operation = collections.Counter(e.get("operation") or f"{e.get('method')} (no operation)" for e in entries)
    server_errors = sum(1 for e in entries if isinstance(e.get("status"), int) and e["status"] >= 500)
    return {
        "total": len(entries),
        "server_errors": server_errors,
        "by_operation": dict(sorted(by_operation.items())),
        "log_full": len(entries) >= 10_000,
    }  # the mock keeps the last 10,000 (REQUEST_LOG_SIZE)


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


def fresh_dir(workdir: Path, name: str) -> Path:
    """An empty directory to run a child in: no pyproject.toml, conftest.py or schemathesis.toml applies."""
    path = workdir / name
    path.mkdir()
    return path


def measure_full(round_no: int, workdir: Path, venv: Venv, args: argparse.Namespace) -> dict[str, Any]:
    """The default ``supersim-conformance run`` (embedded mock) in an empty working directory."""
    report_dir = workdir / f"full-{round_no}"
    command = full_command(venv, report_dir, args.max_examples_full)
    timed = run_timed(
        command,
        venv=venv,
        cwd=fresh_dir(workdir, f"full-{round_no}-cwd"),
        log=workdir / f"full-{round_no}.log",
        timeout=args.timeout,
    )
    extra = ours_summary(report_dir)
    problem = None
    if timed.returncode not in (0, 1):
        problem = f"exit status {timed.returncode}"
    elif not (extra.get("summary") or {}).get("total"):
        problem = "no report.json with checks (the run did not complete; exit 1 may be a crash)"
    return {
        "command": shown(command),
        "seconds": timed.seconds,
        "cpu_seconds": timed.cpu_seconds,
        "returncode": timed.returncode,
        "ok": problem is None,
        "problem": problem,
        "tail": _tail(timed.output),
        **extra,
    }


def measure_generated(
    side: str,
    round_no: int,
    workdir: Path,
    venv: Venv,
    facts: dict[str, Any],
    profile: Profile,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One generated-phase run (``ours`` or ``st``) against a freshly started mock."""
    with served_mock(venv, workdir, f"{side}-{round_no} mock", profile) as mock:
        _SECRETS.add(mock.token)
        log = workdir / f"{side}-{round_no}.log"
        cwd = fresh_dir(workdir, f"{side}-{round_no}-cwd")  # st writes its reports here
        if side == "ours":
            report_dir = workdir / f"ours-{round_no}"
            command = ours_command(venv, mock, profile, report_dir, args.max_examples, args.seed)
            timed = run_timed(command, venv=venv, cwd=cwd, log=log, timeout=args.timeout)
            extra = ours_summary(report_dir)
        else:
            command = st_command(
                venv, facts["openapi"], mock, args.max_examples, args.seed, stop_on_failure=args.st_stop_on_failure
            )
            timed = run_timed(command, venv=venv, cwd=cwd, log=log, timeout=args.timeout)
            extra = st_summary(timed.output)
        requests = count_requests(mock.requests())
    problem = problem_with(side, timed.returncode, requests, extra)
    return {
        "command": shown(command),
        "seconds": timed.seconds,
        "cpu_seconds": timed.cpu_seconds,
        "returncode": timed.returncode,
        "ok": problem is None,
        "problem": problem,
        "requests": requests,
        "tail": _tail(timed.output),
        **extra,
    }


def _tail(output: str, lines: int = 6) -> list[str]:
    return [redact(line) for line in output.strip().splitlines()[-lines:]]


def huge_body(workdir: Path, venv: Venv, args: argparse.Namespace, say: Callable[[str], None]) -> dict[str, Any]:
    """The kit run against a target whose every answer is a ~20 MB JSON document: time, peak RSS, outcome."""
    profile_path = workdir / "huge.profile.toml"
    write_default_profile(venv, profile_path)
    report_dir = workdir / "huge-report"
    server_command = [venv.python, str(HERE / "huge_body_server.py"), "--mb", f"{args.huge_mb:g}"]
    with server_process(
        "huge-body server", server_command, cwd=workdir, env=venv.env(), url_pattern=r"listening on (http://\S+)"
    ) as server:
        body_bytes = _body_bytes(server.output)  # from its first line, before anything else is printed
        command = kit_command(
            venv,
            "run",
            "--target",
            server.base_url,
            "--profile",
            str(profile_path),
            "--no-progress",
            "--report-dir",
            str(report_dir),
        )
        say(f"  {shown(command)}")
        maxrss_before = _children_usage().ru_maxrss
        timed = run_guarded(
            command,
            venv=venv,
            cwd=fresh_dir(workdir, "huge-cwd"),
            stdout_log=workdir / "huge.out",
            stderr_log=workdir / "huge.err",
            timeout=args.huge_timeout,
            guard_mb=args.memory_guard_mb,
        )
        maxrss_after = _children_usage().ru_maxrss
    server.reader.join(5)  # it prints how many requests it answered when it stops
    answered = next((line for line in reversed(server.output) if line.startswith("answered ")), None)
    stderr = (workdir / "huge.err").read_text(encoding="utf-8", errors="replace")
    return {
        "command": shown(command),
        "body_bytes": body_bytes,
        "seconds": timed.seconds,
        "cpu_seconds": timed.cpu_seconds,
        "returncode": timed.returncode,
        "ended": timed.ended,
        "peak_rss_mb": timed.peak_rss_mb,
        "max_current_rss_mb": timed.max_rss_mb,
        # ru_maxrss of the children waited for: the run's largest single process, if it beat every earlier child
        "rusage_maxrss_mb": maxrss_after / 1024 if maxrss_after > maxrss_before else None,
        "report_json_written": (report_dir / "report.json").is_file(),
        "traceback_in_stderr": "Traceback" in stderr,
        "traceback_in_stdout": "Traceback" in timed.output,
        "server_answered": answered,
        "timeout": args.huge_timeout,
        "memory_guard_mb": args.memory_guard_mb,
        "stdout_tail": _tail(timed.output),
        "stderr_tail": _tail(stderr),
    }


def _body_bytes(lines: list[str]) -> int | None:
    for line in lines:
        if match := re.search(r"\(([\d,]+) bytes per answer\)", line):
            return int(match.group(1).replace(",", ""))
    return None


# ---------------------------------------------------------------------------------------
# rounds, medians, checks
# ---------------------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def prepare(
    venv: Venv, workdir: Path, args: argparse.Namespace, results: dict[str, Any], say: Callable[[str], None]
) -> tuple[dict[str, Any], Profile]:
    """Stack, the venv's facts (its openapi.yaml, the kit's default --max-examples), the default profile."""
    results["stack"] = stack_info(venv)
    for line in describe_stack(results["stack"]):
        say(f"stack: {line}")
    facts = json.loads(venv.run_python(VENV_FACTS))
    results["venv_facts"] = facts
    args.max_examples = args.max_examples or facts["max_examples"]
    results["settings"]["max_examples"] = args.max_examples
    credentials = write_default_profile(venv, workdir / "default.profile.toml")
    profile = Profile(workdir / "default.profile.toml", credentials["account_sid"], credentials["auth_token"])
    _SECRETS.add(profile.auth_token)
    _SHORTER.update({str(venv.path): "<venv>", str(workdir): "<tmp>"})
    if args.warm_bytecode:  # bytecode written into the venv, as on a user's machine
        ENV_OVERRIDES.update(PYTHONDONTWRITEBYTECODE=None)
    results["environment"] = describe_environment(venv)
    say(f"children: {results['environment']}")
    return facts, profile


def rounds(
    venv: Venv,
    workdir: Path,
    facts: dict[str, Any],
    profile: Profile,
    args: argparse.Namespace,
    say: Callable[[str], None],
) -> list[dict[str, Any]]:
    """The interleaved rounds of full, ours and st."""
    if args.warm_bytecode:
        if not args.skip_full:
            warm = measure_full(0, workdir, venv, args)
            say(f"  warm-up full: {warm['seconds']:.2f} s (not counted)")
        for side in ("ours", "st"):
            warm = measure_generated(side, 0, workdir, venv, facts, profile, args)
            say(f"  warm-up {side}: {warm['seconds']:.2f} s (not counted)")
    say(
        f"{args.rounds} round(s); generated phase at --max-examples {args.max_examples} --seed {args.seed}; "
        f"per-child timeout {args.timeout:g} s"
    )
    out = []
    for round_no in range(1, args.rounds + 1):
        order = ("ours", "st") if round_no % 2 else ("st", "ours")
        row: dict[str, Any] = {"round": round_no, "order": list(order)}
        if not args.skip_full:
            row["full"] = measure_full(round_no, workdir, venv, args)
            _say_run(say, round_no, "full", row["full"])
        for side in order:
            row[side] = measure_generated(side, round_no, workdir, venv, facts, profile, args)
            _say_run(say, round_no, side, row[side])
        if row["ours"]["ok"] and row["st"]["ok"]:
            row["ratio_ours_st"] = row["ours"]["seconds"] / row["st"]["seconds"]
            say(f"  round {round_no}: ours/st = {row['ratio_ours_st']:.2f}")
        out.append(row)
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    say = lambda text: print(text, flush=True)
    started = time.monotonic()
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_average_at_start": os.getloadavg()},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "rounds": [],
    }
    with fresh_venv(args.venv, say) as venv, tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        results["venv"] = {"path": str(venv.path), "created": venv.created, "build_seconds": venv.build_seconds}
        workdir = Path(tmp)
        facts, profile = prepare(venv, workdir, args, results, say)
        if not args.huge_only:
            results["rounds"] = rounds(venv, workdir, facts, profile, args, say)
        if not args.skip_huge:
            say(
                f"huge body: every answer ~{args.huge_mb:g} MB; timeout {args.huge_timeout:g} s, "
                f"memory guard {args.memory_guard_mb:g} MB"
            )
            results["huge_body"] = huge_body(workdir, venv, args, say)
            _say_huge(say, results["huge_body"])
    if results["rounds"]:
        results["summary"] = summarize(results["rounds"])
    results["checks"] = checks(results, skip_full=args.skip_full or args.huge_only)
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


def _say_huge(say, huge: dict[str, Any]) -> None:
    ended = {
        "exited": f"exit {huge['returncode']}",
        "timeout": f"KILLED after the {huge['timeout']:g} s timeout",
        "memory guard": f"KILLED by the memory guard ({huge['memory_guard_mb']:g} MB)",
    }[huge["ended"]]
    say(
        f"  {huge['seconds']:.1f} s, {ended}; peak RSS {huge['peak_rss_mb']:.0f} MB (process tree, VmHWM); "
        f"report.json {'written' if huge['report_json_written'] else 'NOT written'}; "
        f"Traceback on stderr: {'YES' if huge['traceback_in_stderr'] else 'no'}; server: {huge['server_answered']}"
    )
    if huge["ended"] != "exited" or huge["traceback_in_stderr"]:
        for line in huge["stderr_tail"]:
            say(f"      | {line}")


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    def values(side: str, key: str) -> list[float]:
        return [r[side][key] for r in rounds if side in r and r[side]["ok"]]

    def requests(side: str) -> list[int]:
        return [r[side]["requests"]["total"] for r in rounds if side in r and r[side]["ok"]]

    paired = [r for r in rounds if "ratio_ours_st" in r]
    summary: dict[str, Any] = {
        "ours_seconds": values("ours", "seconds"),
        "st_seconds": values("st", "seconds"),
        "ours_median": median(values("ours", "seconds")),
        "st_median": median(values("st", "seconds")),
        "ours_cpu_median": median(values("ours", "cpu_seconds")),
        "st_cpu_median": median(values("st", "cpu_seconds")),
        "ours_requests": requests("ours"),
        "st_requests": requests("st"),
        "round_ratios": [r["ratio_ours_st"] for r in paired],
        "round_cpu_ratios": [
            r["ours"]["cpu_seconds"] / r["st"]["cpu_seconds"] for r in paired if r["st"]["cpu_seconds"]
        ],
    }
    summary["ratio_of_medians"] = (
        summary["ours_median"] / summary["st_median"] if summary["st_seconds"] else float("nan")
    )
    summary["median_round_ratio"] = median(summary["round_ratios"])
    summary["median_round_cpu_ratio"] = median(summary["round_cpu_ratios"])
    ours_req, st_req = median(summary["ours_requests"]), median(summary["st_requests"])
    summary["ours_requests_median"], summary["st_requests_median"] = ours_req, st_req
    summary["comparable"] = bool(
        ours_req and st_req and min(ours_req, st_req) >= COMPARABLE_SHARE * max(ours_req, st_req)
    )
    # Wall time per request sent: the ratio that remains once the sides' request counts are evened out.
    per_request = [
        (r["ours"]["seconds"] / r["ours"]["requests"]["total"]) / (r["st"]["seconds"] / r["st"]["requests"]["total"])
        for r in paired
        if r["ours"]["requests"]["total"] and r["st"]["requests"]["total"]
    ]
    summary["median_round_ratio_per_request"] = median(per_request)
    if any("full" in r for r in rounds):
        summary["full_seconds"] = values("full", "seconds")
        summary["full_median"] = median(summary["full_seconds"])
        summary["full_cpu_median"] = median(values("full", "cpu_seconds"))
    return summary


def checks(results: dict[str, Any], *, skip_full: bool) -> list[dict[str, Any]]:
    """The issues' goals and floors (see the module docstring)."""
    out = []
    summary = results.get("summary")
    if summary:
        if not skip_full:
            n = len(summary["full_seconds"])
            out.append(
                judge(
                    "full default run (supersim-conformance run, embedded mock)",
                    summary["full_median"],
                    FULL_SECONDS,
                    higher_is_better=False,
                    unit=" s",
                    detail=f"median of {n}: {summary['full_median']:.2f} s "
                    f"({', '.join(f'{s:.2f}' for s in summary['full_seconds'])})",
                )
            )
        ratio = summary["median_round_ratio"]
        out.append(
            judge(
                "generated phase vs plain Schemathesis",
                ratio,
                GENERATED_RATIO,
                higher_is_better=False,
                unit="x",
                detail=f"median of the per-round ratios ours/st {ratio:.2f}",
                inconclusive=None
                if summary["comparable"]
                else f"one side sent less than {COMPARABLE_SHARE:.0%} of the other's requests",
            )
        )
    huge = results.get("huge_body")
    if huge:
        killed = {
            "timeout": f"killed after the {huge['timeout']:g} s timeout",
            "memory guard": f"killed by the memory guard ({huge['memory_guard_mb']:g} MB)",
        }.get(huge["ended"])
        seconds = float("inf") if killed else huge["seconds"]  # a killed run did not end by itself
        out.append(
            judge(
                "huge body: the run ends",
                seconds,
                HUGE_SECONDS,
                higher_is_better=False,
                unit=" s",
                detail=f"{huge['seconds']:.1f} s, " + (killed or f"exit {huge['returncode']}"),
            )
        )
        peak = max(huge["peak_rss_mb"] or 0.0, huge["rusage_maxrss_mb"] or 0.0)
        out.append(
            judge(
                "huge body: peak RSS of the run and its children",
                peak,
                HUGE_RSS_MB,
                higher_is_better=False,
                unit=" MB",
                detail=f"{peak:.0f} MB" + (f" ({killed})" if killed else ""),
            )
        )
        out.append(
            yes_no(
                "huge body: report.json written",
                huge["report_json_written"],
                f"exit {huge['returncode']}" if not killed else killed,
            )
        )
        out.append(
            yes_no(
                "huge body: no Traceback on stderr",
                not huge["traceback_in_stderr"],
                "stderr: " + (" / ".join(huge["stderr_tail"][-2:]) or "(empty)"),
            )
        )
    return out


def print_report(results: dict[str, Any]) -> None:
    print("\nStack (read inside the venv)")
    for line in describe_stack(results["stack"]):
        print(f"  {line}")
    print(
        "  versions: "
        + ", ".join(f"{name} {results['stack'][name]}" for name in ("schemathesis", "hypothesis", "pytest", "twilio"))
    )
    venv = results["venv"]
    built = f"built in {venv['build_seconds']:.1f} s" if venv["build_seconds"] is not None else "reused"
    print(f"  venv: {venv['path']} ({built})")
    print(f"\nEnvironment of the children: {results['environment']}")
    if results["rounds"]:
        print_rounds(results["rounds"], results["summary"])
    huge = results.get("huge_body")
    if huge:
        print(f"\nHuge body ({huge['body_bytes'] or 0:,} bytes per answer): {huge['command']}")
        print(
            f"  {huge['seconds']:.1f} s wall, {huge['cpu_seconds']:.1f} s CPU; ended: {huge['ended']}"
            f" (exit {huge['returncode']}); peak RSS {huge['peak_rss_mb']:.0f} MB (sampled VmHWM of the tree), "
            f"largest current RSS {huge['max_current_rss_mb']:.0f} MB"
            + (f", ru_maxrss {huge['rusage_maxrss_mb']:.0f} MB" if huge["rusage_maxrss_mb"] else "")
        )
        print(
            f"  report.json written: {'yes' if huge['report_json_written'] else 'NO'}; Traceback on stderr: "
            f"{'YES' if huge['traceback_in_stderr'] else 'no'}; the server {huge['server_answered'] or 'said nothing'}"
        )
        for name in ("stdout", "stderr"):
            for line in huge[f"{name}_tail"][-3:]:
                print(f"  {name} | {line}")
    print_checks(results["checks"], "Goals and floors")


def print_rounds(rounds: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    print("\nCommands (last round; token shown as ***; a fresh mock per generated run, so ports differ):")
    last = rounds[-1]
    for name in ("full", "ours", "st"):
        if name in last:
            print(f"  {name:>4}: {last[name]['command']}")
    print("\nWall seconds per round (client CPU seconds user+sys in brackets; order of the generated pair last):")
    print(
        f"  {'round':>6}  {'full':>15}  {'ours':>15}  {'st':>15}  {'ours/st':>7}  {'req ours':>8}  {'req st':>6}  order"
    )
    cell = lambda data: f"{data['seconds']:6.2f} ({data['cpu_seconds']:5.2f})" if data and data["ok"] else f"{'-':>15}"
    for r in rounds:
        ratio = f"{r['ratio_ours_st']:7.2f}" if "ratio_ours_st" in r else f"{'-':>7}"
        print(
            f"  {r['round']:>6}  {cell(r.get('full'))}  {cell(r['ours'])}  {cell(r['st'])}  {ratio}  "
            f"{r['ours']['requests']['total']:>8}  {r['st']['requests']['total']:>6}  [{', '.join(r['order'])}]"
        )
    med = lambda key: (
        f"{summary[key + '_median']:6.2f} ({summary[key + '_cpu_median']:5.2f})"
        if key + "_median" in summary
        else f"{'-':>15}"
    )
    print(
        f"  {'median':>6}  {med('full')}  {med('ours')}  {med('st')}  {summary['median_round_ratio']:7.2f}  "
        f"{summary['ours_requests_median']:>8g}  {summary['st_requests_median']:>6g}"
    )
    print(
        f"\n  generated phase ours/st: median of per-round ratios {summary['median_round_ratio']:.2f} "
        f"(ratio of the medians {summary['ratio_of_medians']:.2f}); client CPU {summary['median_round_cpu_ratio']:.2f}; "
        f"wall per request sent {summary['median_round_ratio_per_request']:.2f}"
    )
    for side in ("ours", "st"):
        print(f"  requests by operation, {side} (round {last['round']}): {last[side]['requests']['by_operation']}")
    o = last["ours"]
    if o.get("pytest_seconds") is not None:
        print(
            f"  ours, round {last['round']}: {o['seconds']:.2f} s wall = {o['pytest_seconds']:.2f} s pytest session "
            f"(of which {o['tests_seconds']:.2f} s inside the generated tests' calls) + "
            f"{o['seconds'] - o['pytest_seconds']:.2f} s interpreter start-up, probe, reports"
        )
    s = last["st"]
    if "own_seconds" in s:
        print(
            f"  st, round {last['round']}: {s['seconds']:.2f} s wall, {s['own_seconds']:.2f} s by its own clock, "
            f"{s.get('cases_generated', '?')} cases; its findings: {'; '.join(s.get('failures') or ['none'])}"
        )
    if not summary["comparable"]:
        print(
            f"\n  NOT COMPARABLE: one side sent less than {COMPARABLE_SHARE:.0%} of the other's requests "
            f"(ours {summary['ours_requests_median']:g}, st {summary['st_requests_median']:g}); the ratio is not "
            "a like-for-like comparison."
        )


# ---------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--venv",
        type=Path,
        metavar="PATH",
        help="reuse this venv instead of building a temporary one (built there, and kept, if missing)",
    )
    parser.add_argument("--rounds", type=int, default=3, metavar="R", help="interleaved rounds (default 3)")
    parser.add_argument(
        "--max-examples",
        type=int,
        default=None,
        metavar="N",
        help="examples per operation for both generated sides (default: the kit's default); "
        "also passed to the full run when given",
    )
    parser.add_argument("--seed", type=int, default=1, metavar="N", help="seed for both generated sides (default 1)")
    parser.add_argument("--timeout", type=float, default=300.0, metavar="S", help="timeout per child run (default 300)")
    parser.add_argument("--skip-full", action="store_true", help="do not measure the default full run")
    parser.add_argument("--skip-huge", action="store_true", help="do not measure the huge-body run")
    parser.add_argument("--huge-only", action="store_true", help="measure the huge-body run only")
    parser.add_argument(
        "--huge-mb",
        type=float,
        default=20.0,
        metavar="MB",
        help="size of every answer of the huge-body server (default 20)",
    )
    parser.add_argument(
        "--huge-timeout",
        type=float,
        default=300.0,
        metavar="S",
        help="kill the huge-body run after S seconds (default 300)",
    )
    parser.add_argument(
        "--memory-guard-mb",
        type=float,
        default=2048.0,
        metavar="MB",
        help="kill the huge-body run when its process tree's RSS exceeds MB (default 2048)",
    )
    parser.add_argument(
        "--st-stop-on-failure",
        action="store_true",
        help="run st without --continue-on-failure (it then stops an operation at its first failure)",
    )
    parser.add_argument(
        "--warm-bytecode",
        action="store_true",
        help="children write bytecode into the venv (PYTHONDONTWRITEBYTECODE removed), warmed by one "
        "untimed run of each side",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every number to FILE")
    args = parser.parse_args(argv)
    if args.rounds < 1 or (args.max_examples is not None and args.max_examples < 1) or args.timeout <= 0:
        parser.error("--rounds and --max-examples must be at least 1, --timeout positive")
    if args.huge_only and args.skip_huge:
        parser.error("--huge-only and --skip-huge exclude each other")
    args.max_examples_full = args.max_examples  # the default run stays the default unless asked otherwise
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
    except (RuntimeError, OSError, subprocess.SubprocessError, http.client.HTTPException) as error:
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
