"""Fixtures and hooks of a conformance run (loaded only for one: by the CLI's ``run`` or
``pytest --supersim-conformance``).

The hooks give every test report the check ID, title and requirement IDs it stands for and,
when it failed, the structured Violation; the collector (``conformance.report.collect``) turns those
into the run's reports, including under pytest-xdist, where these hooks run in the workers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import is_cassette_target
from conformance.checks import (
    CHECKS,
    LEVELS,
    Violation,
    deferring_response_violations,
    load_all,
)
from conformance.checks.scenarios import STEP
from conformance.profile import ProfileError
from conformance.run.settings import Settings, settings_from_options
from conformance.run.target import Target, TargetClient
from conformance.suite.callbacks import CallbackReceiver
from conformance.suite.data import CLAIMS_DIR, DataPool, worker_share

PROPERTY = "supersim"


# --- run settings and clients ---------------------------------------------------------------


@pytest.fixture(scope="session")
def sc_settings(request: pytest.FixtureRequest) -> Settings:
    """The run's target URL, profile, suite mode and generation settings."""
    try:
        return settings_from_options(request.config.getoption, workers=worker_share(request.config)[1])
    except ProfileError as error:
        pytest.exit(f"supersim-conformance: {error}", returncode=2)


@pytest.fixture(scope="session")
def sc_target(request: pytest.FixtureRequest, sc_settings: Settings) -> Iterator[Target]:
    """The server under test, reached with timeouts, body caps and same-origin credentials."""
    if _cassette(sc_settings):  # recorded interactions answer in-process, never the network
        from conformance.cassettes.replay import cassette_target

        replayed = cassette_target(sc_settings.target, sc_settings.profile, timeout=sc_settings.timeout)
        yield replayed
        replayed.close()
        return
    sc_target = Target(
        base_url=sc_settings.target,
        profile=sc_settings.profile,
        timeout=sc_settings.timeout,
        min_interval=(1.0 / sc_settings.rate) if sc_settings.rate else 0.0,
        pace_file=_shared_pace_file(request) if sc_settings.rate else None,
    )
    yield sc_target
    sc_target.close()


def _shared_pace_file(request: pytest.FixtureRequest) -> str | None:
    """Under pytest-xdist, the file the workers share to keep ``--rate`` for the whole run (in its claims)."""
    report_dir = request.config.getoption("supersim_report_dir", default=None)
    if not report_dir or not getattr(request.config, "workerinput", None):
        return None
    folder = Path(report_dir) / CLAIMS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / "pace")


def _cassette(sc_settings: Settings) -> bool:
    """A ``cassette:DIR`` target (conformance.cassettes.replay: record/replay work)."""
    return is_cassette_target(sc_settings.target)


def _client(sc_target: Target, account_sid: str) -> TargetClient:
    return sc_target.client(*sc_target.profile.credentials(account_sid))


@pytest.fixture(scope="session")
def sc_primary(sc_target: Target) -> TargetClient:
    """A client authenticated as the profile's primary account."""
    return _client(sc_target, sc_target.profile.primary.sid)


@pytest.fixture(scope="session")
def sc_subaccount(sc_target: Target) -> TargetClient:
    """A client authenticated as the primary account's first subaccount (skips if none)."""
    subs = sc_target.profile.subaccounts
    if not subs:
        pytest.skip("the profile has no subaccount of the primary account")
    return _client(sc_target, subs[0].sid)


@pytest.fixture(scope="session")
def sc_unrelated(sc_target: Target) -> TargetClient:
    """A client authenticated as an account unrelated to the primary (skips if none)."""
    account = sc_target.profile.unrelated
    if account is None:
        pytest.skip('the profile has no unrelated account (role = "unrelated")')
    return _client(sc_target, account.sid)


@pytest.fixture(scope="session")
def sc_anonymous(sc_target: Target) -> TargetClient:
    """A client that sends no credentials at all."""
    return sc_target.client(None, None)


@pytest.fixture(scope="session")
def sc_pool(
    request: pytest.FixtureRequest, sc_settings: Settings, sc_target: Target, sc_primary: TargetClient
) -> Iterator[DataPool]:
    """The profile's SIMs, cards and fleets, shared out between scenarios and workers."""
    report_dir = request.config.getoption("supersim_report_dir", default=None)
    claims = Path(report_dir) / CLAIMS_DIR if report_dir and getattr(request.config, "workerinput", None) else None
    sc_pool = DataPool(sc_settings.profile, share=worker_share(request.config), claims=claims)
    yield sc_pool
    if sc_settings.full and sc_pool.originals:
        notes = restore(sc_pool, sc_target, sc_primary)
        _write_restore_notes(request.config, notes)


