"""Turns pytest's test reports into report ``Result`` rows, and shows progress.

It runs in the controlling process (also under pytest-xdist, where the workers' reports
arrive with their ``user_properties``), so it sees every test exactly once, in any mode.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

import pytest

from conformance.checks import CHECKS, detail_lines
from conformance.report import Result

PROPERTY = "supersim"


def _info(report: pytest.TestReport) -> dict[str, Any]:
    for name, value in report.user_properties:
        if name == PROPERTY:
            info: dict[str, Any] = json.loads(str(value))
            return info
    return {"id": report.nodeid.split("::")[-1], "title": "", "requirements": []}


def _notes(report: pytest.TestReport) -> list[str]:
    """What a passing check noted (``sc_note``): which of the right answers it observed."""
    return [str(value) for name, value in report.user_properties if name == "supersim_note"]


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(getattr(report, "wasxfail", "") or longrepr or "")


def _failure_message(report: pytest.TestReport, info: dict[str, Any]) -> str:
    violation = info.get("violation")
    if violation:
        lines = [f"[{violation['check']}] {violation['message']}"]
        exchange = violation.get("exchange") or {}
        lines += detail_lines(violation.get("expected"), violation.get("received"), exchange.get("curl"))
        for other in violation.get("also", []):
            lines.append(f"also [{other['check']}] {other['message']}")
        for blocked in violation.get("blocked", []):
            lines.append(
                f"blocked [{blocked['check']}]: not judged, its rule rests on answers that already broke "
                f"{', '.join(violation['requirements'])}"
            )
        return "\n".join(lines)
    return _crash(report, 2000)


def _crash(report: pytest.TestReport, limit: int) -> str:
    """What a failed test raised: pytest's one-line crash message, else the end of its report."""
    crash = getattr(report.longrepr, "reprcrash", None)
    return crash.message if crash is not None else (report.longreprtext or "")[-limit:]


def check_level(check_id: str) -> str:
    """A check's level (the strongest of its requirements); MUST for a test that names no check."""
    check = CHECKS.get(check_id)
    return check.level if check is not None else "MUST"


KIT_ERROR_HINT = (
    "this is an error of the kit (or of Schemathesis/Hypothesis under it), not a failure of the target: "
    "the check's requirements are not judged; rerun to see whether it recurs, and report it with this message"
)


def _kit_error_message(report: pytest.TestReport) -> str:
    return f"kit error: {_crash(report, 1000)}\nhint: {KIT_ERROR_HINT}"


