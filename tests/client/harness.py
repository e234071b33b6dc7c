"""Running the twilio-python scenarios three ways: live against the mock, recording, replaying.

* live: a reference mock with the default profile (fixed SIDs); the mock is reset before each
  scenario; its request log then tells what the client sent and whether any request broke the
  contract (``violations``).
* recording: the same, inside a vcrpy cassette (``conformance.cassettes.make_vcr``): host
  normalised to https://supersim.twilio.com, Authorization replaced by a credentials label.
* replay: no server; the client's base URL is https://supersim.twilio.com, vcrpy answers from
  the cassette with record_mode "none" (an unrecorded request raises, nothing is sent), and
  every recorded interaction must have been played.

Asynchronous updates stay scheduled for a minute (``ASYNC_DELAY``) unless a scenario settles
them, so a recording never depends on timing.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from conformance.cassettes import CANONICAL_BASE, make_vcr
from conformance.mock import RunningMock, start_mock
from conformance.profile import default_profile

from .scenarios import SCENARIOS, Context, Scenario

REPO = Path(__file__).resolve().parents[2]
CASSETTES = REPO / "cassettes"
ASYNC_DELAY = 60.0


def start() -> RunningMock:
    """A reference mock for the scenarios (default profile, loopback, port 0); stop it after use."""
    return start_mock(default_profile(), async_delay=ASYNC_DELAY)


def reset(mock: RunningMock) -> None:
    mock.state.flush()
    mock.state.reset()


def live_context(mock: RunningMock) -> Context:
    return Context(profile=mock.profile, base_url=mock.base_url, settle=mock.state.flush)


def replay_context() -> Context:
    return Context(profile=default_profile(), base_url=CANONICAL_BASE, settle=lambda: None)


def run_live(mock: RunningMock, scenario: Scenario) -> Context:
    """Run one scenario against a freshly reset mock; return its context (with the client's log)."""
    reset(mock)
    ctx = live_context(mock)
    scenario.run(ctx)
    return ctx


def record(mock: RunningMock, scenario: Scenario, directory: Path) -> Path:
    """Record one scenario, live against the mock, into ``directory/<name>.yaml`` (replacing it)."""
    path = directory / f"{scenario.name}.yaml"
    path.unlink(missing_ok=True)
    reset(mock)
    recorder = make_vcr(mock.base_url, mock.profile, directory, record_mode="all")
    with recorder.use_cassette(scenario.name):
        scenario.run(live_context(mock))
    return path


def replay(scenario: Scenario, directory: Path = CASSETTES) -> Any:
    """Replay one scenario from ``directory/<name>.yaml``; return the vcrpy cassette."""
    player = make_vcr(CANONICAL_BASE, default_profile(), directory, record_mode="none")
    with player.use_cassette(scenario.name, allow_playback_repeats=False) as cassette:
        scenario.run(replay_context())
    unplayed = len(cassette) - len(cassette.play_counts)
    assert cassette.all_played, f"{scenario.name}: {unplayed} recorded interaction(s) were never requested"
    return cassette


def record_all(directory: Path, names: Iterable[str] | None = None) -> list[Path]:
    """Record every scenario (or those named) into ``directory``, one cassette each."""
    directory.mkdir(parents=True, exist_ok=True)
    chosen = [SCENARIOS[name] for name in (names or SCENARIOS)]
    with start() as mock:
        return [record(mock, scenario, directory) for scenario in chosen]
