"""pytest plugin (``pytest11`` entry point ``supersim_conformance``).

Installing the kit must never change another repository's test run. In every session this
module only declares its options (one group) and markers and registers the fixtures of
``conformance.fixtures`` (which import nothing heavy until a test asks for them). Everything
else is opt-in:

* ``--supersim-conformance`` runs the conformance suite in this session. Without
  ``--supersim-target`` the controlling process starts the embedded reference mock once and
  writes its profile to a temporary file; under pytest-xdist the workers get both through
  ``workerinput`` (xdist rebuilds a worker's options from the command line, so values set on
  ``config.option`` would not reach them).
* ``--supersim-report-dir DIR`` writes report.json / junit.xml / report.md / report.html with
  ``conformance.report``: the suite's checks, and every test of the session marked
  ``@pytest.mark.supersim_requirement("SIM-…")``, rows of the per-requirement scorecard.
* ``supersim_requirement`` IDs are checked against the catalog; a test naming an unknown ID
  errors at setup.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generator
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from conformance.profile import Profile

SUITE_DIR = Path(__file__).resolve().parent / "suite"

MARKERS = {
    "supersim_check": "supersim_check(ID): the conformance check this test implements (its requirements come from the check registry)",
    "supersim_requirement": "supersim_requirement(*IDS): the Sim-resource requirement IDs this test covers (shown in the per-requirement report)",
    "supersim_full": "supersim_full: the test changes state on the target; it runs only with --supersim-suite full",
}

#: The user-property name under which a test report carries its check ID and requirements.
PROPERTY = "supersim"
#: Seconds the embedded mock keeps an asynchronous update scheduled in a conformance run (as the CLI).
EMBEDDED_ASYNC_DELAY = 0.05
#: Exit status when the target cannot be reached or rejects the profile's credentials (as the CLI).
EXIT_UNREACHABLE = 3
#: Plugin names this module registers.
FIXTURES_PLUGIN = "supersim_conformance.fixtures"
SUITE_PLUGIN = "conformance.suite.fixtures"
SESSION_PLUGIN = "supersim_conformance.session"
REPORT_PLUGIN = "supersim_conformance.report"
PROPERTIES_PLUGIN = "supersim_conformance.properties"
BAD_MARKERS_PLUGIN = "supersim_conformance.bad_markers"
#: workerinput keys that carry the controller's target to pytest-xdist workers.
WORKER_TARGET, WORKER_PROFILE, WORKER_KIND, WORKER_SUITE = (
    "supersim_target", "supersim_profile", "supersim_target_kind", "supersim_suite")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("supersim-conformance", "Twilio Super SIM Sim-resource conformance")
    group.addoption("--supersim-conformance", action="store_true", default=False,
                    help="run the supersim-conformance suite in this session")
    group.addoption("--supersim-target", metavar="URL", default=None,
                    help="base URL of the server under test (default: start the embedded reference mock)")
    group.addoption("--supersim-profile", metavar="FILE", default=None,
                    help="target profile (TOML): accounts, fleets, registrable SIMs, existing SIMs")
    group.addoption("--supersim-suite", choices=["read-only", "full"], default=None,
                    help="read-only sends no state-changing request (default: full, read-only for live Twilio)")
    group.addoption("--supersim-report-dir", metavar="DIR", default=None,
                    help="write report.json, junit.xml, report.md, report.html here")
    group.addoption("--supersim-max-examples", metavar="N", type=int, default=None,
                    help="examples per operation in the generated (Schemathesis) phase")
    group.addoption("--supersim-seed", metavar="N", type=int, default=None, help="seed for generated cases")
    group.addoption("--supersim-expect-failures", metavar="FILE", default=None,
                    help="file of check or requirement IDs expected to fail, 'ID: reason' per line")
    group.addoption("--supersim-callback-url-base", metavar="URL", default=None,
                    help="public URL that reaches the local callback receiver (for live targets)")
    group.addoption("--supersim-callback-timeout", metavar="S", type=float, default=None,
                    help="seconds to wait for a callback after an asynchronous update (default 10)")
    group.addoption("--supersim-timeout", metavar="S", type=float, default=None, help="per-request timeout (default 10 s)")
    group.addoption("--supersim-rate", metavar="RPS", type=float, default=None,
                    help="at most this many requests per second (default: unlimited, 5 for live Twilio)")


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():  # "name(ARGS): text" shows as @pytest.mark.name(ARGS): text
        config.addinivalue_line("markers", description if description.startswith(name) else f"{name}: {description}")
    manager = config.pluginmanager
    if not manager.has_plugin(FIXTURES_PLUGIN):
        from conformance import fixtures

        manager.register(fixtures, FIXTURES_PLUGIN)
    if config.getoption("help", default=False):
        return
    workerinput = getattr(config, "workerinput", None)
    run: ConformanceRun | None = None
    if config.getoption("supersim_conformance", default=False):
        run = _worker_run(config, workerinput) if workerinput is not None else _controller_run(config)
        config.stash[_RUN_KEY] = run
        manager.register(ConformanceSession(run), SESSION_PLUGIN)
        if not manager.has_plugin(SUITE_PLUGIN):
            from conformance.suite import fixtures as suite_fixtures

            manager.register(suite_fixtures, SUITE_PLUGIN)
        if str(SUITE_DIR) not in config.args:
            config.args.append(str(SUITE_DIR))
    if config.getoption("supersim_report_dir", default=None):
        if not manager.has_plugin(SUITE_PLUGIN):  # the suite's own hook describes every test
            manager.register(RequirementProperties(), PROPERTIES_PLUGIN)
        if workerinput is None and not _reported_by_caller(config):
            manager.register(SessionReport(config, run), REPORT_PLUGIN)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Unknown IDs in ``supersim_requirement`` markers make those tests error at setup."""
    marked = [(item, mark) for item in items for mark in item.iter_markers("supersim_requirement")]
    if not marked:
        return
    known = _catalog_ids()
    bad: dict[str, str] = {}
    for item, mark in marked:
        if not mark.args:
            bad[item.nodeid] = "supersim_requirement() names no requirement ID"
            continue
        unknown = [str(ident) for ident in mark.args if ident not in known]
        if unknown:
            bad[item.nodeid] = (f"unknown requirement ID(s) {', '.join(map(repr, unknown))} in supersim_requirement "
                                "(`supersim-conformance requirements` lists the catalog)")
    if bad and not config.pluginmanager.has_plugin(BAD_MARKERS_PLUGIN):
        config.pluginmanager.register(BadRequirementMarkers(bad), BAD_MARKERS_PLUGIN)


