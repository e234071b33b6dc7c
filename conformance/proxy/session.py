"""One proxy session's end: its reports (the suite's four files), its recording, its summary line.

Shared by every way a session ends: Ctrl-C or ``POST /_proxy/report`` on ``supersim-conformance
proxy``, the ``supersim_proxy`` fixture, and ``run --target cassette:DIR`` on a proxy recording.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from conformance.proxy.callbacks import CallbackRouter, without_userinfo
from conformance.proxy.journal import Entry, Journal
from conformance.proxy.recording import Recorder, RecordingError

#: Seconds after a scheduled update with a routed CallbackUrl before a missing callback is a violation.
DEFAULT_CALLBACK_TIMEOUT = 30.0


@dataclass
class Session:
    """A journal with what ends it: where reports go, the recorder, the callback router."""

    journal: Journal
    report_dir: Path | None = None
    recorder: Recorder | None = None
    router: CallbackRouter | None = None
    callback_timeout: float = DEFAULT_CALLBACK_TIMEOUT
    written: dict[str, Path] = field(default_factory=dict)

    def close_callbacks(self) -> None:
        """Scheduled updates whose routed callback never came, once their time is up, are violations."""
        if self.router is None:
            return
        from conformance.checks import Violation
        from conformance.checks import scenarios as scn

        late = self.router.unanswered(self.callback_timeout)
        for route in late:
            route.missing_reported = True
            self.journal.add(
                "server",
                [
                    Violation(
                        scn.CALLBACK_GET if route.method == "GET" else scn.CALLBACK_POST,
                        f"no callback came within {self.callback_timeout:g} s of the scheduled update of "
                        f"{route.sim_key} that gave a CallbackUrl",
                        expected=f"1 {route.method} request to {without_userinfo(route.original)}",
                        received="none",
                        requirements=["SIM-CB-001"],
                    )
                ],
            )
        waiting = self.router.waiting()
        if waiting:
            self.journal.note(
                f"{len(waiting)} routed callback(s) had not come yet when the report was written "
                f"(less than {self.callback_timeout:g} s after their update): not judged"
            )

    def write_reports(self, directory: Path | None = None) -> dict[str, Path]:
        """The four report files (and the badge) for the traffic so far; the recording too."""
        from conformance import report as reports

        self.close_callbacks()
        journal = self.journal
        run_dir = directory or self.report_dir or reports.new_run_dir()
        extra = dict(self.router.judged) if self.router else {}
        results = journal.results(extra)
        notes = list(journal.notes)
        notes.insert(
            0,
            f"validating proxy in front of {journal.upstream}: {journal.exchanges} exchange(s), "
            f"{journal.callbacks} callback(s) judged; each violation says which side broke it (client or server)",
        )
        if journal.dropped:
            notes.append(f"{journal.dropped} further violation(s) were counted but not kept (memory bound)")
        recorded = self.write_recording()
        if recorded:
            notes.append(recorded)
        info = reports.RunInfo(
            target=journal.upstream,
            target_kind="proxy",
            suite="proxied traffic",
            started_at=datetime.fromtimestamp(journal.started, UTC).isoformat(timespec="seconds"),
            notes=notes,
        )
        info.duration = datetime.now(UTC).timestamp() - journal.started
        self.written = reports.write_reports(run_dir, info, results, journal.secrets)
        if directory is None and self.report_dir is None:
            reports.point_latest(reports.REPORTS_ROOT, run_dir)
        return self.written

    def write_recording(self) -> str | None:
        """Write the recording (with ``--record``); a line saying where it went, or why it did not."""
        if self.recorder is None:
            return None
        try:
            path = self.recorder.write(self.journal.secrets)
        except (RecordingError, OSError) as error:
            return f"the traffic could not be recorded: {error}"
        return f"traffic recorded (redacted) in {path}; re-judge it with `run --target cassette:{path.parent}`"

    def owed_callbacks(self, wait: float) -> None:
        """Wait up to ``wait`` seconds for the callbacks scheduled updates still owe, then report those
        whose time is up (the fixture's teardown: a test's own updates are judged in that test)."""
        deadline = time.monotonic() + wait
        while self.router is not None and self.router.waiting() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.close_callbacks()

    def exit_code(self) -> int:
        from conformance import EXIT_FAILED, EXIT_OK

        return EXIT_FAILED if self.journal.failing() else EXIT_OK


def describe(entry: Entry) -> str:
    """One violation as a person reads it in a terminal or a failed test: side, check, requirement."""
    violation = entry.violation
    lines = [
        f"{entry.side} [{violation.check_id}] breaks {', '.join(violation.requirements)} ({violation.level}): "
        f"{violation.message}"
    ]
    if violation.expected is not None:
        lines.append(f"    expected: {str(violation.expected)[:300]}")
    if violation.received is not None:
        lines.append(f"    received: {str(violation.received)[:300]}")
    if violation.exchange is not None:
        lines.append(f"    request:  {violation.exchange.describe()[:300]}")
        lines.append(f"    reproduce: {violation.exchange.curl()}")
    return "\n".join(lines)


def print_summary(session: Session, out: TextIO) -> None:
    from conformance import report as reports

    snap = session.journal.snapshot()
    counts: dict[str, Any] = snap["counts"]
    scrub = reports.scrubber(session.journal.secrets)
    print(
        scrub(
            f"supersim-conformance proxy: {snap['exchanges']} exchange(s), {snap['callbacks']} callback(s); "
            f"{counts['server']} server violation(s), {counts['client']} client violation(s) "
            f"({counts['must']} MUST, {counts['should_or_may']} SHOULD/MAY)"
        ),
        file=out,
        flush=True,
    )
    for name, path in session.written.items():
        print(f"  {name}: {path}", file=out, flush=True)
