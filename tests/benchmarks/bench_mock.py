"""Benchmark of the reference mock against Prism on Twilio's published spec (issue #3).

Run from the repository root::

    python tests/benchmarks/bench_mock.py [--duration S] [--connections N] [--rounds R] [--json FILE]

What it does (details and measured numbers: tests/benchmarks/README.md):

1. starts the reference mock as its own process (``python -m conformance serve --port 0``)
   and Prism on Twilio's spec (skipped, with the reason printed, when Node/Prism is missing);
2. with one load generator (wrk + a Lua script, else a Python asyncio+httpx generator whose
   own ceiling is measured) and the same concurrency for both, measures req/s, p50 and p99
   of fetch-by-SID and of a list page of 50, interleaving rounds (mock, Prism, mock, ...)
   and reporting medians;
3. starts a second mock, loads 100,000 Sims into it over ``POST /_mock/seed``, and measures
   the latency of the first and of the last page at PageSize=1000 and the mock's VmRSS;
4. prints a table and the issue's floor checks (PASS/FAIL). It is a report, not a gate:
   the exit status is 0 unless something crashed (1) or it was interrupted (130).

Every process it starts is stopped at the end, also on Ctrl-C, SIGTERM or an error.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
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
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "prism"))

import httpx  # noqa: E402  (a dependency of the kit)

from conformance.profile import default_profile, dump_profile  # noqa: E402
from prism_server import PrismUnavailable, find_prism, prism_version, start_prism  # noqa: E402

DEFAULT_SPEC = REPO.parent / "shared" / "reference" / "twilio_supersim_v1.json"
BANNER = re.compile(r"mock listening on (http://\S+)")

FLOOR_FETCH_RATIO = 5.0
FLOOR_PAGE_RATIO = 1.5
FLOOR_RSS_MB = 300.0
#: A result at or above this share of the generator's own ceiling may be limited by the generator.
GENERATOR_BOUND = 0.7


# ---------------------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------------------
def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB (VmRSS from /proc/PID/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        raise RuntimeError(f"process {pid} is gone (did something stop it?)") from None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (all its threads) so far, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


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


def _stop_process(process: subprocess.Popen, first: int = signal.SIGINT, grace: float = 5.0) -> None:
    """``first`` signal (uvicorn shuts down gracefully on SIGINT), then SIGKILL after ``grace`` s."""
    if process.poll() is not None:
        return
    for sig, wait in ((first, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclasses.dataclass
class MockProcess:
    process: subprocess.Popen
    base_url: str

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.contextmanager
def mock_process(profile_path: Path, timeout: float = 30.0) -> Iterator[MockProcess]:
    """``python -m conformance serve --port 0 --profile FILE`` as a child; yields once it answers."""
    command = [sys.executable, "-m", "conformance", "serve", "--port", "0", "--profile", str(profile_path)]
    process = subprocess.Popen(
        command, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,  # Ctrl-C reaches only us; we stop it ourselves
    )
    lines: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def drain() -> None:  # keep reading so the mock can never block on a full pipe
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip())
            match = BANNER.search(line)
            if match and not found.is_set():
                url.append(match.group(1))
                found.set()

    threading.Thread(target=drain, name="mock-stdout", daemon=True).start()
    try:
        deadline = time.monotonic() + timeout
        while not found.wait(0.1):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the mock did not start:\n" + "\n".join(lines[-20:]))
        with httpx.Client(trust_env=False, timeout=5) as client:
            while True:
                try:
                    client.get(url[0] + "/_mock/")  # 401 is an answer
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        yield MockProcess(process, url[0])
    finally:
        _stop_process(process)


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
            self.binary, f"-t{self.threads}", f"-c{self.connections}", f"-d{max(1, round(duration))}s",
            "--timeout", "10s", "-s", str(self._script(authorization)), url,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
        match = re.search(r"BENCH_JSON (\{.*\})", done.stdout)
        if done.returncode != 0 or not match:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-500:]} {done.stderr[-500:]}")
        data = json.loads(match.group(1))
        seconds = data["duration_us"] / 1e6
        return LoadResult(
            requests=data["requests"], seconds=seconds, rps=data["requests"] / seconds,
            p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000, errors=data["errors"],
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
        [sys.executable, "-c", TRIVIAL_SERVER], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}/"
    finally:
        _stop_process(process, signal.SIGTERM, 2)


# ---------------------------------------------------------------------------------------
# the three parts
# ---------------------------------------------------------------------------------------
def basic(sid: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def throughput(
    generator: Any, targets: dict[str, str], pids: dict[str, int | None], authorization: str, sim_sid: str,
    args: argparse.Namespace, say: Callable[[str], None],
) -> dict[str, Any]:
    """Interleaved rounds of (fetch, list) x (mock, Prism); medians per target and operation.

    Besides req/s and latency, each round records the server's CPU time per request
    (utime + stime from /proc/PID/stat): it depends much less than req/s on how busy the
    machine is with other work, so its ratio is a useful second opinion on a shared box.
    """
    operations = {"fetch": f"/v1/Sims/{sim_sid}", "list50": "/v1/Sims?PageSize=50"}
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {t: {o: [] for o in operations} for t in targets}
    if args.warmup > 0:
        for target, base in targets.items():
            for path in operations.values():
                generator.run(base + path, authorization, args.warmup)
    for round_no in range(1, args.rounds + 1):
        for operation, path in operations.items():
            for target, base in targets.items():
                pid = pids.get(target)
                cpu_before = cpu_seconds(pid) if pid else 0.0
                result = generator.run(base + path, authorization, args.duration)
                row = result.as_dict()
                row["cpu_us_per_request"] = (
                    (cpu_seconds(pid) - cpu_before) / result.requests * 1e6 if pid and result.requests else None
                )
                raw[target][operation].append(row)
                cpu = f"{row['cpu_us_per_request']:5.0f} us CPU/req" if row["cpu_us_per_request"] else ""
                say(f"  round {round_no} {operation:6} {target:5} {result.rps:9.0f} req/s  "
                    f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  errors {result.errors}  {cpu}")
    summary: dict[str, Any] = {}
    for target, by_op in raw.items():
        for operation, rounds in by_op.items():
            summary.setdefault(target, {})[operation] = {
                "rps": median([r["rps"] for r in rounds]),
                "p50_ms": median([r["p50_ms"] for r in rounds]),
                "p99_ms": median([r["p99_ms"] for r in rounds]),
                "errors": sum(r["errors"] for r in rounds),
                "cpu_us_per_request": (
                    median([r["cpu_us_per_request"] for r in rounds])
                    if all(r["cpu_us_per_request"] for r in rounds) else None
                ),
                "rounds": rounds,
            }
    return summary


def big_store(args: argparse.Namespace, workdir: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """A fresh mock (no profile Sims), ``args.sims`` Sims seeded, first vs last page, VmRSS."""
    profile = dataclasses.replace(default_profile(), sims=())
    profile_path = workdir / "big.toml"
    profile_path.write_text(dump_profile(profile), encoding="utf-8")
    auth = {"Authorization": basic(*profile.credentials(profile.primary.sid))}
    out: dict[str, Any] = {"sims": args.sims, "page_size": args.page_size}
    with mock_process(profile_path) as mock, httpx.Client(
        base_url=mock.base_url, headers=auth, trust_env=False, timeout=120
    ) as client:
        out["rss_empty_mb"] = rss_mb(mock.pid)
        started = time.perf_counter()
        left = args.sims
        while left:
            count = min(args.seed_batch, left)
            response = client.post("/_mock/seed", json={"sims": [{"count": count, "status": "active"}]})
            response.raise_for_status()
            left -= count
        out["load_seconds"] = time.perf_counter() - started
        counts = client.get("/_mock/").json()["counts"]
        out["sims_in_mock"] = counts["sims"]
        out["rss_loaded_mb"] = rss_mb(mock.pid)
        say(f"  loaded {counts['sims']:,} Sims in {out['load_seconds']:.2f} s "
            f"(POST /_mock/seed, batches of {args.seed_batch:,}); VmRSS {out['rss_loaded_mb']:.0f} MB")

        first_path = f"/v1/Sims?PageSize={args.page_size}"
        started = time.perf_counter()
        url, pages, seen, last_url, last_items = first_path, 0, 0, first_path, 0
        while url:
            page = client.get(url)
            page.raise_for_status()
            body = page.json()
            pages, seen, last_url, last_items = pages + 1, seen + len(body["sims"]), url, len(body["sims"])
            url = body["meta"]["next_page_url"]
        out.update(walk_seconds=time.perf_counter() - started, pages=pages, walked_sims=seen, last_page_items=last_items)
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
                response = client.get(path)
                response.read()
                samples[name].append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
        for name in samples:
            out[f"{name}_page_ms"] = median(samples[name])
            out[f"{name}_page_samples_ms"] = samples[name]
            out[f"{name}_page_bytes"] = sizes[name]
        out["rss_after_pages_mb"] = rss_mb(mock.pid)
        say(f"  PageSize={args.page_size}: first page {out['first_page_ms']:.1f} ms, last page "
            f"{out['last_page_ms']:.1f} ms (medians of {args.samples}); VmRSS {out['rss_after_pages_mb']:.0f} MB")
    return out


# ---------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------
def _check(name: str, passed: bool | None, detail: str, verdict: str | None = None) -> dict[str, Any]:
    verdict = verdict or {True: "PASS", False: "FAIL", None: "SKIP"}[passed]
    return {"check": name, "passed": passed, "verdict": verdict, "detail": detail}


def floors(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's three floors; ``passed`` is None when a floor could not be judged."""
    checks = []
    load = results.get("throughput", {})
    name = f"mock fetch throughput >= {FLOOR_FETCH_RATIO:g}x Prism's"
    if "prism" in load:
        mock, prism = load["mock"]["fetch"], load["prism"]["fetch"]
        ratio = mock["rps"] / prism["rps"] if prism["rps"] else float("inf")
        detail = f"{mock['rps']:.0f} / {prism['rps']:.0f} req/s = {ratio:.2f}x"
        if mock["generator_bound"] and ratio < FLOOR_FETCH_RATIO:
            ceiling = results["loadgen"]["ceiling_rps"]
            checks.append(_check(name, None, f"{detail}, but the mock ran at >= {GENERATOR_BOUND:.0%} of the load "
                                 f"generator's own ceiling ({ceiling:.0f} req/s): a lower bound; install wrk",
                                 "INCONCLUSIVE"))
        else:
            if mock["cpu_us_per_request"] and prism["cpu_us_per_request"]:
                detail += (f" (server CPU per request: {mock['cpu_us_per_request']:.0f} vs "
                           f"{prism['cpu_us_per_request']:.0f} us = {prism['cpu_us_per_request'] / mock['cpu_us_per_request']:.2f}x)")
            checks.append(_check(name, ratio >= FLOOR_FETCH_RATIO, detail))
    else:
        checks.append(_check(name, None, results.get("prism_skipped", "Prism not measured")))
    big = results.get("big_store")
    if big:
        ratio = big["last_page_ms"] / big["first_page_ms"]
        checks.append(_check(f"last page latency <= {FLOOR_PAGE_RATIO:g}x first page", ratio <= FLOOR_PAGE_RATIO,
                             f"{big['last_page_ms']:.1f} / {big['first_page_ms']:.1f} ms = {ratio:.2f}x"))
        rss = max(big["rss_loaded_mb"], big["rss_after_pages_mb"])
        checks.append(_check(f"mock RSS < {FLOOR_RSS_MB:g} MB with {big['sims_in_mock']:,} Sims", rss < FLOOR_RSS_MB,
                             f"{rss:.0f} MB (VmRSS)"))
    return checks


