"""Benchmark of the reference mock as a fresh install serves it: next to Prism, next to a bare
Starlette app on the same stack, and through twilio-python (issues #3 and "Fresh install at full speed").

Run from the repository root with any Python >= 3.11 (the script needs only the standard library;
everything it measures runs from a fresh venv)::

    python tests/benchmarks/bench_mock.py [--venv PATH] [--alternatives] [--duration S] [--rounds R] [--json FILE]

What it does (details: tests/benchmarks/README.md):

1. builds a fresh virtual environment from the checkout (``python -m venv``, then a plain
   ``pip install <repo>``: not editable, no extras), or reuses ``--venv PATH``, and prints
   the server stack read from inside it (uvicorn and the HTTP parser and event loop it picks,
   httptools, uvloop, starlette, Python) and Prism's version;
2. starts, each as its own process from that venv: the reference mock
   (``supersim-conformance serve --port 0``), the bare ceiling (``serve_app.py --app bare``:
   one constant Sim-sized JSON document on the same uvicorn configuration), and Prism on
   Twilio's spec; with ``--alternatives`` also the mock and the bare app on uvicorn with
   ``http="h11", loop="asyncio"`` and on granian (installed into the venv for it);
3. with one load generator (wrk + a Lua script, else a Python asyncio+httpx generator whose
   own ceiling is measured) and the same concurrency for all, measures req/s, p50 and p99 of
   fetch-by-SID (every target) and of a list page of 50 (mock and Prism), interleaving rounds
   and reporting medians;
4. measures keep-alive latency through twilio-python: one ``Client``, sequential
   ``client.supersim.v1.sims(sid).fetch()`` calls, in a child process of the venv;
5. starts another mock, loads 100,000 Sims into it over ``POST /_mock/seed``, and measures the
   first and the last page at PageSize=1000 and the mock's VmRSS;
6. prints tables and the issue's goals and floors (PASS/FAIL). It is a report, not a gate:
   the exit status is 0 unless something crashed (1) or it was interrupted (130).

Every process it starts is stopped at the end, also on Ctrl-C, SIGTERM or an error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime
import json
import os
import platform
import re
import shutil
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
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "prism"))

from benchtools import (
    LoopbackClient,
    Venv,
    basic_auth,
    describe_stack,
    free_port,
    fresh_venv,
    judge,
    print_checks,
    server_process,
    stack_info,
    stop_group,
    tree_cpu_seconds,
    tree_rss_mb,
    write_default_profile,
)
from prism_server import PrismUnavailable, find_prism, prism_version, start_prism

try:  # only the Python fallback generator needs it (wrk is the generator of choice)
    import httpx
except ImportError:
    httpx = None

DEFAULT_SPEC = REPO.parent / "shared" / "reference" / "twilio_supersim_v1.json"
MOCK_BANNER = r"mock listening on (http://\S+)"
APP_BANNER = r"app listening on (http://\S+)"

#: (goal, floor) of the issue; "higher" ones must reach the value, "lower" ones stay at or under it.
PRISM_RATIO = (10.0, 6.0)  # mock fetch req/s over Prism's
CEILING_SHARE = (85.0, 60.0)  # mock fetch req/s over the bare app's, same stack, in %
TWILIO_P50_MS = (1.5, 3.0)  # keep-alive fetch through twilio-python
PAGE_RATIO = (1.2, 1.2)  # last page over first page at 100,000 Sims
RSS_MB = (200.0, 300.0)  # mock VmRSS with 100,000 Sims
#: A result at or above this share of the generator's own ceiling may be limited by the generator.
GENERATOR_BOUND = 0.7

#: The stacks an app can be served on. "uvicorn" is what ``supersim-conformance serve`` runs.
STACKS = {
    "uvicorn": "uvicorn with its automatic choices, as `supersim-conformance serve` runs it",
    "uvicorn-h11": 'uvicorn with http="h11", loop="asyncio" (what a fresh install got before uvicorn[standard])',
    "granian": "granian --interface asgi --factory, 1 worker, HTTP/1, loop auto",
    "node": "Prism (Node.js)",
}
OPERATIONS = {"fetch": "GET /v1/Sims/{sid}", "list50": "GET /v1/Sims?PageSize=50"}


# ---------------------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------------------
def child_pid(*words: str) -> int | None:
    """PID of a direct child of this process whose command line has every word (e.g. Prism's node)."""
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = (entry / "stat").read_text().rpartition(")")[2].split()[1]
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if ppid == me and all(word in cmdline for word in words):
            return int(entry.name)
    return None


def server_rss_mb(pid: int) -> float:
    """VmRSS of a server's process tree in MB; an error if the server is gone (0 MB would read as a PASS)."""
    if not Path(f"/proc/{pid}/status").exists():
        raise RuntimeError(f"server process {pid} is gone (did something stop it?)")
    return tree_rss_mb(pid)


@dataclasses.dataclass
class Target:
    """One server under load: an app (mock, bare, prism) on a stack, and the operations it answers."""

    app: str
    stack: str
    base_url: str
    pid: int | None  # root of the process tree whose CPU is counted (None: not measured)
    operations: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.app if self.stack in ("uvicorn", "node") else f"{self.app}@{self.stack}"


def start_mock(stack: contextlib.ExitStack, venv: Venv, profile: Path, workdir: Path, name: str = "mock") -> Any:
    """``<venv>/bin/supersim-conformance serve --port 0 --profile FILE``: the command a user runs."""
    command = [venv.bin("supersim-conformance"), "serve", "--port", "0", "--profile", str(profile)]
    return stack.enter_context(
        server_process(name, command, cwd=workdir, env=venv.env(), url_pattern=MOCK_BANNER, ready_path="/_mock/")
    )


def start_uvicorn_app(
    stack: contextlib.ExitStack, venv: Venv, app: str, http: str, loop: str, profile: Path, workdir: Path
) -> Any:
    """``serve_app.py`` run by the venv's python: the app on uvicorn with the given http/loop choices."""
    command = [
        venv.python,
        str(HERE / "serve_app.py"),
        "--app",
        app,
        "--http",
        http,
        "--loop",
        loop,
        "--profile",
        str(profile),
    ]
    return stack.enter_context(
        server_process(f"{app} ({http}, {loop})", command, cwd=workdir, env=venv.env(), url_pattern=APP_BANNER)
    )


def start_granian_app(stack: contextlib.ExitStack, venv: Venv, app: str, profile: Path, workdir: Path) -> Any:
    """granian's CLI on ``asgi_apps:<app>_app`` (a factory), one worker, HTTP/1 on loopback.

    granian binds the port itself, so it is given one that was free a moment ago.
    """
    port = free_port()
    command = [
        venv.bin("granian"),
        "--interface",
        "asgi",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--http",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
        "--working-dir",
        str(HERE),
        f"asgi_apps:{app}_app",
    ]
    return stack.enter_context(
        server_process(
            f"{app} (granian)",
            command,
            cwd=workdir,
            env=venv.env(BENCH_PROFILE=str(profile)),
            base_url=f"http://127.0.0.1:{port}",
        )
    )


def start_targets(
    stack: contextlib.ExitStack,
    venv: Venv,
    profile: Path,
    workdir: Path,
    args: argparse.Namespace,
    results: dict[str, Any],
    say: Callable[[str], None],
) -> list[Target]:
    """Every server of the throughput part, each its own process; Prism skipped (with the reason) if missing."""
    both, fetch_only = ("fetch", "list50"), ("fetch",)
    mock = start_mock(stack, venv, profile, workdir)
    bare = start_uvicorn_app(stack, venv, "bare", "auto", "auto", profile, workdir)
    targets = [
        Target("mock", "uvicorn", mock.base_url, mock.pid, both),
        Target("bare", "uvicorn", bare.base_url, bare.pid, fetch_only),
    ]
    if args.no_prism:
        results["prism_skipped"] = "--no-prism"
    else:
        try:
            version = prism_version(find_prism())
            base = stack.enter_context(start_prism(args.spec, args=["-v", "warn"]))
            pid = child_pid("prism", "mock", base.rpartition(":")[2])
            targets.append(Target("prism", "node", base, pid, both))
            results["prism"] = {"version": version, "base_url": base, "spec": str(args.spec)}
        except PrismUnavailable as exc:
            results["prism_skipped"] = exc.reason
            say(f"Prism skipped: {exc.reason}")
    if args.alternatives:
        for app, ops in (("mock", both), ("bare", fetch_only)):
            server = start_uvicorn_app(stack, venv, app, "h11", "asyncio", profile, workdir)
            targets.append(Target(app, "uvicorn-h11", server.base_url, server.pid, ops))
        if results.get("granian_skipped") is None:
            for app, ops in (("mock", both), ("bare", fetch_only)):
                server = start_granian_app(stack, venv, app, profile, workdir)
                targets.append(Target(app, "granian", server.base_url, server.pid, ops))
    for target in targets:
        say(f"  {target.name:17} {target.base_url}  (pid {target.pid}; {STACKS[target.stack]})")
    return targets


def install_granian(venv: Venv, results: dict[str, Any], say: Callable[[str], None]) -> None:
    """``pip install granian`` into the venv (only for --alternatives); a failure skips granian, with the reason."""
    if Path(venv.bin("granian")).exists():
        results["granian_install_seconds"] = 0.0
        return
    say("installing granian into the venv (--alternatives) ...")
    try:
        results["granian_install_seconds"] = venv.pip_install("granian")
        say(f"  installed in {results['granian_install_seconds']:.1f} s")
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        results["granian_skipped"] = f"pip install granian failed: {str(exc)[-300:]}"
        say(f"granian skipped: {results['granian_skipped']}")


# ---------------------------------------------------------------------------------------
# load generators
# ---------------------------------------------------------------------------------------
@dataclasses.dataclass
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # transport errors + non-2xx answers

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


WRK_LUA = """\
wrk.headers["Authorization"] = "{authorization}"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {{\\"requests\\": %d, \\"duration_us\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d, \\"errors\\": %d}}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


class Wrk:
    """wrk (Debian package ``wrk``) with a Lua script for the Authorization header and percentiles."""

    name = "wrk"

    def __init__(self, connections: int, threads: int, workdir: Path):
        self.connections = connections
        self.threads = threads
        self.workdir = workdir
        self.binary = shutil.which("wrk")
        if self.binary is None:
            raise FileNotFoundError("wrk")
        self._scripts: dict[str, Path] = {}

    def version(self) -> str:
        done = subprocess.run([self.binary, "--version"], capture_output=True, text=True, check=False)
        return (done.stdout + done.stderr).splitlines()[0].strip()

    def _script(self, authorization: str) -> Path:
        if authorization not in self._scripts:
            path = self.workdir / f"wrk-{len(self._scripts)}.lua"
            path.write_text(WRK_LUA.format(authorization=authorization))
            self._scripts[authorization] = path
        return self._scripts[authorization]

    def run(self, url: str, authorization: str, duration: float) -> LoadResult:
        command = [
            self.binary,
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            str(self._script(authorization)),
            url,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
        match = re.search(r"BENCH_JSON (\{.*\})", done.stdout)
        if done.returncode != 0 or not match:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-500:]} {done.stderr[-500:]}")
        data = json.loads(match.group(1))
        seconds = data["duration_us"] / 1e6
        return LoadResult(
            requests=data["requests"],
            seconds=seconds,
            rps=data["requests"] / seconds,
            p50_ms=data["p50_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            errors=data["errors"],
        )


class PythonLoad:
    """Fallback generator: ``connections`` asyncio workers, each with its own one-connection httpx client.

    One client per worker (rather than one shared pool) and uvloop when installed: httpx's
    shared pool loses throughput under contention. Even so its ceiling here is ~1,000
    req/s, so the script measures it and flags results it bounds.
    """

    name = "python asyncio+httpx"

    def __init__(self, connections: int):
        self.connections = connections

    def version(self) -> str:
        return f"httpx {httpx.__version__}, Python {platform.python_version()}"

    def run(self, url: str, authorization: str, duration: float) -> LoadResult:
        try:
            import uvloop
        except ImportError:
            return asyncio.run(self._run(url, authorization, duration))
        return uvloop.run(self._run(url, authorization, duration))

    async def _run(self, url: str, authorization: str, duration: float) -> LoadResult:
        latencies: list[float] = []
        errors = 0
        start = time.perf_counter()
        deadline = start + duration

        async def worker() -> None:
            nonlocal errors
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            headers = {"Authorization": authorization}
            async with httpx.AsyncClient(limits=limits, timeout=10, trust_env=False, headers=headers) as client:
                while True:
                    sent = time.perf_counter()
                    if sent >= deadline:
                        return
                    try:
                        response = await client.get(url)
                        if not 200 <= response.status_code < 300:
                            errors += 1
                    except httpx.HTTPError:
                        errors += 1
                    latencies.append(time.perf_counter() - sent)

        await asyncio.gather(*(worker() for _ in range(self.connections)))
        seconds = time.perf_counter() - start
        latencies.sort()
        pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0.0
        return LoadResult(len(latencies), seconds, len(latencies) / seconds, pick(0.50), pick(0.99), errors)


TRIVIAL_SERVER = r"""
import asyncio, socket, sys
try:
    import uvloop; uvloop.install()
except ImportError:
    pass
BODY = b'{"ok": true}'
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY)) + BODY
class Proto(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""
    def data_received(self, data):
        self.buffer += data
        count = self.buffer.count(b"\r\n\r\n")
        if count:
            self.buffer = self.buffer[self.buffer.rfind(b"\r\n\r\n") + 4:]
            self.transport.write(RESPONSE * count)
async def main():
    sock = socket.socket(); sock.bind(("127.0.0.1", 0)); sock.listen(512)
    server = await asyncio.get_running_loop().create_server(Proto, sock=sock)
    print(sock.getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


@contextlib.contextmanager
def trivial_server() -> Iterator[str]:
    """A fixed-answer HTTP/1.1 server (asyncio protocol) in a child process, to measure a generator's ceiling."""
    process = subprocess.Popen(
        [sys.executable, "-c", TRIVIAL_SERVER],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop_group(process, signal.SIGTERM, 2)


# ---------------------------------------------------------------------------------------
# the measurements
# ---------------------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def throughput(
    generator: Any,
    targets: list[Target],
    authorization: str,
    sim_sid: str,
    args: argparse.Namespace,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Interleaved rounds: for each operation, every target that answers it in turn; medians per target.

    Interleaving makes drift in the machine's load (other work on two shared cores) hit every
    target alike, so the ratios compare measurements taken side by side. Besides req/s and
    latency, each round records the server's CPU time per request (utime + stime of its
    process tree): it depends much less than req/s on how busy the machine is.
    """
    paths = {"fetch": f"/v1/Sims/{sim_sid}", "list50": "/v1/Sims?PageSize=50"}
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {t.name: {o: [] for o in t.operations} for t in targets}
    if args.warmup > 0:
        for target in targets:
            for operation in target.operations:
                generator.run(target.base_url + paths[operation], authorization, args.warmup)
    for round_no in range(1, args.rounds + 1):
        for operation, path in paths.items():
            for target in (t for t in targets if operation in t.operations):
                cpu_before = tree_cpu_seconds(target.pid) if target.pid else 0.0
                result = generator.run(target.base_url + path, authorization, args.duration)
                row = result.as_dict()
                row["cpu_us_per_request"] = (
                    (tree_cpu_seconds(target.pid) - cpu_before) / result.requests * 1e6
                    if target.pid and result.requests
                    else None
                )
                raw[target.name][operation].append(row)
                cpu = f"{row['cpu_us_per_request']:5.0f} us CPU/req" if row["cpu_us_per_request"] else ""
                say(
                    f"  round {round_no} {operation:6} {target.name:17} {result.rps:9.0f} req/s  "
                    f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  errors {result.errors}  {cpu}"
                )
    summary: dict[str, Any] = {}
    for target in targets:
        for operation, rounds in raw[target.name].items():
            summary.setdefault(target.name, {"app": target.app, "stack": target.stack, "operations": {}})
            summary[target.name]["operations"][operation] = {
                "rps": median([r["rps"] for r in rounds]),
                "p50_ms": median([r["p50_ms"] for r in rounds]),
                "p99_ms": median([r["p99_ms"] for r in rounds]),
                "errors": sum(r["errors"] for r in rounds),
                "cpu_us_per_request": (
                    median([r["cpu_us_per_request"] for r in rounds])
                    if all(r["cpu_us_per_request"] for r in rounds)
                    else None
                ),
                "rounds": rounds,
            }
    return summary


def twilio_latency(
    venv: Venv, target: Target, credentials: dict[str, Any], args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    """``twilio_latency.py`` run by the venv's python against one target; its JSON line, or the error."""
    command = [
        venv.python,
        str(HERE / "twilio_latency.py"),
        target.base_url,
        credentials["account_sid"],
        credentials["auth_token"],
        credentials["sim_sid"],
        "--requests",
        str(args.twilio_requests),
        "--warmup",
        str(args.twilio_warmup),
    ]
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=venv.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after 120 s"}
    finally:
        stop_group(process, signal.SIGTERM, 2)
    if process.returncode != 0:
        return {"error": f"exit {process.returncode}: {err.strip().splitlines()[-1] if err.strip() else ''}"}
    return json.loads(out.strip().splitlines()[-1])


def client_latency(
    venv: Venv,
    targets: list[Target],
    credentials: dict[str, Any],
    args: argparse.Namespace,
    workdir: Path,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """twilio-python keep-alive latency against every target that answers fetch (the servers idle meanwhile)."""
    out = {}
    for target in (t for t in targets if "fetch" in t.operations):
        row = twilio_latency(venv, target, credentials, args, workdir)
        out[target.name] = row
        if "error" in row:
            say(f"  {target.name:17} twilio-python fetch failed: {row['error']}")
        else:
            pool = row.get("pool") or {}
            say(
                f"  {target.name:17} p50 {row['p50_ms']:6.2f} ms  p99 {row['p99_ms']:6.2f} ms  "
                f"({row['requests']} sequential fetches, {pool.get('connections', '?')} connection(s))"
            )
    return out


def big_store(venv: Venv, args: argparse.Namespace, workdir: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """A fresh mock (no profile Sims), ``args.sims`` Sims seeded, first vs last page, VmRSS."""
    profile_path = workdir / "big.toml"
    credentials = write_default_profile(venv, profile_path, with_sims=False)
    auth = {"Authorization": basic_auth(credentials["account_sid"], credentials["auth_token"])}
    out: dict[str, Any] = {"sims": args.sims, "page_size": args.page_size}
    with contextlib.ExitStack() as stack:
        mock = start_mock(stack, venv, profile_path, workdir, name="big mock")
        client = stack.enter_context(LoopbackClient(mock.base_url, headers=auth, timeout=120))
        out["rss_empty_mb"] = server_rss_mb(mock.pid)
        started = time.perf_counter()
        left = args.sims
        while left:
            count = min(args.seed_batch, left)
            response = client.post("/_mock/seed", {"sims": [{"count": count, "status": "active"}]})
            response.raise_for_status()
            left -= count
        out["load_seconds"] = time.perf_counter() - started
        counts = client.get("/_mock/").json()["counts"]
        out["sims_in_mock"] = counts["sims"]
        out["rss_loaded_mb"] = server_rss_mb(mock.pid)
        say(
            f"  loaded {counts['sims']:,} Sims in {out['load_seconds']:.2f} s "
            f"(POST /_mock/seed, batches of {args.seed_batch:,}); VmRSS {out['rss_loaded_mb']:.0f} MB"
        )

        first_path = f"/v1/Sims?PageSize={args.page_size}"
        started = time.perf_counter()
        url, pages, seen, last_url, last_items = first_path, 0, 0, first_path, 0
        while url:
            page = client.get(url)
            page.raise_for_status()
            body = page.json()
            pages, seen, last_url, last_items = pages + 1, seen + len(body["sims"]), url, len(body["sims"])
            url = body["meta"]["next_page_url"]
        out.update(
            walk_seconds=time.perf_counter() - started, pages=pages, walked_sims=seen, last_page_items=last_items
        )
        out["last_page_url"] = last_url.replace(mock.base_url, "")
        say(f"  walked {pages} pages ({seen:,} Sims) in {out['walk_seconds']:.2f} s; last page: {out['last_page_url']}")
        if seen != counts["sims"]:
            say(f"  WARNING: walking next_page_url returned {seen:,} Sims, the mock holds {counts['sims']:,}")

        samples: dict[str, list[float]] = {"first": [], "last": []}
        sizes: dict[str, int] = {}
        for name, path in (("first", first_path), ("last", last_url)):  # one unmeasured warm-up each
            sizes[name] = len(client.get(path).content)
        for _ in range(args.samples):  # alternate, so drift in machine load hits both alike
            for name, path in (("first", first_path), ("last", last_url)):
                started = time.perf_counter()
                response = client.get(path)  # the body is read in full
                samples[name].append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
        for name in samples:
            out[f"{name}_page_ms"] = median(samples[name])
            out[f"{name}_page_samples_ms"] = samples[name]
            out[f"{name}_page_bytes"] = sizes[name]
        out["rss_after_pages_mb"] = server_rss_mb(mock.pid)
        say(
            f"  PageSize={args.page_size}: first page {out['first_page_ms']:.1f} ms, last page "
            f"{out['last_page_ms']:.1f} ms (medians of {args.samples}); VmRSS {out['rss_after_pages_mb']:.0f} MB"
        )
    return out


# ---------------------------------------------------------------------------------------
# goals and floors
# ---------------------------------------------------------------------------------------
def skipped(name: str, limits: tuple[float, float], unit: str, why: str, higher_is_better: bool) -> dict[str, Any]:
    return judge(name, None, limits, higher_is_better=higher_is_better, unit=unit, detail=why)


def checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's goals and floors, judged on the default stack (what a fresh install serves)."""
    load = results.get("throughput", {})
    ceiling = results.get("loadgen", {}).get("ceiling_rps", float("inf"))
    bound = f"at >= {GENERATOR_BOUND:.0%} of the load generator's own ceiling ({ceiling:.0f} req/s); install wrk"
    out = []
    mock = load.get("mock", {}).get("operations", {}).get("fetch")

    name = "mock fetch throughput vs Prism's"
    prism = load.get("prism", {}).get("operations", {}).get("fetch")
    if mock and prism:
        ratio = mock["rps"] / prism["rps"] if prism["rps"] else float("inf")
        detail = f"{mock['rps']:.0f} / {prism['rps']:.0f} req/s = {ratio:.2f}x"
        if mock["cpu_us_per_request"] and prism["cpu_us_per_request"]:
            detail += (
                f" (server CPU per request {prism['cpu_us_per_request']:.0f} / "
                f"{mock['cpu_us_per_request']:.0f} us = {prism['cpu_us_per_request'] / mock['cpu_us_per_request']:.2f}x)"
            )
        weak = mock["generator_bound"] and ratio < PRISM_RATIO[0]
        out.append(
            judge(
                name,
                ratio,
                PRISM_RATIO,
                higher_is_better=True,
                unit="x",
                detail=detail,
                inconclusive=f"the mock ran {bound}" if weak else None,
            )
        )
    else:
        out.append(skipped(name, PRISM_RATIO, "x", results.get("prism_skipped", "Prism not measured"), True))

    name = "mock fetch throughput vs the bare Starlette ceiling (same stack: uvicorn)"
    bare = load.get("bare", {}).get("operations", {}).get("fetch")
    if mock and bare:
        share = mock["rps"] / bare["rps"] * 100
        out.append(
            judge(
                name,
                share,
                CEILING_SHARE,
                higher_is_better=True,
                unit=" %",
                detail=(f"{mock['rps']:.0f} / {bare['rps']:.0f} req/s = {share:.0f} %"),
                inconclusive=f"the bare app ran {bound}" if bare["generator_bound"] else None,
            )
        )
    else:
        out.append(skipped(name, CEILING_SHARE, " %", "not measured", True))

    name = "twilio-python keep-alive fetch p50 (mock, one Client)"
    latency = results.get("twilio_latency", {}).get("mock")
    if latency and "p50_ms" in latency:
        out.append(
            judge(
                name,
                latency["p50_ms"],
                TWILIO_P50_MS,
                higher_is_better=False,
                unit=" ms",
                detail=(
                    f"p50 {latency['p50_ms']:.2f} ms, p99 {latency['p99_ms']:.2f} ms over {latency['requests']} fetches"
                ),
            )
        )
    else:
        out.append(skipped(name, TWILIO_P50_MS, " ms", (latency or {}).get("error", "not measured"), False))

    big = results.get("big_store")
    name = "last page latency over first page"
    if big:
        ratio = big["last_page_ms"] / big["first_page_ms"]
        out.append(
            judge(
                name,
                ratio,
                PAGE_RATIO,
                higher_is_better=False,
                unit="x",
                detail=f"{big['last_page_ms']:.1f} / {big['first_page_ms']:.1f} ms = {ratio:.2f}x",
            )
        )
        rss = max(big["rss_loaded_mb"], big["rss_after_pages_mb"])
        out.append(
            judge(
                f"mock VmRSS with {big['sims_in_mock']:,} Sims",
                rss,
                RSS_MB,
                higher_is_better=False,
                unit=" MB",
                detail=f"{rss:.0f} MB",
            )
        )
    else:
        out.append(skipped(name, PAGE_RATIO, "x", "not measured", False))
        out.append(skipped("mock VmRSS with the big store", RSS_MB, " MB", "not measured", False))
    return out


# ---------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------
def print_report(results: dict[str, Any]) -> None:
    print("\nServer stack (read inside the venv)")
    for line in describe_stack(results["stack"], results.get("prism", {}).get("version")):
        print(f"  {line}")
    venv = results["venv"]
    built = f"built in {venv['build_seconds']:.1f} s" if venv["build_seconds"] is not None else "reused"
    print(f"  venv: {venv['path']} ({built})")
    load = results.get("throughput", {})
    if load:
        settings = results["settings"]
        print(
            f"\nThroughput and latency ({results['loadgen']['name']}, {settings['connections']} connections, "
            f"{settings['rounds']} x {settings['duration']:g} s rounds, medians)"
        )
        print(
            f"{'target':17} {'operation':24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'CPU us/req':>11}"
        )
        for target, data in load.items():
            for operation, row in data["operations"].items():
                mark = " *" if row["generator_bound"] else ""
                cpu = f"{row['cpu_us_per_request']:11.0f}" if row["cpu_us_per_request"] else f"{'-':>11}"
                print(
                    f"{target:17} {OPERATIONS[operation]:24} {row['rps']:9.0f} {row['p50_ms']:8.2f} "
                    f"{row['p99_ms']:8.2f} {row['errors']:7d} {cpu}{mark}"
                )
        ceiling = results["loadgen"]["ceiling_rps"]
        print(f"load generator ceiling (trivial server, same settings): {ceiling:.0f} req/s")
        if any(row["generator_bound"] for data in load.values() for row in data["operations"].values()):
            print(f"* at >= {GENERATOR_BOUND:.0%} of that ceiling: possibly limited by the load generator")
        for stack in dict.fromkeys(data["stack"] for data in load.values()):
            print(f"stack {stack}: {STACKS[stack]}")
        for stack, share in results.get("ceiling_share", {}).items():
            print(f"mock fetch / bare fetch on {stack}: {share:.0%}")
        rss = ", ".join(f"{target} {mb:.0f} MB" for target, mb in results.get("rss_after_load_mb", {}).items())
        print(f"VmRSS after the load phase (process tree; mock request log full): {rss}")
    latency = results.get("twilio_latency", {})
    if latency:
        print(
            f"\ntwilio-python {results['stack'].get('twilio')}, one Client, sequential "
            f"client.supersim.v1.sims(sid).fetch() (after {results['settings']['twilio_warmup']} unmeasured)"
        )
        for target, row in latency.items():
            if "error" in row:
                print(f"  {target:17} failed: {row['error']}")
            else:
                pool = row.get("pool") or {}
                print(
                    f"  {target:17} p50 {row['p50_ms']:6.2f} ms  p99 {row['p99_ms']:6.2f} ms  mean {row['mean_ms']:6.2f} ms"
                    f"  ({row['requests']} fetches on {pool.get('connections', '?')} connection(s))"
                )
    big = results.get("big_store")
    if big:
        print(
            f"\n{big['sims_in_mock']:,} Sims: loaded in {big['load_seconds']:.2f} s; PageSize={big['page_size']}: "
            f"first page {big['first_page_ms']:.1f} ms ({big['first_page_bytes'] / 1e3:.0f} kB), last page "
            f"{big['last_page_ms']:.1f} ms ({big['last_page_items']} Sims); VmRSS {big['rss_empty_mb']:.0f} MB empty, "
            f"{big['rss_loaded_mb']:.0f} MB loaded, {big['rss_after_pages_mb']:.0f} MB after paging"
        )
    print_checks(results["checks"], "Goals and floors of the issue")


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
    parser.add_argument(
        "--alternatives",
        action="store_true",
        help="also measure the mock and the bare app on uvicorn h11+asyncio and on granian",
    )
    parser.add_argument("--duration", type=float, default=5.0, metavar="S", help="seconds per load phase (default 5)")
    parser.add_argument("--connections", type=int, default=16, metavar="N", help="concurrent connections (default 16)")
    parser.add_argument("--rounds", type=int, default=5, metavar="R", help="interleaved rounds per target (default 5)")
    parser.add_argument("--threads", type=int, default=1, metavar="T", help="wrk threads (default 1: 2-core machine)")
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        metavar="S",
        help="unmeasured warm-up per target and operation (default 2; Prism JIT-compiles)",
    )
    parser.add_argument(
        "--loadgen",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="auto: wrk when installed, else the Python generator",
    )
    parser.add_argument(
        "--spec", type=Path, default=DEFAULT_SPEC, help=f"OpenAPI document for Prism (default {DEFAULT_SPEC})"
    )
    parser.add_argument("--no-prism", action="store_true", help="do not start Prism")
    parser.add_argument(
        "--twilio-requests",
        type=int,
        default=200,
        metavar="N",
        help="measured sequential twilio-python fetches per target (default 200)",
    )
    parser.add_argument(
        "--twilio-warmup", type=int, default=20, metavar="N", help="unmeasured twilio-python fetches first (default 20)"
    )
    parser.add_argument(
        "--sims", type=int, default=100_000, metavar="N", help="Sims for the paging/memory part (default 100000)"
    )
    parser.add_argument(
        "--seed-batch", type=int, default=25_000, metavar="N", help="Sims per POST /_mock/seed (default 25000)"
    )
    parser.add_argument(
        "--page-size", type=int, default=1000, metavar="N", help="page size for first/last page (default 1000)"
    )
    parser.add_argument(
        "--samples", type=int, default=25, metavar="N", help="requests per page for the medians (default 25, >= 20)"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every number to FILE")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.duration <= 0 or args.twilio_requests < 1 or args.sims < 1:
        parser.error("--rounds, --twilio-requests and --sims must be at least 1, --duration positive")
    return args


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # unwinds every `with`, so every child is stopped


def choose_generator(args: argparse.Namespace, workdir: Path, say: Callable[[str], None]) -> Any:
    if args.loadgen in ("auto", "wrk") and shutil.which("wrk"):
        return Wrk(args.connections, args.threads, workdir)
    if args.loadgen == "wrk":
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    if httpx is None:
        raise SystemExit(
            "wrk is not installed (apt-get install -y wrk), and the Python fallback generator needs "
            "httpx: install wrk, or run this script with a Python that has httpx (e.g. the venv's)"
        )
    say("wrk is not installed (apt-get install -y wrk): using the Python asyncio+httpx generator")
    return PythonLoad(args.connections)


def ceiling_shares(load: dict[str, Any]) -> dict[str, float]:
    """Mock fetch req/s over bare fetch req/s, per stack measured."""
    fetch = {
        (d["app"], d["stack"]): d["operations"]["fetch"]["rps"] for d in load.values() if "fetch" in d["operations"]
    }
    return {
        stack: fetch[("mock", stack)] / fetch[("bare", stack)]
        for (app, stack) in fetch
        if app == "mock" and fetch.get(("bare", stack))
    }


def measure(
    venv: Venv, workdir: Path, args: argparse.Namespace, results: dict[str, Any], say: Callable[[str], None]
) -> None:
    """Everything after the venv exists: stack, servers, throughput, twilio-python, big store."""
    if args.alternatives:
        install_granian(venv, results, say)
    results["stack"] = stack_info(venv)
    prism = None
    if not args.no_prism:
        with contextlib.suppress(PrismUnavailable):
            prism = prism_version(find_prism())
    for line in describe_stack(results["stack"], prism):
        say(f"stack: {line}")

    generator = choose_generator(args, workdir, say)
    results["loadgen"] = {"name": generator.name, "version": generator.version()}
    say(f"load generator: {results['loadgen']['version']}")

    profile_path = workdir / "default.toml"
    credentials = write_default_profile(venv, profile_path)
    authorization = basic_auth(credentials["account_sid"], credentials["auth_token"])

    with contextlib.ExitStack() as stack:
        say("servers (each its own process, from the venv):")
        targets = start_targets(stack, venv, profile_path, workdir, args, results, say)
        with trivial_server() as url:  # how fast can the generator go at all, with these settings?
            ceiling = generator.run(url, authorization, min(2.0, args.duration))
        results["loadgen"]["ceiling_rps"] = ceiling.rps
        say(f"load generator ceiling against a trivial server: {ceiling.rps:.0f} req/s")

        say(f"throughput: {args.rounds} interleaved rounds of {args.duration:g} s, {args.connections} connections")
        results["throughput"] = throughput(generator, targets, authorization, credentials["sim_sid"], args, say)
        for data in results["throughput"].values():
            for row in data["operations"].values():
                row["generator_bound"] = row["rps"] >= GENERATOR_BOUND * ceiling.rps
        results["ceiling_share"] = ceiling_shares(results["throughput"])
        results["rss_after_load_mb"] = {t.name: server_rss_mb(t.pid) for t in targets if t.pid}

        say(f"twilio-python keep-alive latency ({args.twilio_requests} sequential fetches on one Client per target)")
        results["twilio_latency"] = client_latency(venv, targets, credentials, args, workdir, say)
    # every server above is stopped before the big-store part

    say(f"paging and memory with {args.sims:,} Sims")
    results["big_store"] = big_store(venv, args, workdir, say)


def run(args: argparse.Namespace) -> dict[str, Any]:
    say = lambda text: print(text, flush=True)
    started = time.monotonic()
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_average_at_start": os.getloadavg()},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    with fresh_venv(args.venv, say) as venv, tempfile.TemporaryDirectory(prefix="bench-mock-") as tmp:
        results["venv"] = {"path": str(venv.path), "created": venv.created, "build_seconds": venv.build_seconds}
        measure(venv, Path(tmp), args, results, say)
    results["checks"] = checks(results)
    results["elapsed_seconds"] = time.monotonic() - started
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)  # also when started with SIGINT ignored (e.g. `cmd &` in a script)
    try:
        results = run(args)
    except KeyboardInterrupt:
        print("\ninterrupted; every started process was stopped", file=sys.stderr)
        return 130
    print_report(results)
    print(f"\n(total {results['elapsed_seconds']:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"numbers written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
