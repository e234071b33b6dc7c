"""Fixtures for application tests: the reference mock, a twilio-python client aimed at it, a
callback receiver, and the contract validators.

``conformance.plugin`` registers this module in every pytest session of an environment where the
kit is installed, so it must cost nothing when unused: it imports only pytest at module level,
and the mock, twilio-python, pytest-httpserver and jsonschema are imported inside the fixtures.

Modelled on pytest-httpserver: one server per session (``make_supersim_mock``, session-scoped)
and a function-scoped fixture (``supersim_mock``) that hands it to a test reset to its profile's
initial state, then fails the test (at teardown) if the server thread logged an error meanwhile.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

if TYPE_CHECKING:
    from twilio.rest import Client

    from conformance.mock.server import RunningMock
    from conformance.mock.state import MockState
    from conformance.profile import Fleet, Profile, RegistrableCard
    from conformance.proxy import RunningProxy
    from conformance.suite.callbacks import CallbackReceiver, ReceivedCallback

#: Seconds an asynchronous update of ``supersim_mock`` stays ``scheduled`` (the mock's default).
DEFAULT_ASYNC_DELAY = 0.2
#: Seconds ``supersim_callbacks.wait`` waits by default.
DEFAULT_CALLBACK_TIMEOUT = 10.0
#: Loggers whose errors come from the mock's threads (the app's last-resort handler, the scheduler).
MOCK_LOGGER = "conformance.mock"
#: uvicorn's own error logger; only records from the mock's server thread count.
SERVER_LOGGER = "uvicorn.error"
MOCK_THREAD = "supersim-mock"


class MockServerError(AssertionError):
    """The reference mock logged an error in one of its threads while the test ran."""


class _ErrorLog(logging.Handler):
    """Collects ERROR records of the mock's loggers (thread-safe)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self._records: list[logging.LogRecord] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(MOCK_LOGGER) or record.threadName == MOCK_THREAD:
            with self._guard:
                self._records.append(record)

    def take(self) -> list[logging.LogRecord]:
        with self._guard:
            records, self._records = self._records, []
        return records


