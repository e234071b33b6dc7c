"""``supersim-conformance record``: a conformance run whose interactions are saved as vcrpy cassettes.

``record(options)`` is ``run`` with this module added as a pytest plugin (``-p
conformance.cassettes.record``), so the run, its reports and its exit codes are exactly ``run``'s. The
plugin wraps every suite test in a vcrpy cassette: **one cassette per suite test module**
(``test_read.yaml``, ``test_auth.yaml``…), because that is the unit a replay needs (a module's
scenarios share data, and the same request can get a different answer in another module of a
full run); a check ID would split one scenario's requests across files.

What reaches the files (``conformance.cassettes``): URLs on ``https://supersim.twilio.com``;
no ``Authorization`` header (a credentials label instead: account SID, "with another token",
"none"); unless ``--keep-pii``, ICCIDs, registration codes and the account's SIDs replaced by
same-shaped placeholders (an HMAC under a key that never leaves memory), consistently in
URLs, bodies and the ``profile.toml`` written beside the cassettes, whose tokens are
placeholders too. After writing, every file is scanned for the profile's tokens and for any
``Authorization``/``Basic`` header; a file that has one is deleted and the command fails.

The run is the hand-written suite only (the generated phase is random, so its requests could
never be replayed), in one worker (one process owns the cassettes, and the data shares the
replay will pick are those of one worker). Replay with ``run --target cassette:DIR``.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import pytest
from vcr.cassette import Cassette
from vcr.patch import CassettePatcherBuilder
from vcr.record_mode import RecordMode

from conformance import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    __version__,
    is_cassette_target,
)
from conformance.cassettes import (
    CANONICAL_BASE,
    MATCH_ON,
    Redactor,
    matchers,
    public_profile,
    request_filter,
    response_filter,
    scan_for_secrets,
)
from conformance.profile import (
    Profile,
    ProfileError,
    dump_profile,
    iter_tokens,
    load_profile,
)

PROFILE_FILE = "profile.toml"
RECORDING_FILE = "recording.json"
GENERATED_MODULE = "test_generated"


@dataclass
class RecordOptions:
    out: str
    target: str | None = None
    profile: str | None = None
    suite: str | None = None
    keep_pii: bool = False
    report_dir: str | None = None
    timeout: float | None = None
    rate: float | None = None
    progress: bool = True


#: What the plugin did in this process (``record`` reads it after pytest returns).
LAST: dict[str, Any] = {}


def record(options: RecordOptions, stream: TextIO | None = None) -> int:
    """Run the suite against the target and write its interactions to ``options.out``; return the exit code.

    The cassettes are written to a staging directory beside ``--out`` and moved in only once the
    run recorded something, so a run that cannot start (exit 2 or 3) leaves an earlier recording alone.
    """
    from conformance.plugin import SUITE_DIR, RunConfig
    from conformance.run.runner import run

    out = stream or sys.stdout
    try:
        if is_cassette_target(options.target):
            raise ValueError("--target must be a server to record from (http/https), not a cassette directory")
        if options.target and not options.profile:
            raise ValueError("--target needs --profile FILE (the accounts, fleets and SIMs the target holds)")
        if options.profile:
            load_profile(options.profile)
        directory = _check_out(Path(options.out))
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-recording-", dir=directory.parent))
    except (ValueError, ProfileError) as error:
        print(f"supersim-conformance record: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(
            f"supersim-conformance record: error: cannot write beside --out {options.out}: {error.strerror or error}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        run_options = RunConfig(
            target=options.target,
            profile=options.profile,
            suite=options.suite or "read-only",
            report_dir=options.report_dir,
            workers=1,
            timeout=options.timeout,
            rate=options.rate,
            no_progress=not options.progress,
            extra_pytest_args=[
                "-p",
                "conformance.cassettes.record",
                "--supersim-record-dir",
                str(staging),
                *(["--supersim-record-keep-pii"] if options.keep_pii else []),
                "--ignore",
                str(SUITE_DIR / f"{GENERATED_MODULE}.py"),
            ],
        )
        LAST.clear()
        code = run(run_options, out)
        if code in (EXIT_USAGE, EXIT_UNREACHABLE):
            return code
        if not LAST.get("cassettes"):
            print("supersim-conformance record: error: no interaction was recorded", file=sys.stderr)
            return code if code != EXIT_OK else EXIT_FAILED
        for problem in LAST.get("problems", []):
            print(f"supersim-conformance record: {problem} (file deleted)", file=sys.stderr)
        if LAST.get("problems"):
            return EXIT_FAILED
        _replace_recording(directory, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    total = sum(LAST["cassettes"].values())
    pii = "kept" if options.keep_pii else "redacted"
    print(
        f"recorded {total} interactions in {len(LAST['cassettes'])} cassettes to {directory}/ "
        f"(ICCIDs and SIDs {pii}); replay with: supersim-conformance run --target cassette:{directory}",
        file=out,
    )
    return code


def _check_out(directory: Path) -> Path:
    """A new or empty directory, or an earlier recording (replaced at the end); anything else is refused."""
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"--out {directory} exists and is not a directory")
    if directory.is_dir():
        entries = list(directory.iterdir())
        foreign = [e.name for e in entries if not _ours(e)]
        if entries and (foreign or not (directory / RECORDING_FILE).is_file()):
            raise ValueError(
                f"--out {directory} is not empty and holds no earlier recording; choose an empty or new directory"
            )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"cannot create --out {directory}: {error.strerror or error}") from None
    return directory.resolve()


def _ours(entry: Path) -> bool:
    return entry.is_file() and (entry.name in (PROFILE_FILE, RECORDING_FILE) or entry.suffix == ".yaml")


def _replace_recording(directory: Path, staging: Path) -> None:
    for entry in directory.iterdir():
        if _ours(entry):
            entry.unlink()
    for entry in staging.iterdir():
        shutil.move(str(entry), str(directory / entry.name))


# --- the pytest plugin (loaded with -p conformance.cassettes.record) ---------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("supersim-conformance")
    group.addoption(
        "--supersim-record-dir",
        metavar="DIR",
        default=None,
        help="record every suite test's interactions as vcrpy cassettes in DIR (one per module)",
    )
    group.addoption(
        "--supersim-record-keep-pii",
        action="store_true",
        default=False,
        help="keep ICCIDs and SIDs in recorded cassettes (default: replaced by placeholders)",
    )


def pytest_configure(config: pytest.Config) -> None:
    directory = config.getoption("supersim_record_dir", default=None)
    if directory and not config.pluginmanager.has_plugin("supersim-recorder"):
        config.pluginmanager.register(Recorder(config, Path(directory)), "supersim-recorder")


class _RecordingCassette(Cassette):
    """A cassette that only records (vcrpy would otherwise match every request against all so far)."""

    def can_play_response_for(self, request: Any) -> bool:
        return False


class Recorder:
    """Wraps each suite test in its module's cassette; writes everything at the end of the session."""

    def __init__(self, config: pytest.Config, directory: Path) -> None:
        from conformance.run.settings import settings_from_options

        self.directory = directory
        self.keep_pii = bool(config.getoption("supersim_record_keep_pii", default=False))
        try:
            settings = settings_from_options(config.getoption)
        except ProfileError as error:
            raise pytest.UsageError(f"supersim-conformance record: {error}") from None
        self.base_url = settings.target
        self.suite = settings.suite
        self.profile: Profile = settings.profile
        self.redactor = Redactor(self.profile)
        self.cassettes: dict[str, Cassette] = {}

    def cassette(self, name: str) -> Cassette:
        if name not in self.cassettes:
            self.cassettes[name] = _RecordingCassette(
                path=str(self.directory / f"{name}.yaml"),
                match_on=matchers(),
                record_mode=RecordMode.ALL,
                before_record_request=request_filter(self.base_url, self.profile),
                before_record_response=response_filter(self.base_url),
                before_save_interaction=None if self.keep_pii else self.redactor.interaction,
            )
        return self.cassettes[name]

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        name = Path(str(item.path)).stem
        if name == GENERATED_MODULE:
            return (yield)
        with ExitStack() as stack:
            for patcher in CassettePatcherBuilder(self.cassette(name)).build():
                stack.enter_context(patcher)
            return (yield)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for cassette in self.cassettes.values():
            self.redactor.learn(cassette.responses)
        written: dict[str, int] = {}
        for name, cassette in sorted(self.cassettes.items()):
            if len(cassette):
                cassette._save(force=True)  # vcrpy's own save: serializer, persister, our save hook
                written[name] = len(cassette)
        profile = self.profile if self.keep_pii else self.redactor.profile(self.profile)
        (self.directory / PROFILE_FILE).write_text(dump_profile(public_profile(profile)), encoding="utf-8")
        meta = {
            "tool": "supersim-conformance",
            "version": __version__,
            "recorded_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "suite": self.suite,
            "pii": "kept" if self.keep_pii else "redacted",
            "base_url": CANONICAL_BASE,
            "match_on": list(MATCH_ON),
            "cassettes": written,
        }
        (self.directory / RECORDING_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        tokens = [token for _, token in iter_tokens(self.profile)]
        files = sorted(self.directory.iterdir())
        problems = scan_for_secrets(files, tokens)
        for problem in problems:
            Path(problem.split(": ", 1)[0]).unlink(missing_ok=True)
        LAST.update(cassettes=written, problems=problems, directory=str(self.directory))
