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

import argparse
import fnmatch
import json
from collections.abc import Callable, Generator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance import EXIT_UNREACHABLE

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
#: Plugin names this module registers.
FIXTURES_PLUGIN = "supersim_conformance.fixtures"
SUITE_PLUGIN = "conformance.suite.fixtures"
SESSION_PLUGIN = "supersim_conformance.session"
REPORT_PLUGIN = "supersim_conformance.report"
PROPERTIES_PLUGIN = "supersim_conformance.properties"
BAD_MARKERS_PLUGIN = "supersim_conformance.bad_markers"
#: workerinput keys that carry the controller's target to pytest-xdist workers.
WORKER_TARGET, WORKER_PROFILE, WORKER_KIND, WORKER_SUITE = (
    "supersim_target",
    "supersim_profile",
    "supersim_target_kind",
    "supersim_suite",
)


# --- the run options: one table, from which pytest's options and the CLI's flags are built ---------


def positive_int(text: str) -> int:
    """A whole number of at least 1 (argparse and pytest ``type=``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """A number of at least 0 (seconds, requests per second)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


@dataclass(frozen=True)
class RunOption:
    """One option of a conformance run: its field in :class:`RunConfig`, its CLI flag, its pytest option.

    ``pytest`` is the option's name in a pytest session (``--supersim-…``, also readable as the
    ini key of the same name with underscores); ``cli`` is the flag of ``supersim-conformance
    run``. Either may be None where the option exists on one side only.
    """

    name: str
    help: str
    cli: str | None = None
    pytest: str | None = None
    metavar: str | None = None
    type: Callable[[str], Any] | None = None
    choices: tuple[str, ...] | None = None
    repeat: bool = False
    """A repeatable flag collecting a list (``--fault A --fault B``)."""
    flag: bool = False
    """A flag without a value."""
    aliases: tuple[str, ...] = ()
    """More spellings of the CLI flag (``-x`` beside ``--exitfirst``)."""

    @property
    def ini(self) -> str | None:
        return self.pytest.removeprefix("--").replace("-", "_") if self.pytest else None

    def argparse_kwargs(self) -> dict[str, Any]:
        if self.flag:
            return {"action": "store_true", "help": self.help}
        kwargs: dict[str, Any] = {"metavar": self.metavar, "help": self.help}
        if self.type is not None:
            kwargs["type"] = self.type
        if self.choices:
            kwargs.update(choices=list(self.choices), metavar=None)
        if self.repeat:
            kwargs.update(action="append", default=[])
        return kwargs