class SupersimMock:
    """The reference mock as a test sees it: where it is, who may call it, seeding, clock and logs.

    Accounts are named by role (``"primary"``, ``"subaccount"``, ``"unrelated"``) or by SID;
    every helper acts on the primary account unless told otherwise.
    """

    def __init__(self, running: RunningMock, *, async_delay: float = DEFAULT_ASYNC_DELAY) -> None:
        self.running = running
        self.async_delay = async_delay
        self._errors = _ErrorLog()
        for name in (MOCK_LOGGER, SERVER_LOGGER):
            logging.getLogger(name).addHandler(self._errors)

    # --- where and who --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash): what ``client.supersim.base_url`` takes."""
        return self.running.base_url

    @property
    def port(self) -> int:
        return self.running.port

    @property
    def profile(self) -> Profile:
        """The accounts, fleets, registrable cards and Sims the mock starts from."""
        return self.running.profile

    @property
    def state(self) -> MockState:
        """The mock's full state handle (``conformance.mock.state.MockState``), for anything not wrapped here."""
        return self.running.state

    def account_sid_of(self, account: str = "primary") -> str:
        """The SID of an account given by role or SID."""
        return account if account.startswith("AC") else self.profile.account(account).sid

    def credentials(self, account: str = "primary") -> tuple[str, str]:
        """``(account_sid, auth_token)`` of an account, by role or SID."""
        return self.running.credentials(account)

    @property
    def account_sid(self) -> str:
        """The primary account's SID."""
        return self.credentials()[0]

    @property
    def auth_token(self) -> str:
        """The primary account's Auth Token (it signs the callbacks of its Sims)."""
        return self.credentials()[1]

    def client(self, account: str = "primary") -> Client:
        """A twilio-python ``Client`` for an account, aimed at this mock (never through a proxy)."""
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        http = TwilioHttpClient()
        if http.session is not None:
            http.session.trust_env = False  # a loopback server: ignore HTTP(S)_PROXY
        client = Client(*self.credentials(account), http_client=http)
        client.supersim.base_url = self.base_url
        return client

    # --- seeding ----------------------------------------------------------------------------------
    def seed_sims(
        self,
        count: int = 1,
        *,
        status: str = "new",
        fleet: str | None = None,
        name_prefix: str | None = None,
        account: str = "primary",
    ) -> list[str]:
        """Add ``count`` Sims (no registration needed); names are ``{name_prefix}{n}``; return their SIDs.

        A ready or active Sim without ``fleet`` joins the account's first fleet: Twilio keeps no
        activated Sim outside a Fleet (errors 83007, 83008).
        """
        return self.state.seed_sims(
            self.account_sid_of(account), count, status=status, fleet=fleet, name_prefix=name_prefix
        )

    def seed_fleet(self, unique_name: str | None = None, *, account: str = "primary") -> Fleet:
        """Add a Fleet (fresh ``HF…`` SID) to an account; return it (``.sid``, ``.unique_name``)."""
        return self.state.seed_fleet(self.account_sid_of(account), unique_name)

    def add_card(self, iccid: str | None = None, registration_code: str | None = None) -> RegistrableCard:
        """Add a SIM card that can be registered with POST /v1/Sims (a fresh one by default)."""
        return self.state.add_card(iccid, registration_code)

    # --- time, usage, scheduled updates ---------------------------------------------------------------
    def advance_clock(self, seconds: float) -> list[str]:
        """Move the mock's clock forward; return the SIDs that became active (three-months rule)."""
        return self.state.advance_clock(seconds)

    def record_usage(
        self, sim: str, *, data_kb: float = 0, sms_commands: int = 0, ready_seconds: float = 0, account: str = "primary"
    ) -> dict[str, Any]:
        """Count data (kB) and SMS Commands of a ready/active Sim (by SID or unique name); may activate it."""
        return self.state.record_usage(
            self.account_sid_of(account), sim, data_kb=data_kb, sms_commands=sms_commands, ready_seconds=ready_seconds
        )

    def flush(self) -> int:
        """Finish every scheduled update now (callbacks are sent); return how many finished."""
        return self.state.flush()

    def set_async_delay(self, seconds: float) -> None:
        """Seconds asynchronous updates stay ``scheduled`` from now on (reset after the test)."""
        self.state.set_async_delay(seconds)

    # --- what the mock saw ------------------------------------------------------------------------------
    @property
    def requests(self) -> list[dict[str, Any]]:
        """Requests to the Sim API since the test began, oldest first (method, path, query, form, status, violations...)."""
        return self.state.requests

    @property
    def violations(self) -> list[dict[str, Any]]:
        """Request violations (unknown or mis-cased parameters, bad encodings...) with their request's method and path."""
        return self.state.violations

    @property
    def callbacks(self) -> list[dict[str, Any]]:
        """Callback deliveries the mock attempted (url, method, status or error)."""
        return self.state.callbacks

    def clear_requests(self) -> None:
        """Empty the request log."""
        self.state.clear_requests()

    def assert_no_violations(self) -> None:
        """Fail if any request the test sent broke the API's request rules (see ``violations``)."""
        __tracebackhide__ = True
        found = self.violations
        if found:
            lines = [
                f"  {v['method']} {v['path']}: {v['rule']} {v.get('parameter') or ''}: {v['message']}" for v in found
            ]
            raise AssertionError(f"{len(found)} request violation(s) seen by the supersim mock:\n" + "\n".join(lines))

    # --- lifecycle ------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the profile's initial state: scheduled updates finished, logs emptied, delay restored."""
        self.state.flush()
        self.state.reset()
        self.state.set_async_delay(self.async_delay)
        self._errors.take()

    def check_errors(self) -> None:
        """Raise ``MockServerError`` with what the mock's threads logged as errors since the last check."""
        __tracebackhide__ = True
        records = self._errors.take()
        if records:
            lines = []
            for record in records:
                lines.append(f"  [{record.threadName}] {record.name}: {record.getMessage()}")
                if record.exc_text or record.exc_info:
                    text = record.exc_text or (
                        logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
                    )
                    lines.extend("    " + line for line in text.splitlines())
            raise MockServerError("the supersim reference mock logged errors during this test:\n" + "\n".join(lines))

    def stop(self) -> None:
        for name in (MOCK_LOGGER, SERVER_LOGGER):
            logging.getLogger(name).removeHandler(self._errors)
        self.running.stop()

    def __repr__(self) -> str:
        return f"<SupersimMock {self.base_url}>"


