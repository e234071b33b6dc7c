"""Preparing one conformance run: the single way in for ``supersim-conformance run`` and the plugin.

``prepare_run(config)`` checks the configuration, then makes the target ready to be tested:

* no target: start the embedded reference mock on a free loopback port (with any planted
  faults) and write its profile to a temporary file;
* ``cassette:DIR``: open the recording (its cassettes and profile) for an offline, read-only replay;
* a URL: load the profile (credentials from the environment where set) and probe the target, so
  an unreachable target or rejected credentials stop the run before any check.

It also keeps Hypothesis' storage (``.hypothesis/``, which the generated phase would create in
the current directory) in a temporary directory (:func:`hypothesis_home_outside_cwd`).

It yields a :class:`PreparedRun` and, on leaving the block, stops the mock and removes what it
wrote. The CLI maps its errors to exit codes, the plugin to pytest's usage error or exit status;
neither prepares anything itself, so they cannot drift apart.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from conformance import is_cassette_target, is_loopback, is_twilio_host
from conformance.plugin import RUN_OPTIONS, RunConfig
from conformance.profile import Profile, ProfileError, dump_profile, load_profile
from conformance.run.settings import (
    apply_environment_credentials,
    live_rate,
    load_expected_failures,
)
from conformance.run.target import CredentialsRejected, Target, TargetUnreachable, probe

__all__ = [
    "CredentialsRejected",
    "PreparedRun",
    "RunError",
    "TargetUnreachable",
    "prepare_run",
    "restore_notes",
    "summary_line",
]


class RunError(Exception):
    """A usage or configuration problem: one line (exit 2, or pytest's usage error)."""


@dataclass
class PreparedRun:
    """A target ready to be tested."""

    target: str
    """The base URL the suite talks to (or ``cassette:DIR``)."""
    profile_path: str
    profile: Profile
    kind: str
    """``reference-mock`` (possibly ``… with planted faults: …``), ``url``, ``live`` or ``cassette``."""
    suite: str
    """``full`` or ``read-only``: the configured suite, else full only for a mock on this machine's loopback."""
    notes: list[str] = field(default_factory=list)
    """What preparing the run found worth saying (data discovered, a profile that had drifted)."""


def target_kind(url: str) -> str:
    """``live`` for Twilio's own hosts (supersim.twilio.com, a regional or edge host), else ``url``."""
    return "live" if is_twilio_host(url) else "url"


def flag(name: str, side: str = "cli") -> str:
    """How the user spelled option ``name``: the CLI's flag, or (``side="pytest"``) the plugin's option."""
    option = next(option for option in RUN_OPTIONS if option.name == name)
    return (option.pytest if side == "pytest" else None) or option.cli or option.pytest or name


def validate(config: RunConfig, side: str = "cli") -> None:
    """Every check that needs no network, with the message a user sees (RunError), naming their flags."""

    def f(name: str) -> str:
        return flag(name, side)

    if is_cassette_target(config.target):
        if config.suite == "full":
            raise RunError(
                "a cassette:DIR target replays the read-only suite only (state-changing scenarios use "
                f"fresh unique names and real-time waits); drop {f('suite')} full"
            )
    elif config.target:
        parts = urlsplit(config.target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RunError(f"{f('target')} must be an http(s) URL such as http://127.0.0.1:8080, got {config.target!r}")
        if not config.profile and not (os.environ.get("TWILIO_ACCOUNT_SID") and os.environ.get("TWILIO_AUTH_TOKEN")):
            raise RunError(
                f"{f('target')} needs credentials: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the run discovers "
                f"the account's SIMs), or give {f('profile')} FILE (the accounts, fleets and SIMs the target holds)"
            )
        if config.suite == "full" and is_twilio_host(config.target) and not config.allow_writes:
            raise RunError(
                f"{f('suite')} full against {parts.hostname} changes real SIMs (it activates, deactivates, renames and "
                f"moves them; an activation cannot be undone): add {f('allow_writes')} to go ahead"
            )
    if config.workers is not None and config.workers < 1:
        raise RunError(f"{f('workers')} must be at least 1")
    if config.max_examples is not None and config.max_examples < 1:
        raise RunError(f"{f('max_examples')} must be at least 1")
    if config.faults and config.target:
        raise RunError(f"{f('faults')} plants a fault in the embedded mock; it cannot be combined with {f('target')}")
    if config.variations and config.target:
        raise RunError(f"{f('variations')} varies the embedded mock; it cannot be combined with {f('target')}")
    if config.faults or config.variations:
        from conformance.mock.faults import UnknownFaultError, validate_faults
        from conformance.mock.variations import UnknownVariationError, validate_variations

        try:
            validate_faults(config.faults)
            validate_variations(config.variations)
        except (UnknownFaultError, UnknownVariationError) as error:
            raise RunError(str(error)) from None
    try:
        load_expected_failures(config.expect_failures)  # fail early on a bad file
    except ProfileError as error:
        raise RunError(str(error)) from None


@contextmanager
def prepare_run(config: RunConfig, *, side: str = "cli", probe_target: bool = True) -> Iterator[PreparedRun]:
    """Check ``config`` and make its target ready (see the module docstring); undo it afterwards.

    Raises :class:`RunError` for a bad configuration or profile, and ``TargetUnreachable`` /
    ``CredentialsRejected`` when the probe fails.
    """
    validate(config, side)
    with ExitStack() as stack:
        hypothesis_home_outside_cwd(stack, side)
        try:
            if is_cassette_target(config.target):
                prepared = _cassette(config)
            elif config.target:
                prepared = _url(config, stack, probe_target=probe_target)
            else:
                prepared = _embedded_mock(config, stack)
        except ProfileError as error:
            raise RunError(str(error)) from None
        yield prepared


#: The environment variable Hypothesis reads for its storage directory (default ``./.hypothesis``).
HYPOTHESIS_STORAGE = "HYPOTHESIS_STORAGE_DIRECTORY"


def hypothesis_home_outside_cwd(stack: ExitStack, side: str = "cli") -> Path | None:
    """Point Hypothesis' storage at a temporary directory for the run; undone when ``stack`` closes.

    The generated phase (Schemathesis, on Hypothesis) otherwise leaves ``.hypothesis/`` (its
    constants and Unicode caches; the example database is off) in the user's current
    directory. Hypothesis resolves its home on first use, from ``set_hypothesis_home_dir`` or
    ``HYPOTHESIS_STORAGE_DIRECTORY``: the call covers this process, the variable the
    pytest-xdist workers started later. Left alone: a storage directory the user chose (the
    variable, or another home set in this process), and in a pytest session (``side="pytest"``)
    a ``.hypothesis/`` that already exists there, which the session's own Hypothesis tests use.
    Returns the temporary directory, or None when left alone.
    """
    if os.environ.get(HYPOTHESIS_STORAGE):
        return None
    try:
        from hypothesis import configuration
    except ImportError:  # pragma: no cover - a dependency of the kit
        return None
    # Hypothesis' own default (the current directory when it was imported), and its home once resolved or set.
    default = Path(vars(configuration).get("__hypothesis_home_directory_default") or Path.cwd() / ".hypothesis")
    previous = vars(configuration).get("__hypothesis_home_directory")
    if side == "pytest" and default.exists():
        return None
    if previous is not None and Path(previous) != default:
        return None
    home = Path(
        stack.enter_context(tempfile.TemporaryDirectory(prefix="supersim-hypothesis-", ignore_cleanup_errors=True))
    )

    def restore() -> None:
        os.environ.pop(HYPOTHESIS_STORAGE, None)
        configuration.set_hypothesis_home_dir(previous)

    os.environ[HYPOTHESIS_STORAGE] = str(home)
    configuration.set_hypothesis_home_dir(home)
    stack.callback(restore)
    return home


def _suite(config: RunConfig, kind: str, url: str | None = None) -> str:
    """The configured suite; else full only for a target on this machine's loopback (a mock)."""
    if config.suite:
        return config.suite
    if kind in ("live", "cassette") or (url is not None and not is_loopback(url)):
        return "read-only"
    return "full"


def _cassette(config: RunConfig) -> PreparedRun:
    from conformance.cassettes.replay import ReplayError, open_recording

    try:
        recording = open_recording(str(config.target), config.profile)
    except ReplayError as error:
        raise RunError(str(error)) from None
    return PreparedRun(
        f"cassette:{recording.directory}", str(recording.profile_path), recording.profile, "cassette", "read-only"
    )


def _url(config: RunConfig, stack: ExitStack, *, probe_target: bool) -> PreparedRun:
    """A URL target: probe it, then take its data from what it shows now (see :mod:`conformance.run.discover`).

    Without a profile the data is discovered with the environment's credentials; with one, the
    statuses, names, fleets and missing ICCIDs of its SIMs are refreshed from the target, so no
    scenario judges against a stale file. The profile the suite reads is written to a private
    temporary file, with environment-variable names, never tokens.
    """
    from conformance.run import discover

    assert config.target
    url = config.target.rstrip("/")
    kind = target_kind(url)
    rate = live_rate(url, config.rate)
    target = Target(
        base_url=url, profile=None, timeout=config.timeout or 10.0, min_interval=1.0 / rate if rate else 0.0
    )
    notes: list[str] = []
    try:
        if config.profile:
            raw = load_profile(config.profile)
            profile = apply_environment_credentials(raw)
            target.profile = profile
            if probe_target:
                notes += _through_twilio(url, probe(target, *profile.credentials(profile.primary.sid)))
                try:
                    fresh, notes, _ = discover.refresh_profile(target, profile)
                    raw = replace(raw, sims=fresh.sims, fleets=fresh.fleets)
                except discover.DiscoveryError as error:  # the suite will judge these lists itself
                    notes.append(f"the profile was not refreshed from the target ({error}); it is used as written")
        else:
            sid, token = os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"]
            notes += _through_twilio(url, probe(target, sid, token))
            access = [discover.AccountAccess(sid=sid, token=token, token_env="TWILIO_AUTH_TOKEN")]
            # the ICCIDs stay in the run's private temporary profile (the suite filters by them)
            found = discover.discover_profile(target, access, keep_pii=True)
            raw = found.profile
            notes.append(
                f"no profile: discovered {len(raw.sims)} SIMs of account {sid} to use "
                f"({sum(len(o.sims) for o in found.observations)} listed, {found.requests} requests)"
            )
    except discover.DiscoveryError as error:
        raise TargetUnreachable(f"{url}: {error}") from None
    finally:
        target.close()
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="supersim-run-")))
    profile_path = workdir / "profile.toml"
    profile_path.write_text(dump_profile(raw), encoding="utf-8")
    profile = apply_environment_credentials(raw)
    suite = _suite(config, kind, url)
    if not config.suite and any(note.startswith(THROUGH_TWILIO) for note in notes):
        suite = "read-only"
    return PreparedRun(url, str(profile_path), profile, kind, suite, notes=notes)