RUN_OPTIONS: tuple[RunOption, ...] = (
    RunOption(
        "target",
        cli="--target",
        pytest="--supersim-target",
        metavar="URL",
        help="base URL of the server under test, or cassette:DIR to replay a recording offline "
        "(default: start the embedded reference mock)",
    ),
    RunOption(
        "profile",
        cli="--profile",
        pytest="--supersim-profile",
        metavar="FILE",
        help="target profile (TOML): accounts, fleets, registrable SIMs, existing SIMs (default with a target: "
        "discovered at the start from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN)",
    ),
    RunOption(
        "suite",
        cli="--suite",
        pytest="--supersim-suite",
        choices=("read-only", "full"),
        help="read-only sends no state-changing request (default: full on this machine's loopback, "
        "read-only for any other host)",
    ),
    RunOption(
        "allow_writes",
        cli="--allow-writes",
        pytest="--supersim-allow-writes",
        flag=True,
        help="with --suite full against Twilio's own hosts: yes, change real SIMs (activations cannot be undone)",
    ),
    RunOption(
        "report_dir",
        cli="--report-dir",
        pytest="--supersim-report-dir",
        metavar="DIR",
        help="write report.json, junit.xml, report.md, report.html here (run: default reports/<timestamp>)",
    ),
    RunOption(
        "max_examples",
        cli="--max-examples",
        pytest="--supersim-max-examples",
        metavar="N",
        type=positive_int,
        help="examples per operation in the generated (Schemathesis) phase",
    ),
    RunOption("seed", cli="--seed", pytest="--supersim-seed", metavar="N", type=int, help="seed for generated cases"),
    RunOption(
        "workers",
        cli="--workers",
        metavar="N",
        type=positive_int,
        help="parallel workers (pytest-xdist); default: 2 for a whole run against the embedded mock "
        "on 2+ cores, else 1",
    ),
    RunOption(
        "expect_failures",
        cli="--expect-failures",
        pytest="--supersim-expect-failures",
        metavar="FILE",
        help="file of check or requirement IDs expected to fail, 'ID: reason' per line",
    ),
    RunOption("keyword", cli="-k", metavar="EXPR", help="only checks matching this pytest -k expression"),
    RunOption(
        "callback_url_base",
        cli="--callback-url-base",
        pytest="--supersim-callback-url-base",
        metavar="URL",
        help="public URL that reaches the local callback receiver (for live targets)",
    ),
    RunOption(
        "timeout",
        cli="--timeout",
        pytest="--supersim-timeout",
        metavar="S",
        type=non_negative_float,
        help="per-request timeout in seconds (default 10)",
    ),
    RunOption(
        "callback_timeout",
        cli="--callback-timeout",
        pytest="--supersim-callback-timeout",
        metavar="S",
        type=non_negative_float,
        help="seconds to wait for a callback after an asynchronous update (default 10)",
    ),
    RunOption(
        "rate",
        cli="--rate",
        pytest="--supersim-rate",
        metavar="RPS",
        type=non_negative_float,
        help="at most this many requests per second (default: unlimited, 5 for live Twilio)",
    ),
    RunOption(
        "faults",
        cli="--fault",
        metavar="NAME",
        repeat=True,
        help="plant a fault in the embedded mock (to see a check fail); repeatable",
    ),
    RunOption(
        "variations",
        cli="--variation",
        metavar="NAME",
        repeat=True,
        help="add a benign variation to the embedded mock (the suite must still pass); repeatable",
    ),
    RunOption(
        "strict",
        cli="--strict",
        pytest="--supersim-strict",
        flag=True,
        help="fail the run on SHOULD and MAY violations too (default: they are warnings; MUST violations fail)",
    ),
    RunOption(
        "exitfirst",
        cli="--exitfirst",
        aliases=("-x",),
        flag=True,
        help="stop at the first failing check (the reports of what ran are still written)",
    ),
    RunOption("show_skips", cli="--show-skips", flag=True, help="list each skipped check with its reason at the end"),
    RunOption("no_progress", cli="--no-progress", flag=True, help="no progress lines"),
)


@dataclass
class RunConfig:
    """Everything one conformance run needs: the values of :data:`RUN_OPTIONS` (None: not given).

    ``supersim-conformance run`` builds it from its flags, a ``--supersim-conformance`` session
    from pytest's options; :mod:`conformance.run.session` prepares the run from it either way.
    """

    target: str | None = None
    profile: str | None = None
    suite: str | None = None
    report_dir: str | None = None
    max_examples: int | None = None
    seed: int | None = None
    workers: int | None = None
    expect_failures: str | None = None
    keyword: str | None = None
    callback_url_base: str | None = None
    timeout: float | None = None
    callback_timeout: float | None = None
    rate: float | None = None
    faults: list[str] = field(default_factory=list)
    variations: list[str] = field(default_factory=list)
    strict: bool = False
    allow_writes: bool = False
    exitfirst: bool = False
    show_skips: bool = False
    no_progress: bool = False
    async_delay: float = EMBEDDED_ASYNC_DELAY
    """Seconds the embedded mock keeps an asynchronous update scheduled (not a flag)."""
    extra_pytest_args: list[str] = field(default_factory=list)
    """More pytest arguments (``record`` adds its plugin); not a flag."""

    @property
    def progress(self) -> bool:
        return not self.no_progress

    @classmethod
    def from_namespace(cls, namespace: Any) -> RunConfig:
        """From ``supersim-conformance run``'s parsed flags."""
        return cls(**{option.name: getattr(namespace, option.name) for option in RUN_OPTIONS if option.cli})

    @classmethod
    def from_pytest(cls, config: pytest.Config) -> RunConfig:
        """From a pytest session's ``--supersim-…`` options (an option not given falls back to its ini key)."""
        values = {}
        for option in RUN_OPTIONS:
            if option.pytest:
                values[option.name] = option_value(config, option)
        return cls(**values)

    def pytest_args(self) -> list[str]:
        """The ``--supersim-…`` arguments that carry this configuration into a pytest session."""
        args: list[str] = []
        for option in RUN_OPTIONS:
            value = getattr(self, option.name)
            if option.pytest is None or value is None or value == [] or value is False:
                continue
            args += [option.pytest] if option.flag else [option.pytest, str(value)]
        return args


