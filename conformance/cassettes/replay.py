"""``--target cassette:DIR``: re-check a recorded run offline, with no server and no network.

Design: in-process playback (no replay server). The suite's ``target`` fixture builds a
:class:`CassetteTarget`, a :class:`conformance.run.target.Target` whose httpx client has a
:class:`ReplayTransport`: it never opens a socket, it answers each request from the vcrpy
cassettes ``record`` wrote. Loading and matching are vcrpy's (``Cassette.load``, the
matchers of :mod:`conformance.cassettes`, ``find_requests_with_most_matches``).

Why not a loopback replay server: a server would answer a request it lacks with some HTTP
status, which the checks would then judge as a (wrong) answer of the target; in-process, a
missing interaction raises :class:`NotRecorded` inside the scenario that sent it, naming the
request, the cassette and the closest recorded request with what differs — the test fails
with exactly that message, and a request outside any scenario can never leak to the network
because the transport has no way to send it. The price is that only the suite's own client
replays; a foreign client wanting recorded answers would need vcrpy itself (the canonical
client cassettes show how: ``tests/client``).

Which directories replay: a ``record`` output, told by at least one cassette named after a suite
test module (``test_read.yaml``…; ``recording.json`` is optional, ``profile.toml`` or ``--profile``
needed). Anything else is refused before the run with one line saying what it is
(:func:`not_a_recording`): no ``*.yaml``; YAML that is no vcrpy cassette; the twilio-python scenario
cassettes of the kit's ``cassettes/`` (one per client scenario, replayed by the kit's own
``tests/client/test_client_replay.py``, :data:`SCENARIO_REPLAY`); other vcrpy cassettes; a
recording whose modules this version no longer has.

Which cassette answers: the one of the suite module that is running (``record`` writes one
cassette per suite test module), so a request repeated in two modules gets the answer it got
there. Within a cassette, equal requests are answered in recorded order and the last answer is
repeated once all are used (a poll that runs once more than when recording sees the final state).

What is not replayed: the generated (Schemathesis) phase (its requests are random, so a replay
would ask for requests never recorded), callback scenarios (a callback is an inbound request
from the target, timed by it) and every state-changing scenario (they use fresh random unique
names and real-time waits). A cassette target therefore runs the read-only suite; those tests
are skipped with that reason.
"""

from __future__ import annotations

import difflib
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from vcr.cassette import Cassette
from vcr.request import Request as VcrRequest

from conformance import CASSETTE_SCHEME
from conformance.cassettes import (
    CANONICAL_BASE,
    CREDENTIALS_HEADER,
    MATCH_ON,
    body_bytes,
    failed_matchers,
    matchers,
    request_filter,
)
from conformance.profile import Profile, load_profile
from conformance.run.target import Target

SCHEME = CASSETTE_SCHEME
PROFILE_FILE = "profile.toml"
RECORDING_FILE = "recording.json"

GENERATED_SKIP = (
    "the generated (Schemathesis) phase cannot replay from cassettes: its requests are random, "
    "so a replay would send requests that were never recorded"
)
CALLBACK_SKIP = (
    "callback scenarios cannot replay from cassettes: a callback is a request the target sends "
    "to the suite, at a time the target chooses"
)
FULL_SKIP = (
    "changes state on the target: a cassette replay runs the read-only scenarios only (state-changing "
    "ones use fresh unique names and real-time waits, so they cannot replay deterministically)"
)


class ReplayError(Exception):
    """A cassette directory that cannot be replayed (usage error, exit 2)."""


class NotRecorded(AssertionError):
    """The scenario sent a request the cassettes lack (a failure, never a network call)."""


def directory_of(target: str) -> Path:
    return Path(target[len(SCHEME) :]).expanduser()


def cassette_name(item: pytest.Item) -> str:
    """The cassette a suite test's requests live in: its module's name (``test_read``)."""
    return Path(str(item.path)).stem


