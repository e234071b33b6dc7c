"""``supersim-conformance run``: one pytest session over the shipped suite, then the reports.

The runner prepares the target with :func:`conformance.run.session.prepare_run` (the same code
a ``--supersim-conformance`` session uses), turns the :class:`~conformance.plugin.RunConfig`
into the plugin's own ``--supersim-…`` options, and runs pytest once. Reports are written even
when the run fails.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import TextIO

import pytest

from conformance import EXIT_FAILED, EXIT_KIT_ERROR, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE
from conformance import report as reports
from conformance.plugin import SUITE_DIR, RunConfig
from conformance.profile import iter_tokens
from conformance.report.collect import Collector
from conformance.run.session import (
    CredentialsRejected,
    PreparedRun,
    RunError,
    TargetUnreachable,
    prepare_run,
    restore_notes,
    summary_line,
)
from conformance.suite.data import CLAIMS_DIR

#: The name this configuration had before it became the plugin's :class:`RunConfig` (kept for callers).
RunOptions = RunConfig

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
    "RunError",
    "RunOptions",
    "default_workers",
    "pytest_args",
    "run",
]


def _report_dir(config: RunConfig) -> tuple[Path, Path | None]:
    if config.report_dir:
        return Path(config.report_dir), None
    return reports.new_run_dir(), reports.REPORTS_ROOT


def run(config: RunConfig, stream: TextIO | None = None) -> int:
    """Run the suite; return the exit code (0, 1, 2 or 3). Never raises for user errors."""
    out = stream or sys.stdout
    try:
        with prepare_run(config) as prepared:
            return _run_pytest(config, prepared, out)
    except RunError as error:
        print(f"supersim-conformance run: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (TargetUnreachable, CredentialsRejected) as error:
        print(f"supersim-conformance run: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE


def default_workers(config: RunConfig) -> int:
    """Two workers for a whole run against the embedded mock on a machine with two cores or more.

    The suite is CPU-bound in the kit (Schemathesis and Hypothesis generate, jsonschema
    validates): on two cores two workers take the default run from ~13 s to ~10 s, measured by
    tests/benchmarks/bench_run.py. One worker otherwise: a live account's politeness limit is
    per worker, a cassette replays in-process, and a ``-k`` selection is usually too small to
    pay for starting workers (~1 s of CPU each).
    """
    if config.target or config.keyword:
        return 1
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def pytest_args(config: RunConfig, prepared: PreparedRun, run_dir: Path) -> list[str]:
    """The pytest command line of a run: the suite, and the plugin's options for this configuration."""
    args = [
        str(SUITE_DIR),
        "-p",
        "conformance.suite.fixtures",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        "--rootdir",
        str(SUITE_DIR),
        "-c",
        str(SUITE_DIR / "suite.ini"),
    ]
    resolved = RunConfig(
        **{
            **vars(config),
            "target": prepared.target,
            "profile": prepared.profile_path,
            "report_dir": str(run_dir),
            "suite": prepared.suite,
        }
    )
    args += resolved.pytest_args()
    if config.seed is not None:
        args += ["--hypothesis-seed", str(config.seed)]
    if config.keyword:
        args += ["-k", config.keyword]
    if config.exitfirst:
        args += ["-x"]
    # Load only the plugins the suite uses. Autoloading every installed plugin makes pytest
    # rewrite the asserts of ~400 third-party modules (schemathesis, hypothesis, ...) on each
    # run: measured, that was half the generated phase's time (tests/benchmarks/bench_run.py).
    args += ["--disable-plugin-autoload", "-p", "supersim_conformance", "-p", "hypothesispytest"]
    workers = config.workers if config.workers is not None else default_workers(config)
    if workers > 1:
        args += ["-p", "xdist.plugin", "-n", str(workers)]
    return args + list(config.extra_pytest_args)


