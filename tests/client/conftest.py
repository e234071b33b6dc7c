"""Fixtures of the twilio-python regression tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from conformance.mock import RunningMock

from . import harness


@pytest.fixture(scope="session")
def scenario_mock() -> Iterator[RunningMock]:
    """A reference mock with the default profile for the scenarios (reset by each scenario run)."""
    with harness.start() as mock:
        yield mock


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Any attempt to open a socket connection fails the test (and is listed)."""
    attempts: list[object] = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"a replayed scenario tried to open a connection to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts
