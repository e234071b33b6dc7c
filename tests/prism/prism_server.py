"""Start Stoplight Prism on an OpenAPI document for the length of a ``with`` block.

Prism is pinned in ``tests/prism/package.json``; install it once with::

    npm ci --prefix tests/prism

Use (``tests/prism`` is not a package; put this directory on ``sys.path`` first)::

    from prism_server import PrismUnavailable, start_prism

    try:
        with start_prism("/work/shared/reference/twilio_supersim_v1.json") as base_url:
            ...  # e.g. "http://127.0.0.1:40123" (no trailing slash)
    except PrismUnavailable as exc:
        pytest.skip(exc.reason)

In pytest, prefer checking availability in a fixture and skipping there, so a missing
Node/Prism reads as a skip with its reason rather than an error.

Prism's own output (one line per request at the default level) goes to a temporary log
file, never to a pipe, so a long run cannot block on a full pipe; the last lines of it are
quoted in the :class:`PrismUnavailable` raised when Prism exits or never answers.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ["PrismUnavailable", "find_prism", "prism_version", "start_prism"]

#: The pinned install made by ``npm ci --prefix tests/prism``.
LOCAL_PRISM = Path(__file__).resolve().parent / "node_modules" / ".bin" / "prism"
INSTALL_HINT = "install it with: npm ci --prefix tests/prism"


class PrismUnavailable(RuntimeError):
    """Prism cannot be run here (no Node, no Prism, it exited or never answered); ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def find_prism() -> str:
    """Path of the Prism executable: the pinned ``tests/prism`` install, else ``prism`` on PATH.

    Raises :class:`PrismUnavailable` when neither exists or Node.js is missing.
    """
    if LOCAL_PRISM.exists():
        binary = str(LOCAL_PRISM)
    else:
        on_path = shutil.which("prism")
        if on_path is None:
            why = "npm is not installed" if shutil.which("npm") is None else INSTALL_HINT
            raise PrismUnavailable(f"Prism is not installed ({LOCAL_PRISM} is missing and no prism on PATH); {why}")
        binary = on_path
    if shutil.which("node") is None:
        raise PrismUnavailable("Node.js (node) is not on PATH; Prism needs Node >= 18.20")
    return binary


def prism_version(binary: str | None = None) -> str:
    """``prism --version`` of the executable :func:`find_prism` picks (e.g. ``"5.16.0"``)."""
    binary = binary or find_prism()
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrismUnavailable(f"{binary} --version failed: {exc}") from None
    if done.returncode != 0:
        raise PrismUnavailable(f"{binary} --version exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _answers(host: str, port: int) -> bool:
    """True once anything answers HTTP there (Prism's 404 for "/" counts)."""
    conn = http.client.HTTPConnection(host, port, timeout=2)
    try:
        conn.request("GET", "/")
        conn.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _stop(process: subprocess.Popen, grace: float) -> None:
    """SIGTERM to Prism's process group (it may fork with -m), SIGKILL after ``grace`` seconds."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)  # the group we created with start_new_session
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def start_prism(
    spec_path: str | os.PathLike[str],
    *,
    host: str = "127.0.0.1",
    args: Sequence[str] = (),
    timeout: float = 60.0,
    grace: float = 5.0,
    log_path: str | os.PathLike[str] | None = None,
) -> Iterator[str]:
    """Run ``prism mock`` on ``spec_path`` at a free port of ``host``; yield its base URL.

    ``args`` are extra ``prism mock`` options (e.g. ``["--errors"]``, ``["-d"]``, or
    ``["-v", "warn"]`` to stop the per-request log). Waits up to ``timeout`` seconds for
    Prism to answer HTTP; on leaving the block sends SIGTERM, then SIGKILL after ``grace``.
    Prism's output goes to ``log_path`` (default: a temporary file removed afterwards).

    Raises :class:`PrismUnavailable` if Node/Prism is missing, the spec does not exist,
    or Prism exits or stays silent before answering.
    """
    spec = Path(spec_path)
    if not spec.is_file():
        raise PrismUnavailable(f"OpenAPI document not found: {spec}")
    binary = find_prism()
    port = _free_port(host)  # a small race with other binders; Prism then exits and we say so
    own_log = log_path is None
    log_file = Path(tempfile.mkstemp(prefix="prism-", suffix=".log")[1]) if own_log else Path(log_path)
    command = [binary, "mock", "-h", host, "-p", str(port), *args, str(spec)]
    with open(log_file, "wb") as out:
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        except OSError as exc:
            raise PrismUnavailable(f"cannot start {binary}: {exc}") from None
    try:
        deadline = time.monotonic() + timeout
        while not _answers(host, port):
            if process.poll() is not None:
                raise PrismUnavailable(f"Prism exited with {process.returncode} before answering:\n{_tail(log_file)}")
            if time.monotonic() > deadline:
                raise PrismUnavailable(f"Prism did not answer on {host}:{port} within {timeout:g}s:\n{_tail(log_file)}")
            time.sleep(0.1)
        yield f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    finally:
        _stop(process, grace)
        if own_log:
            with contextlib.suppress(OSError):
                log_file.unlink()