class SupersimCallbacks:
    """The callbacks of asynchronous updates, received on loopback: a URL to give, and a way to wait."""

    def __init__(self, receiver: CallbackReceiver, *, timeout: float = DEFAULT_CALLBACK_TIMEOUT) -> None:
        self.receiver = receiver
        self.timeout = timeout

    @property
    def base_url(self) -> str:
        return self.receiver.public_base

    def url(self, label: str = "callback") -> str:
        """A fresh callback URL (pass it as ``CallbackUrl``); every call gives a new one."""
        return self.receiver.url_for(quote(label, safe=""))

    def received(self, url: str) -> list[ReceivedCallback]:
        """The callbacks that reached ``url`` so far (no waiting)."""
        return self.receiver.calls_to(url)

    def wait(self, url: str, *, count: int = 1, timeout: float | None = None) -> list[ReceivedCallback]:
        """Wait for ``count`` callbacks at ``url``; return them (``.params``, ``.method``, ``.headers``...), or fail."""
        __tracebackhide__ = True
        limit = self.timeout if timeout is None else timeout
        calls = self.receiver.wait(url, count=count, timeout=limit, settle=0)
        if len(calls) < count:
            raise AssertionError(f"expected {count} callback(s) at {url} within {limit:g} s, {len(calls)} arrived")
        return calls

    def verify_signature(self, callback: ReceivedCallback, auth_token: str) -> bool:
        """Whether ``X-Twilio-Signature`` is valid for ``auth_token`` (twilio-python's RequestValidator)."""
        from twilio.request_validator import RequestValidator

        signature = callback.headers.get("X-Twilio-Signature", "")
        params = {} if callback.method == "GET" else dict(callback.form)
        return bool(signature) and RequestValidator(auth_token).validate(callback.url, params, signature)

    def assert_signed(self, callback: ReceivedCallback, auth_token: str) -> None:
        """Fail (SIM-CB-009) unless the callback carries a valid ``X-Twilio-Signature`` for ``auth_token``."""
        __tracebackhide__ = True
        if not self.verify_signature(callback, auth_token):
            signature = callback.headers.get("X-Twilio-Signature") or "no X-Twilio-Signature header"
            raise AssertionError(
                f"SIM-CB-009: the {callback.method} callback to {callback.url} is not validly "
                f"signed for the given Auth Token (received {signature})"
            )


# --- the mock -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def supersim_mock_options() -> dict[str, Any]:
    """Options of the session's mock (profile, async_delay, strict, faults); override it in a conftest."""
    return {}


@pytest.fixture(scope="session")
def make_supersim_mock(supersim_mock_options: dict[str, Any]) -> Iterator[SupersimMock]:
    """The session's reference mock, started once on a free loopback port (tests use supersim_mock)."""
    from conformance.mock.server import start_mock
    from conformance.profile import load_profile

    options = {"async_delay": DEFAULT_ASYNC_DELAY, **supersim_mock_options}
    profile = options.pop("profile", None)
    if isinstance(profile, (str, os.PathLike)):
        profile = load_profile(profile)
    mock = SupersimMock(start_mock(profile, **options), async_delay=options["async_delay"])
    try:
        yield mock
    finally:
        mock.stop()


@pytest.fixture
def supersim_mock(make_supersim_mock: SupersimMock) -> Iterator[SupersimMock]:
    """The reference mock, reset to its profile's initial state for this test; its thread errors fail the test."""
    make_supersim_mock.reset()
    yield make_supersim_mock
    make_supersim_mock.check_errors()


@pytest.fixture
def supersim_client(supersim_mock: SupersimMock) -> Client:
    """A twilio-python Client with the primary account's credentials, pointed at supersim_mock."""
    return supersim_mock.client()