#: The note of a target that answers with Twilio's own URLs (a proxy in front of Twilio?).
THROUGH_TWILIO = "the target answers with Twilio's URLs"


def _through_twilio(url: str, exchange) -> list[str]:
    """A note when a target that is not Twilio's host answers with URLs on it: a recording proxy
    in front of a live account looks like that, so the run stays read-only unless told otherwise."""
    if is_twilio_host(url) or not exchange.is_json or not isinstance(exchange.json(), dict):
        return []
    meta = exchange.json().get("meta")
    shown = meta.get("url") if isinstance(meta, dict) else None
    if isinstance(shown, str) and is_twilio_host(shown):
        return [f"{THROUGH_TWILIO} ({shown.split('?')[0]}): a proxy in front of Twilio? read-only unless --suite full"]
    return []


def _embedded_mock(config: RunConfig, stack: ExitStack) -> PreparedRun:
    from conformance.mock.server import start_mock

    profile = load_profile(config.profile) if config.profile else None
    mock = stack.enter_context(
        start_mock(profile, async_delay=config.async_delay, faults=config.faults, variations=config.variations)
    )
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="supersim-run-")))
    profile_path = workdir / "profile.toml"
    profile_path.write_text(dump_profile(mock.profile), encoding="utf-8")
    kind = "reference-mock" + (f" with planted faults: {', '.join(config.faults)}" if config.faults else "")
    kind += f" with benign variations: {', '.join(config.variations)}" if config.variations else ""
    return PreparedRun(mock.base_url, str(profile_path), mock.profile, kind, _suite(config, "reference-mock"))


def restore_notes(report_dir: Path) -> list[str]:
    """What a full run could not put back, left by the suite's workers beside the reports (then removed)."""
    notes: list[str] = []
    for path in sorted(Path(report_dir).glob("restore-*.json")):
        try:
            notes.extend(f"not restored: {note}" for note in json.loads(path.read_text(encoding="utf-8")))
            path.unlink()
        except (OSError, ValueError):
            continue
    return notes


def summary_line(summary: dict[str, int]) -> str:
    """The counts of a run, as both the CLI and the plugin print them."""
    return (
        f"{summary['passed']} passed, {summary['failed']} failed, {summary['errored']} errored, "
        f"{summary.get('warned', 0)} warned, {summary['skipped']} skipped, {summary['xfailed']} xfailed, {summary['fixed']} fixed "
        f"({summary['total']} checks)"
    )