@pytest.fixture(scope="session")
def sc_callbacks(sc_settings: Settings) -> Iterator[CallbackReceiver]:
    """A loopback callback receiver; its URLs are public ones with --callback-url-base."""
    if _cassette(sc_settings):
        from conformance.cassettes.replay import CALLBACK_SKIP

        pytest.skip(CALLBACK_SKIP)
    receiver = CallbackReceiver(sc_settings.callback_url_base, timeout=sc_settings.callback_timeout)
    yield receiver
    receiver.close()


@pytest.fixture
def sc_full_suite(sc_settings: Settings) -> None:
    """Skip a state-changing scenario in a read-only run."""
    if _cassette(sc_settings):
        from conformance.cassettes.replay import FULL_SKIP

        pytest.skip(FULL_SKIP)
    if not sc_settings.full:
        pytest.skip("changes state on the target; runs only with --suite full")


def restore(sc_pool: DataPool, sc_target: Target, sc_primary: TargetClient) -> list[str]:
    """Put back what the run changed where the API allows it; return what could not be restored.

    Unique names, fleets and the owning account (a Sim that is still new) can be restored;
    a status cannot (a Sim never returns to new, and activations are asynchronous).
    """
    notes: list[str] = []
    for original in sc_pool.originals.values():
        now, owner = _find(original.sid, sc_target, sc_primary)
        if now is None:
            notes.append(f"{original.sid}: not found afterwards; could not restore it")
            continue
        form: list[tuple[str, str]] = []
        if now.get("account_sid") != original.account:
            if now.get("status") == "new":
                form.append(("AccountSid", original.account))
                form.append(("Fleet", original.fleet_sid or ""))
            else:
                notes.append(f"{original.sid}: left in account {now.get('account_sid')} (status {now.get('status')})")
        elif now.get("fleet_sid") != original.fleet_sid and original.fleet_sid:
            form.append(("Fleet", original.fleet_sid))
        if now.get("unique_name") != original.unique_name and original.unique_name:
            form.append(("UniqueName", original.unique_name))
        if form:
            answer = sc_primary.post(f"/v1/Sims/{original.sid}", form=form, check=False)
            if answer.status >= 300:
                notes.append(f"{original.sid}: restoring {dict(form)} was refused ({answer.status})")
        if now.get("status") != original.status:
            notes.append(
                f"{original.sid}: status is {now.get('status')} (was {original.status}); a status cannot be restored"
            )
    return notes


def _find(sid: str, sc_target: Target, sc_primary: TargetClient) -> tuple[dict | None, TargetClient | None]:
    """The Sim as its current owner sees it (the run may have moved it to a subaccount)."""
    clients = [sc_primary] + [
        sc_target.client(*sc_target.profile.credentials(sub.sid)) for sub in sc_target.profile.subaccounts
    ]
    for client in clients:
        exchange = client.get(f"/v1/Sims/{sid}", check=False)
        if exchange.status == 200 and exchange.is_json and isinstance(exchange.json(), dict):
            return exchange.json(), client
    return None, None


def _write_restore_notes(config: pytest.Config, notes: list[str]) -> None:
    """Leave the notes beside the reports; the runner adds them to report.json's notes."""
    report_dir = config.getoption("supersim_report_dir", default=None)
    if not report_dir or not notes:
        return
    from pathlib import Path

    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    folder = Path(report_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"restore-{worker}.json").write_text(json.dumps(notes, indent=1), encoding="utf-8")


# --- reporting hooks ------------------------------------------------------------------------


#: The user-property name under which a check adds a line to its report row (``sc_note``).
NOTE_PROPERTY = "supersim_note"


@pytest.fixture
def sc_note(request: pytest.FixtureRequest):
    """``note(text)``: a line in this check's report row, e.g. which of two right answers it saw."""

    def note(text: str) -> None:
        request.node.user_properties.append((NOTE_PROPERTY, text))

    return note


