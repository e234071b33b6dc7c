"""Fixtures for the reference mock's own tests.

One mock serves the whole session (like pytest-httpserver's ``make_httpserver``); the
function-scoped ``mock`` fixture resets it to the profile's initial state before each
test. Every Twilio-surface response that goes through an :class:`Api` client is checked
against the contract (sim, sim-page or error schema) before the test sees it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from conformance.contract import validate
from conformance.mock import RunningMock, start_mock

#: Delay of asynchronous updates in these tests (seconds).
DELAY = 0.05
#: The two lists a Sim's links point at (answered with an empty page, outside the contract).
SUB_RESOURCE_PATH = re.compile(r"^/v1/Sims/[^/]+/(BillingPeriods|IpAddresses)$")


def contract_kind(method: str, path: str, status: int) -> str | None:
    """Which contract schema a Twilio-surface response body must satisfy."""
    if not path.startswith("/v1/"):
        return "error" if status >= 400 else None
    if status >= 400:
        return "error"
    if SUB_RESOURCE_PATH.match(path):
        return None  # the Sim's sub-resources: outside the contract (tests/mock/test_mock_subresources.py)
    if path.rstrip("/") == "/v1/Sims" and method in ("GET", "HEAD"):
        return "sim-page"
    return "sim"


def assert_body(method: str, path: str, status: int, body: Any) -> Any:
    """Assert a decoded response body matches the contract schema for its request; return it."""
    kind = contract_kind(method, path, status)
    if kind is not None:
        errors = validate(kind, body)
        assert errors == [], f"{method} {path} -> {status}: " + "; ".join(map(str, errors))
    return body


def assert_contract(response: httpx.Response) -> Any:
    """The response's JSON body, after asserting it matches its contract schema."""
    request = response.request
    return assert_body(request.method, request.url.path, response.status_code, response.json())


class Api:
    """An httpx client for one account that validates every response against the contract."""

    def __init__(self, mock: RunningMock, sid: str, token: str | None):
        self.mock = mock
        self.sid = sid
        self.token = token
        auth = (sid, token) if token is not None else None
        self.client = httpx.Client(base_url=mock.base_url, auth=auth, timeout=10, trust_env=False)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        if response.request.method != "HEAD":
            assert_contract(response)
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def sim(self, ref: str) -> dict[str, Any]:
        response = self.get(f"/v1/Sims/{ref}")
        assert response.status_code == 200, response.text
        return response.json()

    def update(self, ref: str, **form: str) -> httpx.Response:
        return self.post(f"/v1/Sims/{ref}", data=form)

    def walk(self, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every Sim of a list, following next_page_url to the end."""
        response = self.get("/v1/Sims", params=params or {})
        sims: list[dict[str, Any]] = []
        for _ in range(100_000):
            assert response.status_code == 200, response.text
            page = response.json()
            sims += page["sims"]
            if page["meta"]["next_page_url"] is None:
                return sims
            response = self.get(page["meta"]["next_page_url"])
        raise AssertionError("next_page_url never became null")

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, f"/_mock/{path}", **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def close(self) -> None:
        self.client.close()


@pytest.fixture(scope="session")
def mock_server() -> Iterator[RunningMock]:
    """The session's reference mock (async delay 0.05 s); use ``mock`` to get it reset."""
    with start_mock(async_delay=DELAY) as running:
        yield running


@pytest.fixture
def mock(mock_server: RunningMock) -> RunningMock:
    """The session's reference mock, reset to the default profile's initial state."""
    mock_server.state.flush()
    mock_server.state.reset()
    mock_server.state.set_async_delay(DELAY)
    return mock_server


@pytest.fixture
def slow_async(mock: RunningMock) -> float:
    """Asynchronous updates take 0.4 s in this test, long enough to observe "scheduled" reliably."""
    mock.state.set_async_delay(0.4)
    return 0.4


@pytest.fixture
def api_for(mock: RunningMock) -> Iterator[Callable[..., Api]]:
    """Factory: ``api_for("subaccount")`` -> a contract-checking client for that account."""
    clients: list[Api] = []

    def make(role: str = "primary", index: int = 0) -> Api:
        account = mock.profile.accounts_with(role)[index]
        api = Api(mock, account.sid, mock.profile.token_for(account.sid))
        clients.append(api)
        return api

    yield make
    for api in clients:
        api.close()


@pytest.fixture
def api(api_for: Callable[..., Api]) -> Api:
    """A contract-checking client with the primary account's credentials."""
    return api_for("primary")


def _wait_for(condition: Callable[[], Any], timeout: float = 3.0, interval: float = 0.01) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture(scope="session")
def wait_for() -> Callable[..., Any]:
    """``wait_for(condition, timeout=3)``: poll until truthy, return the value, fail on timeout."""
    return _wait_for


@pytest.fixture(scope="session")
def check_contract() -> Callable[[httpx.Response], Any]:
    """``check_contract(response)``: assert a raw response body matches its contract schema."""
    return assert_contract


@pytest.fixture(scope="session")
def check_body() -> Callable[[str, str, int, Any], Any]:
    """``check_body(method, path, status, body)``: the same check for a body from any client."""
    return assert_body