# --- the target of an in-session conformance run ----------------------------------------------

@dataclass
class ConformanceRun:
    """What a ``--supersim-conformance`` session runs against."""

    target: str
    profile_path: str
    kind: str
    """reference-mock, url, live or cassette."""
    profile: Profile | None = None
    """Loaded in the controlling process only."""


_RUN_KEY = pytest.StashKey[ConformanceRun]()


def _usage(message: str) -> pytest.UsageError:
    return pytest.UsageError(f"supersim-conformance: {message}")


def _controller_run(config: pytest.Config) -> ConformanceRun:
    """Check the options; start the embedded mock when no target is given (once, in this process)."""
    from conformance.profile import ProfileError, dump_profile, load_profile
    from conformance.suite.settings import LIVE_HOST, apply_environment_credentials, load_expected_failures

    target = config.getoption("supersim_target")
    profile_path = config.getoption("supersim_profile")
    try:
        load_expected_failures(config.getoption("supersim_expect_failures"))
        if target and target.startswith("cassette:"):
            return _cassette_run(config, target, profile_path)
        if target:
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise _usage(f"--supersim-target must be an http(s) URL such as http://127.0.0.1:8080, got {target!r}")
            if not profile_path:
                raise _usage("--supersim-target needs --supersim-profile FILE (the accounts, fleets and SIMs it holds)")
            profile = apply_environment_credentials(load_profile(profile_path))
            run = ConformanceRun(target.rstrip("/"), profile_path, "live" if parts.hostname == LIVE_HOST else "url",
                                 profile)
            _probe(run)
            return run
        profile = load_profile(profile_path) if profile_path else None
    except ProfileError as error:
        raise _usage(str(error)) from None
    from conformance.mock.server import start_mock

    mock = start_mock(profile, async_delay=EMBEDDED_ASYNC_DELAY)
    folder = Path(tempfile.mkdtemp(prefix="supersim-plugin-"))

    def stop() -> None:
        mock.stop()
        shutil.rmtree(folder, ignore_errors=True)

    config.add_cleanup(stop)
    written = folder / "profile.toml"
    written.write_text(dump_profile(mock.profile), encoding="utf-8")
    # The suite's settings fixture reads these options (in this process, or in a worker via workerinput).
    config.option.supersim_target = mock.base_url
    config.option.supersim_profile = str(written)
    return ConformanceRun(mock.base_url, str(written), "reference-mock", mock.profile)