# --- the cassette directory ----------------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    directory: Path
    profile_path: Path
    profile: Profile
    suite: str
    cassettes: tuple[Path, ...]


def open_recording(target: str, profile_path: str | None = None) -> Recording:
    """Check a ``cassette:DIR`` target before a run: the cassettes load, the profile is readable."""
    if not target[len(SCHEME) :].strip():
        raise ReplayError("a cassette target names a directory: cassette:DIR")
    directory = directory_of(target)
    if not directory.is_dir():
        raise ReplayError(f"{target}: no such directory (write one with `supersim-conformance record --out DIR`)")
    cassettes = tuple(sorted(directory.glob("*.yaml")))
    if not cassettes:
        raise ReplayError(f"{target}: the directory holds no cassettes (*.yaml): {_NOT_RECORDED_BY_US}; {_REPLAYS}")
    if not any(cassette.stem in suite_modules() for cassette in cassettes):
        raise ReplayError(f"{target}: {not_a_recording(directory, cassettes)}")
    path = Path(profile_path) if profile_path else directory / PROFILE_FILE
    if not path.is_file():
        raise ReplayError(
            f"{target}: no target profile: give --profile FILE or keep the {PROFILE_FILE} "
            "that `record` wrote beside the cassettes"
        )
    profile = load_profile(path)
    meta: dict[str, Any] = {}
    if (directory / RECORDING_FILE).is_file():
        try:
            meta = json.loads((directory / RECORDING_FILE).read_text(encoding="utf-8"))
        except ValueError as error:
            raise ReplayError(f"{directory / RECORDING_FILE}: not valid JSON: {error}") from None
    for cassette in cassettes:
        try:
            _load(cassette, profile)
        except Exception as error:
            reason = " ".join(str(error).split())
            raise ReplayError(f"{cassette}: not a readable vcrpy cassette: {reason}") from None
    return Recording(directory.resolve(), path.resolve(), profile, meta.get("suite", "read-only"), cassettes)


_NOT_RECORDED_BY_US = "not a `supersim-conformance record` output"
_REPLAYS = (
    "`run --target cassette:DIR` replays what `record --out DIR` writes "
    f"(one cassette per suite module, test_read.yaml…, with {RECORDING_FILE} and {PROFILE_FILE})"
)

#: What replays the twilio-python scenario cassettes (``cassettes/`` of the kit's repository).
SCENARIO_REPLAY = "python -m pytest tests/client/test_client_replay.py"


def suite_modules() -> frozenset[str]:
    """The cassette names a ``record`` output can hold: one per suite test module (``test_read``…)."""
    from conformance.plugin import SUITE_DIR

    return frozenset(path.stem for path in SUITE_DIR.glob("test_*.py") if path.stem != "test_generated")


def not_a_recording(directory: Path, cassettes: tuple[Path, ...]) -> str:
    """Why ``directory``, whose ``*.yaml`` files are named after no suite module, is no ``record`` output.

    Tells apart the twilio-python scenario cassettes of the kit's repository (``cassettes/``: one
    per client scenario, ``register.yaml``…, every request sent by twilio-python), other vcrpy
    cassettes, and YAML that is no cassette at all.
    """
    agents: set[str] = set()
    vcrpy: list[Path] = []
    for cassette in cassettes:
        interactions = _interactions(cassette)
        if interactions is not None:
            vcrpy.append(cassette)
            agents.update(_user_agent(interaction) for interaction in interactions)
    if not vcrpy:
        return (
            f"{_NOT_RECORDED_BY_US}: no file here is a vcrpy cassette ({_some(cassettes)}: "
            f"no `interactions` list); {_REPLAYS}"
        )
    if (directory / RECORDING_FILE).is_file():
        return (
            f"a `supersim-conformance record` output whose cassettes ({_some(tuple(vcrpy))}) are named after "
            f"no suite module of this version: re-record it; {_REPLAYS}"
        )
    if agents and all(agent.startswith("twilio-python/") for agent in agents):
        return (
            f"twilio-python scenario cassettes ({_some(tuple(vcrpy))}), {_NOT_RECORDED_BY_US}; they replay with "
            f"`{SCENARIO_REPLAY}` from the root of a clone of the kit (which replays the clone's cassettes/); "
            f"{_REPLAYS}"
        )
    return (
        f"{_NOT_RECORDED_BY_US}: its vcrpy cassettes ({_some(tuple(vcrpy))}) are named after no suite module; "
        f"{_REPLAYS}"
    )


