"""Running the twilio-node scenarios (``scenarios.mjs``) from pytest: one Node process per session.

Starting Node and loading twilio-node costs about half a second, so one process serves every
scenario (``scenarios.mjs BASE_URL --stdin``): the test resets the mock itself (as
``tests/client/harness.reset`` does), writes a scenario name on the process's stdin, and reads
one JSON line back; between two scenarios it reads the mock's request log and violation log in
process, with nothing from Node in between. Node's stderr goes to a file, never to a pipe, so a
chatty failure cannot block the process on a full pipe.

The asynchronous updates are completed by the script itself through ``POST /_mock/flush`` (the
mock runs with a 60 s delay, as twilio-python's harness does, so nothing completes on its own),
and their callbacks go to a receiver inside the Node process.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from conformance.mock import RunningMock, start_mock
from conformance.profile import default_profile

from .profile import profile_line

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "scenarios.mjs"
NODE_MODULES = HERE / "node_modules"
INSTALL_HINT = "run `npm ci --prefix tests/client_node`"
ASYNC_DELAY = 60.0
#: Seconds one scenario may take in Node before the test gives up (they take 0.3 s at most).
SCENARIO_TIMEOUT = 30.0
#: Node runs in a time zone off UTC by a half hour, so a date parsed as local time cannot pass.
NODE_TZ = "Asia/Kolkata"
#: Variables that would send twilio-node elsewhere than the mock (region/edge rewrite the host
#: name, a proxy takes the connection) or change what it logs.
_STRIPPED_ENV = re.compile(r"^(TWILIO_.*|HTTPS?_PROXY|NO_PROXY|ALL_PROXY|NODE_OPTIONS)$", re.IGNORECASE)


def unavailable(node_modules: Path = NODE_MODULES) -> str | None:
    """Why the twilio-node scenarios cannot run here (no Node.js, twilio-node not installed), or None."""
    if shutil.which("node") is None:
        return "Node.js is not installed (no `node` on PATH); the twilio-node regression needs it"
    if not (node_modules / "twilio" / "package.json").is_file():
        return f"twilio-node is not installed in tests/client_node: {INSTALL_HINT}"
    return None


def declared(kind: str = "scenario") -> list[str]:
    """Names of the scenarios (or probes) declared in ``scenarios.mjs``, in order, read without Node.

    pytest parametrizes by these at collection time, where Node may be missing; the session
    checks them against the list the script itself reports (``ready``).
    """
    pattern = re.compile(rf'^{kind}\(\s*"([a-z0-9_]+)"', re.MULTILINE)
    return pattern.findall(SCRIPT.read_text(encoding="utf-8"))


def node_env() -> dict[str, str]:
    """The environment for Node: this one without Twilio/proxy settings, in a non-UTC time zone."""
    env = {name: value for name, value in os.environ.items() if not _STRIPPED_ENV.match(name)}
    env["TZ"] = NODE_TZ
    return env


def start_mock_for_node() -> RunningMock:
    """A reference mock for the scenarios (default profile, loopback, port 0, 60 s async delay)."""
    return start_mock(default_profile(), async_delay=ASYNC_DELAY)


def reset(mock: RunningMock) -> None:
    """Back to the profile's state with empty logs, as ``tests/client/harness.reset`` does."""
    mock.state.flush()
    mock.state.reset()


class NodeScenarios:
    """One ``node scenarios.mjs BASE_URL --stdin`` process: :meth:`run` one scenario at a time."""

    def __init__(self, mock: RunningMock) -> None:
        self._stderr: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._process = subprocess.Popen(
            ["node", str(SCRIPT), mock.base_url, "--stdin"],
            cwd=HERE,
            env=node_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, name="node-scenarios-stdout", daemon=True).start()
        self._send(profile_line(mock.profile))
        ready = self._receive()
        assert ready.get("ready"), ready
        self.scenarios: list[str] = ready["scenarios"]
        self.probes: list[str] = ready["probes"]

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.put(line)
        self._lines.put(None)  # end of output: Node exited

    def _send(self, text: str) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(text)
        self._process.stdin.flush()

    def _receive(self, timeout: float = SCENARIO_TIMEOUT) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            message = f"twilio-node scenarios gave no answer within {timeout} s{self.stderr()}"
            self.close()
            raise AssertionError(message) from None
        if line is None:
            raise AssertionError(f"twilio-node scenarios exited ({self._process.wait()}){self.stderr()}")
        result: dict[str, Any] = json.loads(line)
        return result

    def stderr(self) -> str:
        """Node's stderr so far, for a failure message (empty when there is none)."""
        self._stderr.seek(0)
        text = self._stderr.read().strip()
        return f"\nnode stderr:\n{text[-3000:]}" if text else ""

    def run(self, name: str) -> dict[str, Any]:
        """Run one scenario (the caller has reset the mock); its JSON line (name, ok, error, requests...)."""
        self._send(name + "\n")
        result = self._receive()
        assert result.get("name") == name, result
        return result

    def close(self) -> None:
        """End of stdin ends the process; kill it if it does not go within 5 s."""
        with contextlib.suppress(OSError, ValueError):
            assert self._process.stdin is not None
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._stderr.close()


def run_standalone(base_url: str, names: list[str]) -> tuple[int, list[dict[str, Any]]]:
    """``node scenarios.mjs BASE_URL NAME...`` as a user runs it against ``serve``: exit status and lines."""
    done = subprocess.run(
        ["node", str(SCRIPT), base_url, *names],
        cwd=HERE,
        env=node_env(),
        input=profile_line(default_profile()),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=SCENARIO_TIMEOUT * 2,
    )
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