def _cassette_run(config: pytest.Config, target: str, profile_path: str | None) -> ConformanceRun:
    """A ``cassette:DIR`` target (``supersim-conformance record``): the read-only suite replayed offline."""
    from conformance.replay import ReplayError, open_recording

    if config.getoption("supersim_suite") == "full":
        raise _usage("a cassette:DIR target replays the read-only suite only; drop --supersim-suite full")
    try:
        recording = open_recording(target, profile_path)
    except ReplayError as error:
        raise _usage(str(error)) from None
    config.option.supersim_target = f"cassette:{recording.directory}"
    config.option.supersim_profile = str(recording.profile_path)
    config.option.supersim_suite = "read-only"
    return ConformanceRun(config.option.supersim_target, config.option.supersim_profile, "cassette", recording.profile)


def _probe(run: ConformanceRun) -> None:
    """Stop before collecting anything if the target is unreachable or rejects the primary's credentials."""
    from conformance.profile import ProfileError
    from conformance.target import CredentialsRejected, Target, TargetUnreachable, probe

    target = Target(base_url=run.target, profile=run.profile, timeout=10.0)
    try:
        probe(target, *run.profile.credentials(run.profile.primary.sid))
    except (TargetUnreachable, CredentialsRejected) as error:
        pytest.exit(f"supersim-conformance: {error}", returncode=EXIT_UNREACHABLE)
    except ProfileError as error:
        raise _usage(str(error)) from None
    finally:
        target.close()


def _worker_run(config: pytest.Config, workerinput: dict[str, Any]) -> ConformanceRun:
    """A pytest-xdist worker: the controller's target (a worker never starts a mock of its own)."""
    target, profile_path = workerinput.get(WORKER_TARGET), workerinput.get(WORKER_PROFILE)
    if target and profile_path:
        config.option.supersim_target = target
        config.option.supersim_profile = profile_path
    if workerinput.get(WORKER_SUITE):
        config.option.supersim_suite = workerinput[WORKER_SUITE]
    return ConformanceRun(config.getoption("supersim_target") or "", config.getoption("supersim_profile") or "",
                          workerinput.get(WORKER_KIND, "url"))


def _in_suite(path: Path | str | None) -> bool:
    try:
        return path is not None and Path(path).resolve().is_relative_to(SUITE_DIR)
    except (OSError, ValueError):
        return False


class ConformanceSession:
    """Hooks of a ``--supersim-conformance`` session (registered only for one)."""

    def __init__(self, run: ConformanceRun) -> None:
        self.run = run

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """pytest-xdist (controller): hand the target and profile to each worker before it starts."""
        node.workerinput[WORKER_TARGET] = self.run.target
        node.workerinput[WORKER_PROFILE] = self.run.profile_path
        node.workerinput[WORKER_KIND] = self.run.kind
        node.workerinput[WORKER_SUITE] = node.config.getoption("supersim_suite")

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
        """Collect the suite's test_*.py even when this repository's python_files says otherwise."""
        if file_path.suffix != ".py" or not file_path.name.startswith("test_") or not _in_suite(file_path.parent):
            return None
        patterns = parent.config.getini("python_files")
        if any(fnmatch.fnmatch(file_path.name, pattern) for pattern in patterns if "/" not in pattern):
            return None  # pytest's own collector takes it
        return pytest.Module.from_parent(parent, path=file_path)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """The suite's own warning filter (suite.ini), whatever this repository's filterwarnings say."""
        for item in items:
            if _in_suite(item.path):
                item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning"))