def print_report(results: dict[str, Any]) -> None:
    load = results.get("throughput", {})
    if load:
        print(f"\nThroughput and latency ({results['loadgen']['name']}, {results['settings']['connections']} connections, "
              f"{results['settings']['rounds']} x {results['settings']['duration']:g} s rounds, medians)")
        print(f"{'target':8} {'operation':24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'CPU us/req':>11}")
        labels = {"fetch": "GET /v1/Sims/{sid}", "list50": "GET /v1/Sims?PageSize=50"}
        for target, by_op in load.items():
            for operation, row in by_op.items():
                mark = " *" if row["generator_bound"] else ""
                cpu = f"{row['cpu_us_per_request']:11.0f}" if row["cpu_us_per_request"] else f"{'-':>11}"
                print(f"{target:8} {labels[operation]:24} {row['rps']:9.0f} {row['p50_ms']:8.2f} "
                      f"{row['p99_ms']:8.2f} {row['errors']:7d} {cpu}{mark}")
        ceiling = results["loadgen"]["ceiling_rps"]
        print(f"load generator ceiling (trivial server, same settings): {ceiling:.0f} req/s")
        if any(row["generator_bound"] for by_op in load.values() for row in by_op.values()):
            print(f"* at >= {GENERATOR_BOUND:.0%} of that ceiling: possibly limited by the load generator")
        rss = ", ".join(f"{target} {mb:.0f} MB" for target, mb in results.get("rss_after_load_mb", {}).items())
        print(f"VmRSS after the load phase (mock request log full): {rss}")
    big = results.get("big_store")
    if big:
        print(f"\n{big['sims_in_mock']:,} Sims: loaded in {big['load_seconds']:.2f} s; PageSize={big['page_size']}: "
              f"first page {big['first_page_ms']:.1f} ms ({big['first_page_bytes'] / 1e3:.0f} kB), last page "
              f"{big['last_page_ms']:.1f} ms ({big['last_page_items']} Sims); VmRSS {big['rss_empty_mb']:.0f} MB empty, "
              f"{big['rss_loaded_mb']:.0f} MB loaded, {big['rss_after_pages_mb']:.0f} MB after paging")
    print("\nFloors of issue #3 (a report, not a gate)")
    for check in results["floors"]:
        print(f"  {check['verdict']:4}  {check['check']}: {check['detail']}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, metavar="S", help="seconds per load phase (default 5)")
    parser.add_argument("--connections", type=int, default=16, metavar="N", help="concurrent connections (default 16)")
    parser.add_argument("--rounds", type=int, default=5, metavar="R", help="interleaved rounds per target (default 5)")
    parser.add_argument("--threads", type=int, default=1, metavar="T", help="wrk threads (default 1: 2-core machine)")
    parser.add_argument("--warmup", type=float, default=2.0, metavar="S",
                        help="unmeasured warm-up per target and operation (default 2; Prism JIT-compiles)")
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto",
                        help="auto: wrk when installed, else the Python generator")
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help=f"OpenAPI document for Prism (default {DEFAULT_SPEC})")
    parser.add_argument("--no-prism", action="store_true", help="measure the mock only")
    parser.add_argument("--sims", type=int, default=100_000, metavar="N", help="Sims for the paging/memory part (default 100000)")
    parser.add_argument("--seed-batch", type=int, default=25_000, metavar="N", help="Sims per POST /_mock/seed (default 25000)")
    parser.add_argument("--page-size", type=int, default=1000, metavar="N", help="page size for first/last page (default 1000)")
    parser.add_argument("--samples", type=int, default=25, metavar="N", help="requests per page for the medians (default 25, >= 20)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every number to FILE")
    return parser.parse_args(argv)


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # unwinds every `with`, so every child is stopped