def _run_pytest(config: RunConfig, prepared: PreparedRun, out: TextIO) -> int:
    run_dir, root = _report_dir(config)
    profile = prepared.profile
    info = reports.RunInfo(
        target=prepared.target,
        target_kind=prepared.kind,
        suite=prepared.suite,
        started_at=reports.now_iso(),
        profile=profile.name or profile.source,
        seed=config.seed,
        strict=bool(config.strict),
    )
    secrets = [token for _, token in iter_tokens(profile)]
    collector = Collector(progress=config.progress, secrets=secrets)
    print(
        f"supersim-conformance: running the {prepared.suite} suite against {prepared.target} ({prepared.kind})",
        file=out,
    )
    if prepared.kind == "live" and prepared.suite == "full":
        for line in write_plan(profile):
            print(line, file=out)
    scrub = reports.scrubber(secrets)  # a note may quote the target, which may echo a token
    for note in prepared.notes:
        print(f"  {scrub(note)}", file=out)
    info.notes.extend(scrub(note) for note in prepared.notes)
    claims = Path(run_dir) / CLAIMS_DIR  # the workers' claims on the profile's data: this run's only
    shutil.rmtree(claims, ignore_errors=True)
    started = time.monotonic()
    code = pytest.main(pytest_args(config, prepared, run_dir), plugins=[collector])
    info.duration = time.monotonic() - started
    shutil.rmtree(claims, ignore_errors=True)
    results = collector.ordered()
    info.add_restore_notes(restore_notes(run_dir))
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        info.notes.append(f"pytest ended with exit status {int(code)} ({getattr(code, 'name', code)})")
    reproduce = reproduce_note(config, prepared)
    if reproduce and any(r.outcome in reports.FAILING or r.outcome == "warned" for r in results):
        info.notes.append(reproduce)
    written = reports.write_reports(run_dir, info, results, secrets)
    if root is not None:
        reports.point_latest(root, run_dir)
    summary = reports.summarize(results)
    _print_summary(
        results, summary, written, _Scrubbed(out, reports.scrubber(secrets)), reproduce, show_skips=config.show_skips
    )
    if code == pytest.ExitCode.NO_TESTS_COLLECTED or summary["total"] == 0:
        print("supersim-conformance run: no check ran (is -k too narrow?)", file=sys.stderr)
        return EXIT_USAGE
    if code in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        if not summary["failed"] and not summary["errored"]:
            print(f"supersim-conformance run: pytest stopped early ({getattr(code, 'name', code)})", file=sys.stderr)
            return EXIT_USAGE
    if summary["failed"]:
        return EXIT_FAILED
    if summary["errored"]:
        print(
            f"supersim-conformance run: {summary['errored']} check(s) could not be judged because of an error of the "
            "kit itself (not of the target); see 'errored' in the reports",
            file=sys.stderr,
        )
        return EXIT_KIT_ERROR
    return EXIT_OK


#: What the full suite may do to a SIM in each status (``--allow-writes`` prints it first).
CHANGES = {
    "new": "activated to ready or active (an activation cannot be undone), given fleets and unique names, "
    "moved to a subaccount and back",
    "ready": "activated, deactivated, given another fleet; refused updates sent to it",
    "active": "deactivated, given another fleet; refused updates sent to it",
    "inactive": "reactivated (active), given another fleet; a move attempted (private beta)",
}


def write_plan(profile) -> list[str]:
    """What a full run against a live account may change, SIM by SID: printed before anything is sent.

    The suite changes only SIMs it takes for itself (never the two per status and fleet that the
    read-only scenarios read), and only what its scenario needs; these are the ones it may take.
    """
    from conformance.suite.data import DataPool

    reserved = DataPool(profile).reserved
    lines = ["--allow-writes: the full suite may change these SIMs (the others are only read):"]
    for status, change in CHANGES.items():
        sids = [sim.sid for sim in profile.sims if sim.status == status and sim.sid not in reserved]
        if sids:
            lines.append(f"  {len(sids)} {status}: {change}")
            lines += [f"    {sid}" for sid in sids]
    if profile.registrable:
        lines.append(f"  registers the profile's {len(profile.registrable)} registrable card(s); a registration stays")
    lines.append("  unique names and fleets it changed are put back at the end where the API allows it")
    return lines