def pytest_configure(config: pytest.Config) -> None:
    load_all()
    if is_cassette_target(config.getoption("supersim_target", default=None)):
        from conformance.cassettes.replay import ReplayPlugin

        config.pluginmanager.register(ReplayPlugin(), "supersim-replay")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every suite test names a registered check; an unknown ID is a bug in the suite."""
    for item in items:
        marker = item.get_closest_marker("supersim_check")
        if marker and marker.args[0] not in CHECKS:
            raise pytest.UsageError(f"{item.nodeid}: unknown check ID {marker.args[0]!r}")


_SUITE_DIR = Path(__file__).resolve().parent


def _in_suite_dir(item: pytest.Item) -> bool:
    try:
        return Path(item.path).resolve().is_relative_to(_SUITE_DIR)
    except (OSError, ValueError):
        return False


def describe_item(item: pytest.Item) -> dict[str, Any]:
    """Check ID, title and requirements a test stands for (from its markers)."""
    marker = item.get_closest_marker("supersim_check")
    requirements: list[str] = []
    for mark in item.iter_markers("supersim_requirement"):
        requirements.extend(mark.args)
    if marker:
        check = CHECKS[marker.args[0]]
        return {
            "id": check.id,
            "title": check.title,
            "requirements": sorted(set(check.requirements) | set(requirements)),
            # a check of the shipped suite: an exception in it that is no Violation is the kit's error
            "suite": _in_suite_dir(item),
        }
    return {"id": item.nodeid.split("::")[-1], "title": item.name, "requirements": sorted(set(requirements))}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Let a scenario run past response-check violations to judge its own rule, then report all.

    The scenario's own violation comes first and response violations it went past are attached
    (``also``) - unless one of those broke a MUST: then the scenario's own failure may be only
    its consequence (a 404 because the SID it used was malformed), so the response violation is
    the failure and the scenario's rule is *blocked* by it (``blocked``), its story untold. If
    the scenario passed, or broke down on a malformed answer, the gravest response violation
    (MUST before SHOULD) is the failure and the others are attached.
    """
    with deferring_response_violations() as collected:
        try:
            result = yield
        except Exception as error:
            own = first_violation(error)
            root = [v for v in collected if v.level == "MUST" and (own is None or v.check_id != own.check_id)]
            if own is not None and root and own.check is not None and own.check.func is None:
                # The answers already broke a MUST response rule (a wrong SID, a body without
                # "sid"): the scenario's own verdict rests on them and is not judged; the
                # response violation is the failure, the scenario's rule is blocked by it.
                first = _gravest_first(collected)
                first.blocked.append(_own_rule(item) if own.check_id == STEP else own)
                raise first from None
            if own is not None:
                own.also.extend(v for v in collected if v.check_id != own.check_id)
                if own.check_id == STEP:  # a step it rests on broke: its own rule was not reached
                    own.blocked.append(_own_rule(item))
                raise
            if collected:
                # it broke down on an answer that had already broken the contract (a KeyError on
                # a body without "sid"): that violation is the failure, the rule itself blocked
                first = _gravest_first(collected)
                first.blocked.append(_own_rule(item))
                raise first from None
            raise
    if collected:
        raise _gravest_first(collected)
    return result


def _own_rule(item: pytest.Item) -> Violation:
    """A stand-in for the rule of the item's own check, to name it as blocked (never raised)."""
    marker = item.get_closest_marker("supersim_check")
    check_id = marker.args[0] if marker and marker.args and marker.args[0] in CHECKS else STEP
    return Violation(check_id, "not judged")


def _gravest_first(collected: list[Violation]) -> Violation:
    ordered = sorted(collected, key=lambda v: LEVELS.index(v.level))
    first = ordered[0]
    first.also.extend(ordered[1:])
    return first


def all_violations(error: BaseException | None) -> list[Violation]:
    """Every Violation a failed test raised: its first, those seen with it, the rest of a group."""
    found: list[Violation] = []

    def visit(exc: BaseException | None, depth: int) -> None:
        if exc is None or depth > 5:
            return
        if isinstance(exc, Violation):
            for v in (exc, *exc.also):
                if all(v is not seen for seen in found):
                    found.append(v)
            return
        for inner in getattr(exc, "exceptions", ()) or ():
            visit(inner, depth + 1)
        wrapped = getattr(exc, "exception", None)
        if isinstance(wrapped, BaseException):
            visit(wrapped, depth + 1)
        visit(exc.__cause__, depth + 1)

    visit(error, 0)
    return found


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome: Any = yield  # pluggy's Result (old-style hookwrapper)
    report = outcome.get_result()
    info = describe_item(item)
    violation = first_violation(call.excinfo.value) if call.excinfo is not None else None
    if violation is not None:
        info["violation"] = violation.to_dict()
        info["requirements"] = sorted(set(info["requirements"]) | set(violation.all_requirements()))
        info["failed_check"] = violation.check_id
    elif call.excinfo is not None and _not_recorded(call.excinfo.value):
        # a replay whose recording lacks a request: the recording's gap, reported as a failure (not a kit error)
        info["not_recorded"] = True
    expected = _expected_reason(item, info, violation)
    if expected and report.when == "call":
        if report.failed:
            report.outcome = "skipped"
            report.wasxfail = f"expected failure: {expected}"
        elif report.passed:
            report.wasxfail = f"expected to fail ({expected}) but passed: fixed"
    elif violation is not None and report.when == "call" and report.failed:
        found = _root_causes(all_violations(call.excinfo.value if call.excinfo is not None else None))
        info["level"] = min((v.level for v in found), key=LEVELS.index, default="MUST")
        strict = _strict(item)
        # under --strict every violation fails the run, so every broken requirement is failed
        info["must_requirements"] = sorted({r for v in found if strict or v.level == "MUST" for r in v.requirements})
        info["warned_requirements"] = sorted(
            {r for v in found if not strict and v.level != "MUST" for r in v.requirements}
        )
        if info["level"] != "MUST" and not strict:
            # only SHOULD/MAY requirements broken: a warning, which does not fail the run
            report.outcome = "passed"
            info["warned"] = True
    report.user_properties.append((PROPERTY, json.dumps(info)))


