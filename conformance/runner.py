"""``supersim-conformance run``: one pytest session over the shipped suite, then the reports.

The runner only builds pytest arguments (the same options the plugin offers to other repos),
so the CLI and ``pytest --supersim-conformance`` can never disagree. With no ``--target`` it
starts the embedded reference mock on a free loopback port, runs everything against it and
stops it. Reports are written even when the run fails.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conformance import report as reports
from conformance.collect import Collector
from conformance.plugin import SUITE_DIR
from conformance.profile import Profile, ProfileError, dump_profile, iter_tokens, load_profile
from conformance.suite.settings import apply_environment_credentials, load_expected_failures
from conformance.target import CredentialsRejected, Target, TargetUnreachable, probe

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3


class RunError(Exception):
    """A usage or configuration problem: one line, exit 2."""


@dataclass
class RunOptions:
    target: str | None = None
    profile: str | None = None
    suite: str | None = None
    report_dir: str | None = None
    max_examples: int | None = None
    seed: int | None = None
    workers: int | None = None
    """pytest-xdist workers; None: :func:`default_workers` (2 on the embedded mock, else 1)."""
    expect_failures: str | None = None
    keyword: str | None = None
    callback_url_base: str | None = None
    timeout: float | None = None
    callback_timeout: float | None = None
    rate: float | None = None
    async_delay: float = 0.05
    faults: list[str] = field(default_factory=list)
    progress: bool = True
    extra_pytest_args: list[str] = field(default_factory=list)


def _validate(options: RunOptions) -> None:
    if _is_cassette(options.target):  # cassette:DIR target: see _prepare_cassette_target
        if options.suite == "full":
            raise RunError("a cassette:DIR target replays the read-only suite only (state-changing scenarios use "
                           "fresh unique names and real-time waits); drop --suite full")
    elif options.target:
        parts = urlsplit(options.target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RunError(f"--target must be an http(s) URL such as http://127.0.0.1:8080, got {options.target!r}")
        if not options.profile:
            raise RunError("--target needs --profile FILE (the accounts, fleets and SIMs the target holds)")
    if options.workers is not None and options.workers < 1:
        raise RunError("--workers must be at least 1")
    if options.max_examples is not None and options.max_examples < 1:
        raise RunError("--max-examples must be at least 1")
    if options.faults and options.target:
        raise RunError("--fault plants a fault in the embedded mock; it cannot be combined with --target")
    if options.faults:
        from conformance.mock.faults import UnknownFaultError, validate_faults

        try:
            validate_faults(options.faults)
        except UnknownFaultError as error:
            raise RunError(str(error)) from None
    load_expected_failures(options.expect_failures)  # fail early on a bad file


def _report_dir(options: RunOptions) -> tuple[Path, Path | None]:
    if options.report_dir:
        return Path(options.report_dir), None
    root = Path("reports")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_dir = root / stamp
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = root / f"{stamp}-{suffix}"
    return run_dir, root


def run(options: RunOptions, stream=None) -> int:
    """Run the suite; return the exit code (0, 1, 2 or 3). Never raises for user errors."""
    out = stream or sys.stdout
    try:
        _validate(options)
    except (RunError, ProfileError) as error:
        print(f"supersim-conformance run: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    with ExitStack() as stack:
        try:
            base_url, profile_path, profile, kind = _prepare_target(options, stack)
        except (RunError, ProfileError) as error:
            print(f"supersim-conformance run: error: {error}", file=sys.stderr)
            return EXIT_USAGE
        if kind == "cassette":  # nothing to probe: recorded interactions answer in-process
            return _run_pytest(options, base_url, profile_path, profile, kind, out)
        target = Target(base_url=base_url, profile=profile, timeout=options.timeout or 10.0)
        try:
            probe(target, *profile.credentials(profile.primary.sid))
        except (TargetUnreachable, CredentialsRejected) as error:
            print(f"supersim-conformance run: {error}", file=sys.stderr)
            return EXIT_UNREACHABLE
        except ProfileError as error:
            print(f"supersim-conformance run: error: {error}", file=sys.stderr)
            return EXIT_USAGE
        finally:
            target.close()
        return _run_pytest(options, base_url, profile_path, profile, kind, out)


def _prepare_target(options: RunOptions, stack: ExitStack) -> tuple[str, str, Profile, str]:
    """Start the embedded mock when no target is given; load and check the profile."""
    if _is_cassette(options.target):
        return _prepare_cassette_target(options)
    if options.target:
        profile = apply_environment_credentials(load_profile(options.profile))
        kind = "live" if urlsplit(options.target).hostname == "supersim.twilio.com" else "url"
        return options.target.rstrip("/"), options.profile, profile, kind
    from conformance.mock.server import start_mock

    profile = load_profile(options.profile) if options.profile else None
    mock = stack.enter_context(start_mock(profile, async_delay=options.async_delay, faults=options.faults))
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="supersim-run-")))
    profile_path = workdir / "profile.toml"
    profile_path.write_text(dump_profile(mock.profile), encoding="utf-8")
    return mock.base_url, str(profile_path), mock.profile, "reference-mock" + (
        f" with planted faults: {', '.join(options.faults)}" if options.faults else "")


# --- cassette:DIR targets (conformance.replay; owned by the record/replay work) -------------------

def _is_cassette(target: str | None) -> bool:
    return bool(target) and target.startswith("cassette:")


def _prepare_cassette_target(options: RunOptions) -> tuple[str, str, Profile, str]:
    """Check the recording (cassettes load, profile readable); the suite then replays it read-only."""
    from conformance.replay import ReplayError, open_recording

    try:
        recording = open_recording(options.target, options.profile)
    except ReplayError as error:
        raise RunError(str(error)) from None
    options.suite = "read-only"
    return f"cassette:{recording.directory}", str(recording.profile_path), recording.profile, "cassette"

# --- end of cassette:DIR targets -------------------------------------------------------------------


def default_workers(options: RunOptions) -> int:
    """Two workers for a whole run against the embedded mock on a machine with two cores or more.

    The suite is CPU-bound in the kit (Schemathesis and Hypothesis generate, jsonschema
    validates): on two cores two workers take the default run from ~13 s to ~8 s, measured by
    tests/benchmarks/bench_run.py. One worker otherwise: a live account's politeness limit is
    per worker, a cassette replays in-process, and a ``-k`` selection is usually too small to
    pay for starting workers (~1 s of CPU each).
    """
    if options.target or options.keyword:
        return 1
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def pytest_args(options: RunOptions, base_url: str, profile_path: str, run_dir: Path) -> list[str]:
    """The pytest command line of a run (public: the plugin documents the same options)."""
    args = [
        str(SUITE_DIR),
        "-p", "conformance.suite.fixtures",
        "-p", "no:cacheprovider",
        "-p", "no:terminal",
        "--rootdir", str(SUITE_DIR),
        "-c", str(SUITE_DIR / "suite.ini"),
        "--supersim-target", base_url,
        "--supersim-profile", profile_path,
        "--supersim-report-dir", str(run_dir),
    ]
    for flag, value in (
        ("--supersim-suite", options.suite),
        ("--supersim-max-examples", options.max_examples),
        ("--supersim-seed", options.seed),
        ("--supersim-expect-failures", options.expect_failures),
        ("--supersim-callback-url-base", options.callback_url_base),
        ("--supersim-timeout", options.timeout),
        ("--supersim-callback-timeout", options.callback_timeout),
        ("--supersim-rate", options.rate),
    ):
        if value is not None:
            args += [flag, str(value)]
    if options.seed is not None:
        args += ["--hypothesis-seed", str(options.seed)]
    if options.keyword:
        args += ["-k", options.keyword]
    # Load only the plugins the suite uses. Autoloading every installed plugin makes pytest
    # rewrite the asserts of ~400 third-party modules (schemathesis, hypothesis, ...) on each
    # run: measured, that was half the generated phase's time (tests/benchmarks/bench_run.py).
    args += ["--disable-plugin-autoload", "-p", "supersim_conformance", "-p", "hypothesispytest"]
    workers = options.workers if options.workers is not None else default_workers(options)
    if workers > 1:
        args += ["-p", "xdist.plugin", "-n", str(workers)]
    return args + list(options.extra_pytest_args)


def _run_pytest(options: RunOptions, base_url: str, profile_path: str, profile: Profile, kind: str, out) -> int:
    run_dir, root = _report_dir(options)
    suite = options.suite or ("read-only" if kind == "live" else "full")
    info = reports.RunInfo(target=base_url, target_kind=kind, suite=suite, started_at=reports.now_iso(),
                           profile=profile.name or profile.source, seed=options.seed)
    collector = Collector(progress=options.progress)
    print(f"supersim-conformance: running the {suite} suite against {base_url} ({kind})", file=out)
    started = time.monotonic()
    code = pytest.main(pytest_args(options, base_url, profile_path, run_dir), plugins=[collector])
    info.duration = time.monotonic() - started
    results = collector.ordered()
    info.notes.extend(_restore_notes(run_dir))
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        info.notes.append(f"pytest ended with exit status {int(code)} ({getattr(code, 'name', code)})")
    secrets = [token for _, token in iter_tokens(profile)]
    written = reports.write_reports(run_dir, info, results, secrets)
    if root is not None:
        reports.point_latest(root, run_dir)
    summary = reports.summarize(results)
    _print_summary(results, summary, written, out)
    if code == pytest.ExitCode.NO_TESTS_COLLECTED or summary["total"] == 0:
        print("supersim-conformance run: no check ran (is -k too narrow?)", file=sys.stderr)
        return EXIT_USAGE
    if code in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        if not summary["failed"] and not summary["errored"]:
            print(f"supersim-conformance run: pytest stopped early ({code.name})", file=sys.stderr)
            return EXIT_USAGE
    return EXIT_FAILED if summary["failed"] or summary["errored"] else EXIT_OK


def _restore_notes(run_dir: Path) -> list[str]:
    """What the suite could not put back after a full run (written by each worker)."""
    import json

    notes = []
    for path in sorted(run_dir.glob("restore-*.json")):
        notes.extend(f"not restored: {note}" for note in json.loads(path.read_text(encoding="utf-8")))
        path.unlink()
    return notes


def _print_summary(results, summary, written, out) -> None:
    failures = [r for r in results if r.outcome in reports.FAILING]
    for result in sorted(failures, key=lambda r: r.id):
        first = result.message.splitlines()[0] if result.message else ""
        print(f"FAILED {result.id} ({', '.join(result.requirements)}) {result.nodeid}\n    {first}", file=out)
    print(
        f"{summary['passed']} passed, {summary['failed']} failed, {summary['errored']} errored, "
        f"{summary['skipped']} skipped, {summary['xfailed']} xfailed, {summary['fixed']} fixed "
        f"({summary['total']} checks)",
        file=out,
    )
    print(f"reports: {written['html'].parent}/ (report.json, junit.xml, report.md, report.html)", file=out)