class _Scrubbed:
    """A text stream that writes through a scrubber (no token of the run ever reaches the terminal)."""

    def __init__(self, stream: TextIO, scrub) -> None:
        self.stream, self.scrub = stream, scrub

    def write(self, text: str) -> int:
        return self.stream.write(self.scrub(text))

    def flush(self) -> None:
        self.stream.flush()


def reproduce_note(config: RunConfig, prepared: PreparedRun) -> str | None:
    """For a run against the embedded mock (gone when the run ends): how to serve it again and
    replay a failure's curl against it. None for any other target (its curl runs as it is)."""
    if not prepared.kind.startswith("reference-mock"):
        return None
    parts = ["supersim-conformance serve --port 8080", f"--async-delay {config.async_delay:g}"]
    if config.profile:
        parts.append(f"--profile {shlex.quote(config.profile)}")
    parts += [f"--fault {name}" for name in config.faults] + [f"--variation {name}" for name in config.variations]
    return (
        f"to reproduce a failure: `{' '.join(parts)}` serves this mock again with the same data and prints the "
        "primary account's auth token (export it as TWILIO_AUTH_TOKEN); then run the failure's curl with "
        f"http://127.0.0.1:8080 in place of {prepared.target}"
    )


def _print_summary(results, summary, written, out, reproduce: str | None = None, *, show_skips: bool = False) -> None:
    """The end of a run: each broken requirement once (with how many checks it failed or blocked),
    the first failure in full, the warnings, the counts. Each failure had its line while running."""
    failures = [r for r in results if r.outcome == "failed"]
    if failures:
        groups: dict[tuple[str, ...], list[reports.Result]] = {}
        for result in failures:
            groups.setdefault(tuple(result.failed_requirements or result.requirements), []).append(result)
        print("broken requirements (MUST):", file=out)
        for broken, rows in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
            checks = sorted({(r.violation or {}).get("check", r.id) for r in rows})
            blocked = sum(1 for r in rows if (r.violation or {}).get("blocked"))
            others = f"; {blocked} of them stopped on it before their own rule (blocked)" if blocked else ""
            print(f"  {', '.join(broken)}: {', '.join(checks)} failed in {len(rows)} check(s){others}", file=out)
        first = min(failures, key=lambda r: r.id)
        print(f"first failure, in full ({first.nodeid}):", file=out)
        for line in first.message.splitlines():
            print(f"    {line}", file=out)
        if reproduce:
            print(reproduce, file=out)
    errored = [r for r in results if r.outcome == "errored"]
    for result in sorted(errored, key=lambda r: r.id):
        first_line = result.message.splitlines()[0] if result.message else ""
        print(f"ERRORED {result.id} {result.nodeid}\n    {first_line}", file=out)
    for result in sorted((r for r in results if r.outcome == "warned"), key=lambda r: r.id):
        first_line = result.message.splitlines()[0] if result.message else ""
        print(
            f"WARNING {result.id} ({', '.join(result.warned_requirements)}, {result.level}) {result.nodeid}\n"
            f"    {first_line}",
            file=out,
        )
    skipped = sorted((r for r in results if r.outcome == "skipped"), key=lambda r: r.nodeid)
    if skipped and show_skips:
        print("skipped:", file=out)
        for result in skipped:
            print(f"  SKIPPED {result.id} {result.nodeid}: {result.message}", file=out)
    print(
        summary_line(summary) + (" (--show-skips says why each was skipped)" if skipped and not show_skips else ""),
        file=out,
    )
    print(f"reports: {written['html'].parent}/ ({', '.join(path.name for path in written.values())})", file=out)