# --- callbacks ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def make_supersim_callbacks() -> Iterator[CallbackReceiver]:
    """The session's loopback callback receiver (pytest-httpserver); tests use supersim_callbacks."""
    from conformance.suite.callbacks import CallbackReceiver

    receiver = CallbackReceiver(timeout=DEFAULT_CALLBACK_TIMEOUT)
    try:
        yield receiver
    finally:
        receiver.close()


@pytest.fixture
def supersim_callbacks(make_supersim_callbacks: CallbackReceiver) -> SupersimCallbacks:
    """Callback receiver: url() for CallbackUrl, wait(url) for the callbacks, verify_signature(cb, token)."""
    return SupersimCallbacks(make_supersim_callbacks)


# --- the validating proxy -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def supersim_proxy_options() -> dict[str, Any]:
    """Options of the session's proxy (``upstream``: default the session's reference mock;
    ``observe_callbacks``, ``callback_timeout``, ``record``…); override it in a conftest."""
    return {}


@pytest.fixture(scope="session")
def make_supersim_proxy(
    request: pytest.FixtureRequest, supersim_proxy_options: dict[str, Any]
) -> Iterator[RunningProxy]:
    """The session's validating proxy, in front of ``supersim_proxy_options["upstream"]`` or of the
    session's reference mock (tests use supersim_proxy)."""
    from conformance.proxy import start_proxy

    options = dict(supersim_proxy_options)
    upstream = options.pop("upstream", None) or request.getfixturevalue("make_supersim_mock").base_url
    proxy = start_proxy(upstream, **options)
    try:
        yield proxy
    finally:
        proxy.stop()
        proxy.session.write_recording()  # with "record": the session's traffic, redacted


@pytest.fixture
def supersim_proxy(
    request: pytest.FixtureRequest, make_supersim_proxy: RunningProxy, supersim_proxy_options: dict[str, Any]
) -> Iterator[RunningProxy]:
    """The validating proxy with a fresh journal for this test (and, in front of the session's mock,
    the mock reset too); a MUST violation of the client or of the server fails the test at teardown,
    a SHOULD one is a warning. ``supersim_proxy.base_url`` is where the code under test sends."""
    import warnings

    if not supersim_proxy_options.get("upstream"):
        request.getfixturevalue("supersim_mock")  # reset to its profile, its thread errors fail the test
    make_supersim_proxy.reset()
    yield make_supersim_proxy
    # the callbacks this test's scheduled updates owe are this test's: wait for them (or their timeout)
    make_supersim_proxy.session.owed_callbacks(make_supersim_proxy.session.callback_timeout)
    for entry in make_supersim_proxy.journal.snapshot()["violations"]:
        if entry["level"] != "MUST":
            warnings.warn(f"supersim proxy: {entry['side']} [{entry['check']}] {entry['message']}", stacklevel=1)
    if make_supersim_proxy.failing():
        pytest.fail(
            "the validating proxy saw MUST violations of the Sim contract:\n" + make_supersim_proxy.explain(),
            pytrace=False,
        )


# --- validators ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def assert_valid_sim() -> Callable[[Any], dict[str, Any]]:
    """assert_valid_sim(doc): fail with requirement ID, JSON path, rule and value unless doc is a valid Sim."""
    from conformance.validators import assert_valid_sim as function

    return function


@pytest.fixture(scope="session")
def assert_valid_sim_page() -> Callable[[Any], dict[str, Any]]:
    """assert_valid_sim_page(doc): the same for a page of GET /v1/Sims (meta and every Sim in it)."""
    from conformance.validators import assert_valid_sim_page as function

    return function


@pytest.fixture(scope="session")
def assert_valid_callback() -> Callable[[Any], dict[str, Any]]:
    """assert_valid_callback(params): the same for a callback's parameters (dict, form string, or callback)."""
    from conformance.validators import assert_valid_callback as function

    return function


@pytest.fixture(scope="session")
def assert_valid_error() -> Callable[..., dict[str, Any]]:
    """assert_valid_error(doc, status=None): the same for Twilio's error body (status must match if given)."""
    from conformance.validators import assert_valid_error as function

    return function
