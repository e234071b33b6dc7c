"""Shared by the two benchmark scripts: a fresh venv built from this repository, the server
processes started from it, /proc sampling, and the goal/floor checks.

Both benchmark scripts measure what a user gets from ``pip install .`` on a clean machine, not
whatever the developer's environment happens to hold (an editable install, dev extras, a
uvicorn without ``[standard]``, a stale wheel). So they build a new venv from the checkout,
run every measured process with that venv's interpreter or entry points, and read the server
stack (uvicorn, httptools, uvloop, starlette...) from inside it.

This module only uses the standard library: it runs before anything is installed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

#: Variables that would make a child import something other than the venv's own packages,
#: or change which credentials the kit uses.
SCRUBBED_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")


# ---------------------------------------------------------------------------------------
# the venv
# ---------------------------------------------------------------------------------------
@dataclasses.dataclass
class Venv:
    path: Path
    created: bool  # built by this run (False: an existing one reused)
    build_seconds: float | None  # None when reused

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")

    def bin(self, name: str) -> str:
        """Absolute path of an entry point installed in the venv (e.g. ``supersim-conformance``)."""
        return str(self.path / "bin" / name)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a measured child: as if the user had activated the venv."""
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
        env["VIRTUAL_ENV"] = str(self.path)
        env["PATH"] = f"{self.path / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env.setdefault("PYTHONUNBUFFERED", "1")
        env.update(extra)
        return env

    def run_python(self, code: str, *args: str, timeout: float = 120) -> str:
        """Run ``code`` with the venv's python outside the checkout (so ``conformance`` is the installed one)."""
        done = subprocess.run(
            [self.python, "-c", code, *args],
            cwd=self.path,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"venv python failed ({done.returncode}): {done.stderr.strip()[-1500:]}")
        return done.stdout

    def pip_install(self, *requirements: str, timeout: float = 900) -> float:
        """``pip install REQUIREMENTS`` into the venv (output to a log in the venv); returns seconds taken."""
        log = self.path / "bench-pip.log"
        started = time.perf_counter()
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"\n$ pip install {' '.join(requirements)}\n")
            out.flush()
            done = subprocess.run(
                [self.python, "-m", "pip", "install", *requirements],
                cwd=self.path,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if done.returncode != 0:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-25:]
            raise RuntimeError(f"pip install {' '.join(requirements)} failed ({done.returncode}):\n" + "\n".join(tail))
        return time.perf_counter() - started


def build_venv(path: Path) -> float:
    """``python3 -m venv PATH`` then ``PATH/bin/pip install <repo>``: a plain install, not editable, no extras.

    The venv is made by the interpreter running this script (from inside another venv,
    ``venv`` still bases the new one on the underlying installation).
    """
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, stdin=subprocess.DEVNULL)
    venv = Venv(path, True, None)
    venv.pip_install(str(REPO))
    return time.perf_counter() - started


@contextlib.contextmanager
def fresh_venv(reuse: Path | None, say: Callable[[str], None]) -> Iterator[Venv]:
    """The venv every measured process runs from.

    ``reuse`` None: a new one in a temporary directory, removed at the end. ``reuse`` an
    existing directory: used as it is. ``reuse`` a path that does not exist yet: built there
    and kept, so the next run can pass the same ``--venv`` and skip the build.
    """
    if reuse is not None and reuse.exists():
        if not Path(reuse, "bin", "supersim-conformance").exists():
            raise RuntimeError(f"--venv {reuse}: no bin/supersim-conformance in it (not a venv with the kit installed)")
        say(f"venv: reusing {reuse} (not rebuilt; remove it to pick up changes to the checkout)")
        yield Venv(reuse.resolve(), False, None)
        return
    temporary = reuse is None
    path = Path(tempfile.mkdtemp(prefix="bench-venv-")) / "venv" if temporary else reuse.resolve()
    try:
        say(f"venv: building {path} (python -m venv, then pip install {REPO}) ...")
        try:
            seconds = build_venv(path)
        except BaseException:  # a half-built venv kept at --venv PATH would be "reused" next time
            shutil.rmtree(path, ignore_errors=True)
            raise
        say(f"venv: built in {seconds:.1f} s" + ("" if temporary else f", kept at {path}"))
        yield Venv(path, True, seconds)
    finally:
        if temporary:
            shutil.rmtree(path.parent, ignore_errors=True)


STACK_PROBE = r"""
import importlib.metadata as md, importlib.util, json, platform, sys

def version(name):
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None

def imports(name):
    try:
        __import__(name)
        return True
    except Exception:
        return False

info = {name: version(name) for name in (
    "supersim-conformance", "uvicorn", "starlette", "httptools", "uvloop", "h11", "granian", "twilio",
    "httpx", "schemathesis", "hypothesis", "pytest")}
info["python"] = platform.python_version()
info["executable"] = sys.executable
info["conformance_from"] = importlib.util.find_spec("conformance").origin
# uvicorn's "auto" choices: httptools when it imports, else h11; uvloop when it imports, else asyncio.
info["http"] = "httptools" if imports("httptools") else "h11"
info["loop"] = "uvloop" if imports("uvloop") else "asyncio"
if info["granian"]:  # granian's --loop auto: rloop, else uvloop, else asyncio
    info["granian_loop"] = "rloop" if imports("rloop") else info["loop"]
try:
    from uvicorn.protocols.http.auto import AutoHTTPProtocol
    info["uvicorn_auto_http_protocol"] = AutoHTTPProtocol.__name__
except Exception as exc:
    info["uvicorn_auto_http_protocol"] = f"unknown ({exc})"
print(json.dumps(info))
"""


def stack_info(venv: Venv) -> dict[str, str | None]:
    """Versions and uvicorn's automatic choices, read by the venv's own interpreter."""
    return json.loads(venv.run_python(STACK_PROBE))


def describe_stack(info: dict[str, str | None], prism: str | None = None) -> list[str]:
    """The stack as printed lines (the same in both scripts)."""
    lines = [
        f"uvicorn {info['uvicorn']}: http={info['http']} ({info['uvicorn_auto_http_protocol']}), loop={info['loop']}",
        "versions: "
        + ", ".join(f"{name} {info[name] or '-'}" for name in ("httptools", "uvloop", "starlette", "h11", "python")),
        f"supersim-conformance {info['supersim-conformance']} imported from {info['conformance_from']}",
    ]
    if info.get("granian"):
        lines.append(f"granian {info['granian']} (--loop auto picks {info['granian_loop']})")
    if prism is not None:
        lines.append(f"Prism {prism}")
    return lines


PROFILE_WRITER = r"""
import dataclasses, json, sys
from conformance.profile import default_profile, dump_profile
profile = default_profile()
if sys.argv[2] == "without-sims":
    profile = dataclasses.replace(profile, sims=())
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write(dump_profile(profile))
sid, token = profile.credentials(profile.primary.sid)
sims = [s.sid for s in profile.sims if s.account == profile.primary.sid]
print(json.dumps({"account_sid": sid, "auth_token": token, "sim_sid": sims[0] if sims else None}))
"""


def write_default_profile(venv: Venv, path: Path, *, with_sims: bool = True) -> dict[str, str | None]:
    """The kit's default target profile written to ``path`` by the venv's kit; returns the primary credentials.

    (``supersim-conformance serve --write-profile`` would write it too, but then serves forever.)
    """
    out = venv.run_python(PROFILE_WRITER, str(path), "with-sims" if with_sims else "without-sims")
    return json.loads(out)