def _on_answers(violation: Violation) -> bool:
    """A rule judged on one answer (a RESP-* check, or a Schemathesis check on a generated one)."""
    return violation.check_id.startswith("GEN-ST-") or (
        violation.check is not None and violation.check.func is not None
    )


def _root_causes(found: list[Violation]) -> list[Violation]:
    """What a test's verdict names: when an answer broke a MUST rule, the multi-step rules that
    failed with it (GEN-STATEFUL's "a Sim just registered can be fetched", after its sid came
    back malformed) are its consequences, blocked, not broken requirements of their own."""
    if not any(v.level == "MUST" and _on_answers(v) for v in found):
        return found
    return [v for v in found if _on_answers(v) or v.check_id == STEP]


def _strict(item: pytest.Item) -> bool:
    """``--strict`` / ``--supersim-strict``: SHOULD and MAY violations fail like MUST ones."""
    settings = _settings(item)
    return bool(settings and settings.strict)


def _not_recorded(error: BaseException) -> bool:
    from conformance.cassettes.replay import NotRecorded

    return isinstance(error, NotRecorded) or isinstance(getattr(error, "__cause__", None), NotRecorded)


def first_violation(error: BaseException | None, _depth: int = 0) -> Violation | None:
    """The first Violation in an exception, an exception group (Schemathesis groups its
    failures) or their causes."""
    if error is None or _depth > 5:
        return None
    if isinstance(error, Violation):
        return error
    for inner in getattr(error, "exceptions", ()) or ():
        found = first_violation(inner, _depth + 1)
        if found is not None:
            return found
    wrapped = getattr(error, "exception", None)  # Schemathesis' CustomFailure keeps the original here
    if isinstance(wrapped, BaseException):
        found = first_violation(wrapped, _depth + 1)
        if found is not None:
            return found
    return first_violation(error.__cause__, _depth + 1)


def _expected_reason(item: pytest.Item, info: dict[str, Any], violation: Violation | None) -> str | None:
    """Why this test is expected to fail, or None.

    A passing test is "expected to fail" when its own check or one of its requirements is
    listed (so a fixed gap shows up as fixed). A failing test is an expected failure only
    when *every* violation it found is listed (by check ID or by one of the check's
    requirements): an expected gap never hides a different, unexpected failure.
    """
    sc_settings = _settings(item)
    if sc_settings is None:
        return None
    expected = sc_settings.expected_failures
    if not expected:
        return None

    def listed(ids) -> str | None:
        return next((ident for ident in ids if ident in expected), None)

    if violation is None:
        own = CHECKS.get(info["id"])
        match = listed([info["id"], *(own.requirements if own else info["requirements"])])
        return f"{match}: {expected[match]}" if match else None
    reasons = []
    for found in [violation, *violation.also]:
        match = listed([found.check_id, *found.requirements])
        if match is None:
            return None
        reasons.append(f"{match}: {expected[match]}")
    return "; ".join(dict.fromkeys(reasons))


_SETTINGS_KEY = pytest.StashKey[Settings]()


def _settings(item: pytest.Item) -> Settings | None:
    """The run's settings (read once per session), or None where the options give none."""
    sc_settings = item.config.stash.get(_SETTINGS_KEY, None)
    if sc_settings is None:
        try:
            sc_settings = settings_from_options(item.config.getoption)
        except ProfileError:
            return None
        item.config.stash[_SETTINGS_KEY] = sc_settings
    return sc_settings