def option_value(config: pytest.Config, option: RunOption) -> Any:
    """A run option's value in this session: the command line, else its ini key, else None."""
    if option.ini is None:  # a CLI-only option has no value in a pytest session
        return None
    value = config.getoption(option.ini, default=None)
    if value is None:
        raw = config.getini(option.ini)
        if option.flag:
            value = str(raw).strip().lower() in ("1", "true", "yes", "on") if raw else None
        elif raw:
            value = option.type(raw) if option.type else raw
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("supersim-conformance", "Twilio Super SIM Sim-resource conformance")
    group.addoption(
        "--supersim-conformance",
        action="store_true",
        default=False,
        help="run the supersim-conformance suite in this session",
    )
    for option in RUN_OPTIONS:
        if option.pytest is None or option.ini is None:
            continue
        group.addoption(option.pytest, dest=option.ini, default=None, **option.argparse_kwargs())
        parser.addini(option.ini, f"default of {option.pytest}: {option.help}", default=None)


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
        from conformance.report.session import SessionReport, reported_by_caller

        if workerinput is None and not reported_by_caller(config):
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
            bad[item.nodeid] = (
                f"unknown requirement ID(s) {', '.join(map(repr, unknown))} in supersim_requirement "
                "(`supersim-conformance requirements` lists the catalog)"
            )
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
    """Prepare the run once, in this process (``conformance.run.session``, as the CLI does)."""
    from conformance.run.session import (
        CredentialsRejected,
        RunError,
        TargetUnreachable,
        prepare_run,
    )

    stack = ExitStack()
    try:
        prepared = stack.enter_context(prepare_run(RunConfig.from_pytest(config), side="pytest"))
    except RunError as error:
        raise _usage(str(error)) from None
    except (TargetUnreachable, CredentialsRejected) as error:
        pytest.exit(f"supersim-conformance: {error}", returncode=EXIT_UNREACHABLE)
    config.add_cleanup(stack.close)
    # The suite's settings fixture reads these options (in this process, or in a worker via workerinput).
    config.option.supersim_target = prepared.target
    config.option.supersim_profile = prepared.profile_path
    config.option.supersim_suite = prepared.suite
    return ConformanceRun(prepared.target, prepared.profile_path, prepared.kind, prepared.profile)


def _worker_run(config: pytest.Config, workerinput: dict[str, Any]) -> ConformanceRun:
    """A pytest-xdist worker: the controller's target (a worker never starts a mock of its own)."""
    target, profile_path = workerinput.get(WORKER_TARGET), workerinput.get(WORKER_PROFILE)
    if target and profile_path:
        config.option.supersim_target = target
        config.option.supersim_profile = profile_path
    if workerinput.get(WORKER_SUITE):
        config.option.supersim_suite = workerinput[WORKER_SUITE]
    return ConformanceRun(
        config.getoption("supersim_target") or "",
        config.getoption("supersim_profile") or "",
        workerinput.get(WORKER_KIND, "url"),
    )


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
        self, item: pytest.Item, call: pytest.CallInfo[None]
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
