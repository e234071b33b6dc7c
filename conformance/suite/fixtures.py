"""Fixtures and hooks of a conformance run (loaded only for one: by the CLI's ``run`` or
``pytest --supersim-conformance``).

The hooks give every test report the check ID, title and requirement IDs it stands for and,
when it failed, the structured Violation; the collector (``conformance.collect``) turns those
into the run's reports, including under pytest-xdist, where these hooks run in the workers.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from conformance.checks import CHECKS, Violation, load_all
from conformance.profile import ProfileError
from conformance.suite.callbacks import CallbackReceiver
from conformance.suite.data import DataPool
from conformance.suite.settings import Settings, settings_from_options
from conformance.target import Target, TargetClient

PROPERTY = "supersim"


# --- run settings and clients ---------------------------------------------------------------

@pytest.fixture(scope="session")
def settings(request: pytest.FixtureRequest) -> Settings:
    """The run's target URL, profile, suite mode and generation settings."""
    try:
        return settings_from_options(request.config.getoption)
    except ProfileError as error:
        pytest.exit(f"supersim-conformance: {error}", returncode=2)


@pytest.fixture(scope="session")
def target(settings: Settings) -> Iterator[Target]:
    """The server under test, reached with timeouts, body caps and same-origin credentials."""
    target = Target(
        base_url=settings.target,
        profile=settings.profile,
        kind="live" if settings.is_live else "url",
        timeout=settings.timeout,
        min_interval=(1.0 / settings.rate) if settings.rate else 0.0,
    )
    yield target
    target.close()


def _client(target: Target, account_sid: str) -> TargetClient:
    return target.client(*target.profile.credentials(account_sid))


@pytest.fixture(scope="session")
def primary(target: Target) -> TargetClient:
    """A client authenticated as the profile's primary account."""
    return _client(target, target.profile.primary.sid)


@pytest.fixture(scope="session")
def subaccount(target: Target) -> TargetClient:
    """A client authenticated as the primary account's first subaccount (skips if none)."""
    subs = target.profile.subaccounts
    if not subs:
        pytest.skip("the profile has no subaccount of the primary account")
    return _client(target, subs[0].sid)


@pytest.fixture(scope="session")
def unrelated(target: Target) -> TargetClient:
    """A client authenticated as an account unrelated to the primary (skips if none)."""
    account = target.profile.unrelated
    if account is None:
        pytest.skip("the profile has no unrelated account (role = \"unrelated\")")
    return _client(target, account.sid)


@pytest.fixture(scope="session")
def anonymous(target: Target) -> TargetClient:
    """A client that sends no credentials at all."""
    return target.client(None, None)


@pytest.fixture(scope="session")
def pool(settings: Settings, primary: TargetClient) -> Iterator[DataPool]:
    """The profile's SIMs, cards and fleets, shared out between scenarios and workers."""
    pool = DataPool(settings.profile)
    yield pool
    if settings.full:
        _restore(pool, primary)


@pytest.fixture(scope="session")
def callbacks(settings: Settings) -> Iterator[CallbackReceiver]:
    """A loopback callback receiver; its URLs are public ones with --callback-url-base."""
    receiver = CallbackReceiver(settings.callback_url_base, timeout=settings.callback_timeout)
    yield receiver
    receiver.close()


@pytest.fixture
def full_suite(settings: Settings) -> None:
    """Skip a state-changing scenario in a read-only run."""
    if not settings.full:
        pytest.skip("changes state on the target; runs only with --suite full")


def _restore(pool: DataPool, client: TargetClient) -> None:
    """Put unique names and fleets back on SIMs the run changed, where the API allows it."""
    for original in pool.originals.values():
        exchange = client.get(f"/v1/Sims/{original.sid}", check=False)
        now = exchange.json() if exchange.status == 200 and exchange.is_json else None
        if not isinstance(now, dict):
            continue
        form = []
        if now.get("unique_name") != original.unique_name and original.unique_name:
            form.append(("UniqueName", original.unique_name))
        if now.get("fleet_sid") != original.fleet_sid and original.fleet_sid:
            form.append(("Fleet", original.fleet_sid))
        if form:
            client.post(f"/v1/Sims/{original.sid}", form=form, check=False)


# --- reporting hooks ------------------------------------------------------------------------

def pytest_configure(config: pytest.Config) -> None:
    load_all()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every suite test names a registered check; an unknown ID is a bug in the suite."""
    for item in items:
        marker = item.get_closest_marker("supersim_check")
        if marker and marker.args[0] not in CHECKS:
            raise pytest.UsageError(f"{item.nodeid}: unknown check ID {marker.args[0]!r}")


def describe_item(item: pytest.Item) -> dict[str, Any]:
    """Check ID, title and requirements a test stands for (from its markers)."""
    marker = item.get_closest_marker("supersim_check")
    requirements: list[str] = []
    for mark in item.iter_markers("supersim_requirement"):
        requirements.extend(mark.args)
    if marker:
        check = CHECKS[marker.args[0]]
        return {"id": check.id, "title": check.title, "requirements": sorted(set(check.requirements) | set(requirements))}
    return {"id": item.nodeid.split("::")[-1], "title": item.name, "requirements": sorted(set(requirements))}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    info = describe_item(item)
    violation = first_violation(call.excinfo.value) if call.excinfo is not None else None
    if violation is not None:
        info["violation"] = violation.to_dict()
        info["requirements"] = sorted(set(info["requirements"]) | set(violation.requirements))
        info["failed_check"] = violation.check_id
    expected = _expected_reason(item, info, violation)
    if expected and report.when == "call":
        if report.failed:
            report.outcome = "skipped"
            report.wasxfail = f"expected failure: {expected}"
        elif report.passed:
            report.wasxfail = f"expected to fail ({expected}) but passed: fixed"
    report.user_properties.append((PROPERTY, json.dumps(info)))


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
    return first_violation(error.__cause__, _depth + 1)


def _expected_reason(item: pytest.Item, info: dict[str, Any], violation: Violation | None) -> str | None:
    settings = item.config.stash.get(_SETTINGS_KEY, None)
    if settings is None:
        try:
            settings = settings_from_options(item.config.getoption)
        except ProfileError:
            return None
        item.config.stash[_SETTINGS_KEY] = settings
    expected = settings.expected_failures
    if not expected:
        return None
    ids = [info["id"], *info["requirements"]]
    if violation is not None:
        ids.insert(0, violation.check_id)
    for ident in ids:
        if ident in expected:
            return f"{ident}: {expected[ident]}"
    return None


_SETTINGS_KEY = pytest.StashKey[Settings]()