def run(args: argparse.Namespace) -> dict[str, Any]:
    say = lambda text: print(text, flush=True)
    started = time.monotonic()
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    with tempfile.TemporaryDirectory(prefix="bench-mock-") as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        generator: Any
        if args.loadgen in ("auto", "wrk") and shutil.which("wrk"):
            generator = Wrk(args.connections, args.threads, workdir)
        else:
            if args.loadgen == "wrk":
                raise SystemExit("wrk is not installed (apt-get install -y wrk)")
            say("wrk is not installed (apt-get install -y wrk): using the Python asyncio+httpx generator")
            generator = PythonLoad(args.connections)
        results["loadgen"] = {"name": generator.name, "version": generator.version()}
        say(f"load generator: {results['loadgen']['version']}")

        profile = default_profile()
        profile_path = workdir / "default.toml"
        profile_path.write_text(dump_profile(profile), encoding="utf-8")
        authorization = basic(*profile.credentials(profile.primary.sid))
        sim_sid = next(s.sid for s in profile.sims if s.account == profile.primary.sid)

        targets: dict[str, str] = {}
        mock = stack.enter_context(mock_process(profile_path))
        targets["mock"] = mock.base_url
        pids: dict[str, int | None] = {"mock": mock.pid}
        say(f"mock: {mock.base_url} (pid {mock.pid})")
        if args.no_prism:
            results["prism_skipped"] = "--no-prism"
        else:
            try:
                version = prism_version(find_prism())
                base = stack.enter_context(start_prism(args.spec, args=["-v", "warn"]))
                targets["prism"] = base
                pids["prism"] = child_pid("prism", "mock", base.rpartition(":")[2])
                results["prism"] = {"version": version, "base_url": base, "spec": str(args.spec)}
                say(f"prism {version}: {base} (spec {args.spec}; -v warn: no per-request log)")
            except PrismUnavailable as exc:
                results["prism_skipped"] = exc.reason
                say(f"Prism skipped: {exc.reason}")

        with trivial_server() as url:  # how fast can the generator go at all, with these settings?
            ceiling = generator.run(url, authorization, min(2.0, args.duration))
        results["loadgen"]["ceiling_rps"] = ceiling.rps
        say(f"load generator ceiling against a trivial server: {ceiling.rps:.0f} req/s")

        say(f"throughput: {args.rounds} interleaved rounds of {args.duration:g} s, {args.connections} connections")
        results["throughput"] = throughput(generator, targets, pids, authorization, sim_sid, args, say)
        for by_op in results["throughput"].values():
            for row in by_op.values():
                row["generator_bound"] = row["rps"] >= GENERATOR_BOUND * ceiling.rps
        results["rss_after_load_mb"] = {target: rss_mb(pid) for target, pid in pids.items() if pid}
        stack.close()  # stop the mock and Prism before the big-store part

        say(f"paging and memory with {args.sims:,} Sims")
        results["big_store"] = big_store(args, workdir, say)
    results["floors"] = floors(results)
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