class Collector:
    """A pytest plugin object: collects Results and prints progress to ``stream``."""

    def __init__(self, stream: TextIO | None = None, *, progress: bool = True, secrets: Iterable[str] = ()) -> None:
        from conformance.report import scrubber

        self.scrub = scrubber(secrets)
        """What the terminal shows passes through it: a target that echoes a token never prints it."""
        self.results: dict[str, Result] = {}
        self.stream = stream or sys.stderr
        self.progress = progress
        self.total = 0
        self.done = 0
        self.failures = 0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self.running: dict[str, float] = {}
        """Checks started and not yet finished (several under pytest-xdist), with when they started."""

    # -- pytest hooks --------------------------------------------------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        self.total = max(self.total, len(ids))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A suite module that fails to import is an errored result, not a silent gap."""
        if report.failed:
            self.results[report.nodeid or "<collection>"] = Result(
                id="SUITE-COLLECTION",
                title="the suite could be collected",
                requirements=[],
                outcome="errored",
                message=(report.longreprtext or "")[-2000:],
                nodeid=report.nodeid,
            )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        info = _info(report)
        nodeid = report.nodeid
        result = self.results.get(nodeid)
        if report.when == "setup":
            if report.failed:
                result = self._result(info, nodeid, "errored", _failure_message(report, info), report)
            elif report.skipped:
                result = self._result(info, nodeid, "skipped", _skip_reason(report), report)
        elif report.when == "call":
            if hasattr(report, "wasxfail") and report.skipped:
                result = self._result(info, nodeid, "xfailed", str(report.wasxfail), report)
            elif hasattr(report, "wasxfail") and report.passed:
                result = self._result(info, nodeid, "fixed", str(report.wasxfail), report)
            elif report.failed and (info.get("violation") or info.get("not_recorded") or not info.get("suite")):
                result = self._result(info, nodeid, "failed", _failure_message(report, info), report)
            elif report.failed:  # a suite check raised no Violation: the kit's own error, nothing judged
                result = self._result(info, nodeid, "errored", _kit_error_message(report), report)
            elif report.skipped:
                result = self._result(info, nodeid, "skipped", _skip_reason(report), report)
            elif info.get("warned"):  # only SHOULD/MAY requirements broken: a warning, not a failure
                result = self._result(info, nodeid, "warned", _failure_message(report, info), report)
            else:
                result = self._result(info, nodeid, "passed", "\n".join(_notes(report)), report)
        elif report.when == "teardown":
            self.running.pop(nodeid, None)
            if report.failed and result is not None and result.outcome in ("passed", "skipped"):
                result = self._result(info, nodeid, "errored", _failure_message(report, info), report)
            self._tick(result)
        if result is not None:
            self.results[nodeid] = result

    def _result(self, info, nodeid, outcome, message, report) -> Result:
        violation = info.get("violation")
        ident = info["id"]
        broken = (
            sorted({r for v in [violation, *violation.get("also", [])] for r in v["requirements"]}) if violation else []
        )
        failed: list[str] = []
        warned: list[str] = []
        if outcome == "failed":
            # what the target broke (MUST); an errored check judged nothing, so it names none
            failed = info.get("must_requirements", broken) if violation else list(info.get("requirements", []))
            warned = info.get("warned_requirements", [])
        elif outcome == "warned":
            warned = info.get("warned_requirements", broken)
        return Result(
            id=ident,
            title=info.get("title", ""),
            requirements=list(info.get("requirements", [])),
            outcome=outcome,
            message=message,
            nodeid=nodeid,
            duration=round(getattr(report, "duration", 0.0), 3),
            violation=violation if outcome in ("failed", "xfailed", "warned") else None,
            failed_requirements=failed,
            level=info.get("level") or check_level(ident),
            warned_requirements=warned,
        )

    def _tick(self, result: Result | None) -> None:
        self.done += 1
        if result is not None and result.outcome in ("failed", "errored"):
            self.failures += 1
            if self.progress:
                first = result.message.splitlines()[0] if result.message else ""
                broken = ", ".join(result.failed_requirements) or result.outcome
                clear = "\r\033[K" if self.tty else ""  # over the progress line on a terminal
                self.stream.write(self.scrub(f"{clear}FAIL {result.id} ({broken}) {result.nodeid}: {first}\n"))
        if not self.progress:
            return
        if self.tty:
            self._status_line()
        elif self.done % 25 == 0 or self.done == self.total:
            self.stream.write(f"progress: {self.done}/{self.total or '?'} checks run, {self.failures} failed\n")

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.running[nodeid] = time.monotonic()
        if self.progress and self.tty:
            self._status_line()

    def _status_line(self) -> None:
        """``[done/total] current check — N failed, ~Ts left``, rewritten in place on a terminal."""
        left = ""
        if self.done and self.total > self.done:
            seconds = (time.monotonic() - self.started) / self.done * (self.total - self.done)
            left = f", ~{seconds:.0f} s left"
        current = next(reversed(self.running), "") if self.running else ""
        width = 60
        shown = current if len(current) <= width else "…" + current[-(width - 1) :]
        line = f"[{self.done}/{self.total or '?'}] {shown} — {self.failures} failed{left}"
        self.stream.write(f"\r\033[K{line}")
        self.stream.flush()

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.progress and self.tty:
            self.stream.write("\n")

    def ordered(self) -> list[Result]:
        return list(self.results.values())