# --- report rows for the session's own tests --------------------------------------------------

def describe(item: pytest.Item) -> dict[str, Any]:
    """Check ID, title and requirement IDs of a marked test, exactly as the suite describes its own."""
    from conformance.checks import load_all
    from conformance.suite.fixtures import describe_item

    load_all()  # a supersim_check marker names a registered check
    return describe_item(item)


class RequirementProperties:
    """Gives each marked test's report its ``("supersim", json)`` property (when no suite hook does)."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if item.get_closest_marker("supersim_requirement") or item.get_closest_marker("supersim_check"):
            report.user_properties.append((PROPERTY, json.dumps(describe(item))))
        return report


class BadRequirementMarkers:
    """Fails, at setup, the tests whose supersim_requirement marker names no catalogued ID."""

    def __init__(self, bad: dict[str, str]) -> None:
        self.bad = bad

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        problem = self.bad.get(item.nodeid)
        if problem:
            pytest.fail(problem, pytrace=False)


_CATALOG: set[str] | None = None


def _catalog_ids() -> set[str]:
    global _CATALOG
    if _CATALOG is None:
        from conformance.contract import requirement_ids

        _CATALOG = requirement_ids()
    return _CATALOG


# --- reports --------------------------------------------------------------------------------------

def _reported_by_caller(config: pytest.Config) -> bool:
    """True inside ``supersim-conformance run``: the CLI registers its own Collector and writes the reports."""
    from conformance.collect import Collector

    return any(isinstance(plugin, Collector) for plugin in config.pluginmanager.get_plugins())


def _relevant(report: pytest.TestReport) -> bool:
    """A suite check or a test marked with requirements (the suite's hook describes every test)."""
    keywords = getattr(report, "keywords", {}) or {}
    return ("supersim_check" in keywords or "supersim_requirement" in keywords) and any(
        name == PROPERTY for name, _ in report.user_properties)


def _suite_modules() -> set[str]:
    return {path.name for path in SUITE_DIR.glob("test_*.py")}


class SessionReport:
    """Collects this session's rows (controlling process only) and writes the four reports at its end.

    Rows come from ``conformance.collect.Collector``, the CLI's collector, fed only the reports of
    suite checks and of tests marked with requirements.
    """

    def __init__(self, config: pytest.Config, run: ConformanceRun | None) -> None:
        from conformance.collect import Collector

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
        results = self.collector.ordered()
        if run is not None:
            suite = self.config.getoption("supersim_suite") or ("read-only" if run.kind == "live" else "full")
            profile = run.profile
            info = reports.RunInfo(target=run.target, target_kind=run.kind, suite=suite,
                                   started_at=self.started_at or reports.now_iso(),
                                   profile=(profile.name or profile.source) if profile else None,
                                   seed=self.config.getoption("supersim_seed"))
        else:
            info = reports.RunInfo(target="(the tests of this session)", target_kind="application tests",
                                   suite="none", started_at=self.started_at or reports.now_iso())
        info.duration = time.monotonic() - self.started
        info.notes.extend(_restore_notes(self.report_dir))
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
        terminalreporter.write_line(
            f"{s['total']} checks: {s['passed']} passed, {s['failed']} failed, {s['errored']} errored, "
            f"{s['skipped']} skipped, {s['xfailed']} xfailed, {s['fixed']} fixed")
        terminalreporter.write_line(f"reports: {self.written['html'].parent}/ "
                                    "(report.json, junit.xml, report.md, report.html)")


def _restore_notes(report_dir: Path) -> list[str]:
    """What a full run could not put back (left by the suite beside the reports), as the CLI reports it."""
    notes: list[str] = []
    for path in sorted(report_dir.glob("restore-*.json")):
        try:
            notes.extend(f"not restored: {note}" for note in json.loads(path.read_text(encoding="utf-8")))
            path.unlink()
        except (OSError, ValueError):
            continue
    return notes
