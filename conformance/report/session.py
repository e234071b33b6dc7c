"""The reports of a pytest session that loads the plugin with ``--supersim-report-dir``.

Registered by ``conformance.plugin`` in the controlling process only (never in a session
without that option): rows come from ``conformance.report.collect.Collector``, the CLI's
collector, fed the reports of suite checks and of tests marked with requirements.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.plugin import PROPERTY, SUITE_DIR, ConformanceRun
from conformance.run.session import restore_notes


def reported_by_caller(config: pytest.Config) -> bool:
    """True inside ``supersim-conformance run``: the CLI registers its own Collector and writes the reports."""
    from conformance.report.collect import Collector

    return any(isinstance(plugin, Collector) for plugin in config.pluginmanager.get_plugins())


def _relevant(report: pytest.TestReport) -> bool:
    """A suite check or a test marked with requirements (the suite's hook describes every test)."""
    keywords = getattr(report, "keywords", {}) or {}
    return ("supersim_check" in keywords or "supersim_requirement" in keywords) and any(
        name == PROPERTY for name, _ in report.user_properties
    )


def _suite_modules() -> set[str]:
    return {path.name for path in SUITE_DIR.glob("test_*.py")}


class SessionReport:
    """Collects this session's rows (controlling process only) and writes the four reports at its end.

    Rows come from ``conformance.report.collect.Collector``, the CLI's collector, fed only the reports of
    suite checks and of tests marked with requirements.
    """

    def __init__(self, config: pytest.Config, run: ConformanceRun | None) -> None:
        from conformance.report.collect import Collector

        self.collector = Collector(progress=False)
        self.config = config
        self.run = run
        self.report_dir = Path(config.invocation_params.dir, config.getoption("supersim_report_dir"))
        self.started = time.monotonic()
        self.started_at: str | None = None
        self.written: dict[str, Path] | None = None
        self.summary: dict[str, int] | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from conformance.report import now_iso

        self.started = time.monotonic()
        self.started_at = now_iso()
        self._drop_claims()

    def _drop_claims(self) -> None:
        """The workers' claims on the profile's data belong to one session (see DataPool.claims)."""
        import shutil

        from conformance.suite.data import CLAIMS_DIR

        shutil.rmtree(self.report_dir / CLAIMS_DIR, ignore_errors=True)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A suite module that fails to import is an errored row (as in the CLI's reports)."""
        if self.run is not None and report.failed and report.nodeid.split("::")[0] in _suite_modules():
            self.collector.pytest_collectreport(report)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if _relevant(report):
            self.collector.pytest_runtest_logreport(report)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from conformance import report as reports
        from conformance.profile import iter_tokens

        run = self.run
        self._drop_claims()
        results = self.collector.ordered()
        if run is not None:
            suite = self.config.getoption("supersim_suite") or ("read-only" if run.kind == "live" else "full")
            profile = run.profile
            info = reports.RunInfo(
                target=run.target,
                target_kind=run.kind,
                suite=suite,
                started_at=self.started_at or reports.now_iso(),
                profile=(profile.name or profile.source) if profile else None,
                seed=self.config.getoption("supersim_seed"),
                strict=bool(self.config.getoption("supersim_strict", default=False)),
            )
        else:
            info = reports.RunInfo(
                target="(the tests of this session)",
                target_kind="application tests",
                suite="none",
                started_at=self.started_at or reports.now_iso(),
            )
        info.duration = time.monotonic() - self.started
        info.add_restore_notes(restore_notes(self.report_dir))
        if int(exitstatus) not in (0, 1):
            name = getattr(exitstatus, "name", str(exitstatus))
            info.notes.append(f"pytest ended with exit status {int(exitstatus)} ({name})")
        secrets = [token for _, token in iter_tokens(run.profile)] if run and run.profile else []
        secrets += [os.environ["TWILIO_AUTH_TOKEN"]] if os.environ.get("TWILIO_AUTH_TOKEN") else []
        self.written = reports.write_reports(self.report_dir, info, results, secrets)
        self.summary = reports.summarize(results)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.written is None or self.summary is None:
            return
        s = self.summary
        terminalreporter.write_sep("-", "supersim-conformance")
        from conformance.run.session import summary_line

        terminalreporter.write_line(summary_line(s))
        terminalreporter.write_line(
            f"reports: {self.written['html'].parent}/ ({', '.join(path.name for path in self.written.values())})"
        )