def _some(paths: tuple[Path, ...]) -> str:
    if len(paths) <= 3:
        return ", ".join(path.name for path in paths)
    return f"{len(paths)} files: {paths[0].name}, {paths[1].name}, …"


def _interactions(path: Path) -> list[Any] | None:
    """The interactions of a vcrpy cassette as plain data, or None for a file that is not one."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except Exception:  # unreadable, not UTF-8, not YAML, too deeply nested: not a cassette
        return None
    interactions = data.get("interactions") if isinstance(data, dict) else None
    return interactions if isinstance(interactions, list) else None


def _user_agent(interaction: Any) -> str:
    """The ``User-Agent`` a recorded request was sent with (``""`` when none, or not a vcrpy interaction)."""
    request = interaction.get("request") if isinstance(interaction, dict) else None
    headers = request.get("headers") if isinstance(request, dict) else None
    if not isinstance(headers, dict):
        return ""
    value = next((value for name, value in headers.items() if str(name).lower() == "user-agent"), "")
    return str(value[0] if isinstance(value, list) and value else value or "")


def _load(path: Path, profile: Profile) -> Cassette:
    cassette = Cassette.load(
        path=str(path),
        match_on=matchers(),
        record_mode="none",
        before_record_request=request_filter(CANONICAL_BASE, profile),
    )
    if not len(cassette) and path.stat().st_size > 0:
        raise ValueError("no interactions could be read")
    return cassette


# --- playback ------------------------------------------------------------------------------------


class CassetteLibrary:
    """Every cassette of a directory, loaded once per process, with play counts per cassette."""

    def __init__(self, directory: Path, profile: Profile) -> None:
        self.directory = directory
        self.profile = profile
        self._filter = request_filter(CANONICAL_BASE, profile)
        self._cassettes: dict[str, Cassette] = {}
        self._counts: dict[str, Counter[int]] = {}
        self._lock = threading.Lock()

    def cassette(self, name: str) -> Cassette | None:
        if name not in self._cassettes:
            path = self.directory / f"{name}.yaml"
            self._cassettes[name] = _load(path, self.profile) if path.is_file() else None
            self._counts[name] = Counter()
        return self._cassettes[name]

    def play(self, request: VcrRequest) -> dict[str, Any]:
        """The recorded response to ``request`` in the current scene's cassette, or NotRecorded."""
        name = _scene.name
        wanted = self._filter(request)
        if wanted is None:
            raise NotRecorded(f"not recorded: {request.method} {request.uri} is not a request to {CANONICAL_BASE}")
        if name is None:
            raise NotRecorded(
                f"not recorded: {_describe(wanted)} was sent outside any suite test "
                "(cassettes hold the requests of suite tests only)"
            )
        with self._lock:
            cassette = self.cassette(name)
            if cassette is None:
                raise NotRecorded(
                    f"not recorded: {_describe(wanted)}: the recording has no cassette "
                    f"{name}.yaml for suite module {name} in {self.directory}"
                )
            matching = [i for i, stored in enumerate(cassette.requests) if not _differs(wanted, stored)]
            if not matching:
                raise NotRecorded(_mismatch(cassette, wanted))
            counts = self._counts[name]
            index = next((i for i in matching if counts[i] == 0), matching[-1])
            counts[index] += 1
            return cassette.responses[index]


def _differs(a: VcrRequest, b: VcrRequest) -> bool:
    for matcher in matchers():
        try:
            matcher(a, b)
        except AssertionError:
            return True
    return False


def _describe(request: VcrRequest) -> str:
    text = f"{request.method} {request.uri}"
    data = body_bytes(request.body)
    if data:
        text += f" with body {data[:300].decode('utf-8', 'replace')!r}"
    credentials = request.headers.get(CREDENTIALS_HEADER)
    return text + (f" (credentials: {credentials})" if credentials else "")


def _mismatch(cassette: Cassette, request: VcrRequest) -> str:
    """Like vcrpy's CannotOverwriteExistingCassetteException: the request, then the closest ones."""
    lines = [
        f"not recorded: {_describe(request)}",
        f"  cassette: {cassette.path} ({len(cassette)} interactions; match_on: {', '.join(MATCH_ON)})",
    ]
    closest = cassette.find_requests_with_most_matches(request)
    # vcrpy ranks by the number of matchers passed; among equals, the most similar text first.
    wanted = _describe(request)
    closest.sort(key=lambda found: -difflib.SequenceMatcher(None, wanted, _describe(found[0])).ratio())
    if not closest:
        lines.append("  nothing similar was recorded")
    for stored, _succeeded, _failed in closest[:3]:
        lines.append(f"  closest recorded: {_describe(stored)}")
        for matcher, difference in failed_matchers(request, stored):
            lines.append(f"    {matcher} differs: {difference} (this request != recorded)")
    if len(closest) > 3:
        lines.append(f"  …and {len(closest) - 3} more as close")
    lines.append("  (re-record with `supersim-conformance record`, or check what changed in the suite)")
    return "\n".join(lines)


class _SceneHolder:
    """Which cassette answers now: set for the duration of each suite test (all threads see it)."""

    name: str | None = None


_scene = _SceneHolder()


@contextmanager
def scene(name: str) -> Iterator[None]:
    previous, _scene.name = _scene.name, name
    try:
        yield
    finally:
        _scene.name = previous


class ReplayTransport(httpx.BaseTransport):
    """An httpx transport that answers from cassettes and has no way to reach the network."""

    def __init__(self, library: CassetteLibrary) -> None:
        self.library = library

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        vcr_request = VcrRequest(request.method, str(request.url), body or None, dict(request.headers))
        recorded = self.library.play(vcr_request)
        status = recorded["status"]
        headers = [
            (name, value)
            for name, values in (recorded.get("headers") or {}).items()
            for value in (values if isinstance(values, list) else [values])
        ]
        message = status.get("message")
        return httpx.Response(
            status["code"],
            headers=headers,
            stream=httpx.ByteStream(body_bytes(recorded["body"].get("string"))),
            extensions={"reason_phrase": message.encode("ascii", "replace")} if message else None,
            request=request,
        )


@dataclass
class CassetteTarget(Target):
    """A Target answered by a :class:`CassetteLibrary` (base URL: the canonical host)."""

    library: CassetteLibrary | None = field(default=None, repr=False)

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            if self.library is None:
                raise RuntimeError("a CassetteTarget needs its library (build it with cassette_target())")
            self._http = httpx.Client(
                transport=ReplayTransport(self.library), timeout=self.timeout, follow_redirects=False
            )
        return self._http


def cassette_target(target: str, profile: Profile, *, timeout: float = 10.0) -> CassetteTarget:
    """The suite's target for ``cassette:DIR`` (called once per session by the ``target`` fixture)."""
    library = CassetteLibrary(directory_of(target).resolve(), profile)
    return CassetteTarget(base_url=CANONICAL_BASE, profile=profile, timeout=timeout, library=library)


# --- pytest wiring (registered by conformance.suite.fixtures for a cassette target) --------------


class ReplayPlugin:
    """Skips what cannot replay and tells the library which suite module is running."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            if cassette_name(item) == "test_generated":
                item.add_marker(pytest.mark.skip(reason=GENERATED_SKIP))
            elif "sc_callbacks" in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.skip(reason=CALLBACK_SKIP))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        with scene(cassette_name(item)):
            return (yield)