# ---------------------------------------------------------------------------------------
# server processes
# ---------------------------------------------------------------------------------------
def stop_group(process: subprocess.Popen, first: int = signal.SIGINT, grace: float = 5.0) -> None:
    """Stop a child started in its own session and whatever it started: ``first``, then SIGKILL.

    uvicorn and granian shut down gracefully on SIGINT. The final SIGKILL to the group sweeps
    up workers a supervisor (granian) may leave behind.
    """
    if process.poll() is None:
        for sig, wait in ((first, grace), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def free_port() -> int:
    """A loopback port that was free a moment ago (for servers that cannot be given port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers_http(base_url: str, path: str = "/") -> bool:
    """True once anything at ``base_url`` answers an HTTP GET (any status)."""
    host, _, port = base_url.removeprefix("http://").partition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=2)
    try:
        connection.request("GET", path)
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


@dataclasses.dataclass
class Response:
    status: int
    headers: dict[str, str]
    content: bytes

    def json(self):
        return json.loads(self.content)

    def raise_for_status(self) -> None:
        if self.status >= 400:
            raise RuntimeError(f"HTTP {self.status}: {self.content[:300]!r}")


class LoopbackClient:
    """A keep-alive HTTP/1.1 client on the standard library, for the scripts' own requests to a server.

    The scripts may run on a Python that has none of the kit's dependencies (httpx included),
    so they talk to the servers they started with ``http.client``. A connection the server
    closed is reopened once.
    """

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        host, _, port = self.base_url.removeprefix("http://").partition(":")
        self._address = (host, int(port))
        self._headers = dict(headers or {})
        self._timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def request(self, method: str, url: str, *, json_body=None) -> Response:
        path = url.removeprefix(self.base_url)
        body = None if json_body is None else json.dumps(json_body).encode()
        headers = dict(self._headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(*self._address, timeout=self._timeout)
            try:
                self._connection.request(method, path, body=body, headers=headers)
                answer = self._connection.getresponse()
                content = answer.read()
                if answer.will_close:
                    self.close()
                return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, content)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get(self, url: str) -> Response:
        return self.request("GET", url)

    def post(self, url: str, json_body=None) -> Response:
        return self.request("POST", url, json_body=json_body)

    def delete(self, url: str) -> Response:
        return self.request("DELETE", url)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> LoopbackClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def basic_auth(sid: str, token: str) -> str:
    """The ``Authorization`` header value for HTTP Basic."""
    import base64

    return "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()


@dataclasses.dataclass
class Server:
    name: str
    process: subprocess.Popen
    base_url: str
    output: list[str]  # its last 200 lines of output (stdout and stderr)
    reader: threading.Thread  # the thread filling ``output``; join it to read what it printed on exit

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.contextmanager
def server_process(
    name: str,
    command: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    url_pattern: str | None = None,
    base_url: str | None = None,
    ready_path: str = "/",
    timeout: float = 60.0,
) -> Iterator[Server]:
    """Start ``command`` in its own session; yield once it answers HTTP; stop it (and its children) after.

    The URL comes from the first output line matching ``url_pattern`` (group 1), or is given
    as ``base_url`` for servers that are handed a port. Output is read continuously so a
    server can never block on a full pipe; its last lines are quoted if it fails to start.
    """
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    found = threading.Event()
    urls: list[str] = [base_url] if base_url else []
    if base_url:
        found.set()

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip())
            del lines[:-200]
            match = re.search(url_pattern, line) if url_pattern else None
            if match and not found.is_set():
                urls.append(match.group(1).rstrip("/"))
                found.set()

    reader = threading.Thread(target=drain, name=f"{name}-output", daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        while not found.wait(0.05):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start ({' '.join(command[:3])} ...):\n" + "\n".join(lines[-20:]))
        while not answers_http(urls[0], ready_path):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} never answered at {urls[0]}:\n" + "\n".join(lines[-20:]))
            time.sleep(0.05)
        yield Server(name, process, urls[0], lines, reader)
    finally:
        stop_group(process)


def tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc), e.g. a granian supervisor and its worker."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_rss_mb(pid: int) -> float:
    """Current VmRSS of ``pid`` and its descendants together, in MB."""
    return sum(_status_kb(p, "VmRSS") for p in tree_pids(pid)) / 1024


def tree_hwm_mb(pid: int) -> float:
    """Sum of the peak RSS (VmHWM) of ``pid`` and its living descendants, in MB."""
    return sum(_status_kb(p, "VmHWM") for p in tree_pids(pid)) / 1024


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its living descendants so far (from /proc/PID/stat)."""
    total = 0
    for p in tree_pids(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------
# goals and floors
# ---------------------------------------------------------------------------------------
def _verdict(value: float | None, limit: float, higher_is_better: bool) -> str:
    if value is None or value != value:  # not measured, or NaN
        return "SKIP"
    return "PASS" if (value >= limit if higher_is_better else value <= limit) else "FAIL"


def judge(
    name: str,
    value: float | None,
    limits: tuple[float, float],
    *,
    higher_is_better: bool,
    unit: str,
    detail: str,
    inconclusive: str | None = None,
) -> dict:
    """One check of an issue: ``limits`` is (goal, floor); ``inconclusive`` (a reason) overrides both verdicts.

    The report shows both verdicts: the floor is what must hold, the goal what was asked for.
    """
    goal, floor = limits
    sign = ">=" if higher_is_better else "<="
    check = {
        "check": name,
        "value": value,
        "unit": unit,
        "goal": goal,
        "floor": floor,
        "higher_is_better": higher_is_better,
        "detail": detail,
        "goal_verdict": _verdict(value, goal, higher_is_better),
        "floor_verdict": _verdict(value, floor, higher_is_better),
        "limits": f"goal {sign} {goal:g}{unit}" + ("" if goal == floor else f", floor {sign} {floor:g}{unit}"),
    }
    if inconclusive:
        check["detail"] += f"; INCONCLUSIVE: {inconclusive}"
        check["goal_verdict"] = check["floor_verdict"] = "INCONCLUSIVE"
    return check


def yes_no(name: str, passed: bool | None, detail: str) -> dict:
    """A check that holds or not (goal = floor)."""
    verdict = {True: "PASS", False: "FAIL", None: "SKIP"}[passed]
    return {
        "check": name,
        "value": passed,
        "unit": "",
        "detail": detail,
        "goal_verdict": verdict,
        "floor_verdict": verdict,
        "limits": "must hold",
    }


def print_checks(checks: list[dict], title: str) -> None:
    print(f"\n{title} (a report, not a gate)")
    for check in checks:
        print(
            f"  floor {check['floor_verdict']:4}  goal {check['goal_verdict']:4}  {check['check']} "
            f"({check['limits']}): {check['detail']}"
        )
