"""The generated phase (Schemathesis over openapi.yaml): green on the reference mock, red on planted faults.

Runs go through ``conformance.run.runner.run`` in-process, as ``supersim-conformance run -k ...`` does,
with few examples and a fixed seed, and are judged on report.json: the failing row must name
the domain check that targets the planted defect (``violation.check``), with a reproducing curl
that carries no token.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from schemathesis.core.failures import Failure, FailureGroup

from conformance import contract
from conformance.checks import CHECKS, Violation, fail, load_all
from conformance.checks.generated import (
    GEN_STATEFUL,
    GENERATED_CHECK_IDS,
    DomainFailure,
    basic_user,
    bind_target,
    builtin_check_id,
    domain_checks_registered,
    exchange_from,
)
from conformance.contract.exchange import Exchange
from conformance.mock.server import start_mock
from conformance.profile import default_profile, dump_profile
from conformance.run.settings import Settings
from conformance.run.target import Target
from conformance.suite.callbacks import CallbackReceiver
from conformance.suite.fixtures import first_violation
from conformance.suite.stateful_machine import CardSpec, StatefulOutcome, StatefulRun, hypothesis_settings
from conformance.suite.test_generated import load_schema, stateful_phase

load_all()
SEED = 1
#: RFC 9110 safe methods: all a read-only run may send.
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
OPERATIONS = ("ListSim", "FetchSim", "CreateSim", "UpdateSim")


def run_generated(
    tmp_path,
    keyword: str,
    *,
    max_examples: int = 5,
    target: str | None = None,
    profile: str | None = None,
    suite: str | None = None,
    faults: tuple[str, ...] = (),
) -> tuple[int, dict]:
    """``supersim-conformance run`` in its own process, as a user runs it (a nested in-process
    pytest session would share Hypothesis' and Schemathesis' global state with this one)."""
    report_dir = tmp_path / "report"
    args = [
        sys.executable,
        "-m",
        "conformance",
        "run",
        "-k",
        keyword,
        "--report-dir",
        str(report_dir),
        "--max-examples",
        str(max_examples),
        "--seed",
        str(SEED),
        "--no-progress",
    ]
    for flag, value in (("--target", target), ("--profile", profile), ("--suite", suite)):
        if value:
            args += [flag, value]
    for fault in faults:
        args += ["--fault", fault]
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads((report_dir / "report.json").read_text())


def unexplained_failures(report: dict) -> list[str]:
    return [f"{r['nodeid']}: {r['message']}" for r in report["results"] if r["outcome"] in ("failed", "errored")]


# --- the phase against the reference mock -------------------------------------------------------


@pytest.mark.slow
def test_generated_phase_passes_on_the_reference_mock(tmp_path):
    code, report = run_generated(tmp_path, "generated", max_examples=10)
    assert not unexplained_failures(report), unexplained_failures(report)
    assert code == 0
    rows = {r["nodeid"].split("::")[-1]: r for r in report["results"]}
    expected = {
        f"test_generated[{phase}-{op}]"
        for phase in ("examples", "coverage", "fuzz-positive", "fuzz-negative")
        for op in OPERATIONS
    } | {"test_generated_stateful"}
    assert set(rows) == expected
    assert {r["id"] for r in rows.values()} == set(GENERATED_CHECK_IDS)
    assert all(r["outcome"] == "passed" for r in rows.values())


@pytest.mark.slow
def test_read_only_run_generates_only_reads(tmp_path):
    with start_mock() as mock:
        profile = tmp_path / "profile.toml"
        profile.write_text(dump_profile(mock.profile), encoding="utf-8")
        code, report = run_generated(
            tmp_path, "generated", target=mock.base_url, profile=str(profile), suite="read-only"
        )
        writes = [
            f"{e['method']} {e['path']} -> {e['status']}"
            for e in mock.state.requests
            if e["method"] not in SAFE_METHODS
        ]
    assert writes == [], writes
    assert not unexplained_failures(report), unexplained_failures(report)
    for result in report["results"]:
        writing = "CreateSim" in result["nodeid"] or "UpdateSim" in result["nodeid"] or "stateful" in result["nodeid"]
        assert (result["outcome"] == "skipped") == writing, result


# --- planted faults: the phase fails on the check that targets them -------------------------------

#: fault, -k selection, the checks any one of which must be named by the failing row
FAULTS = [
    ("lowercase-sid-prefix", "examples-ListSim", {"RESP-PAGE-SCHEMA"}),
    # Which of these a stateful run names first depends on the step Hypothesis draws; each
    # catches this defect (the sid breaks its pattern, and the url no longer matches it).
    ("lowercase-sid-prefix", "generated_stateful", {"RESP-SIM-SCHEMA", "RESP-SIM-URL", "GEN-ST-SCHEMA"}),
    ("relative-urls", "examples-ListSim", {"RESP-PAGE-HOST", "RESP-PAGE-SCHEMA", "RESP-SIM-URL"}),
    ("error-body-not-twilio", "examples-FetchSim", {"RESP-ERROR-BODY"}),
    # PageSize=1001 is the coverage phase's max+1 case: accepted, it answers a page_size over 1000.
    ("page-size-over-max-accepted", "coverage-ListSim", {"RESP-PAGE-SCHEMA", "GEN-ST-NEGATIVE-DATA"}),
    ("ignore-status-filter", "coverage-ListSim", {"RESP-FILTER-STATUS"}),
    ("create-returns-200", "generated_stateful", {"RESP-CREATE", "GEN-ST-STATUS"}),
    # Schemathesis' own ignored_auth check, reported under the kit's GEN-ST-AUTH.
    ("accept-wrong-credentials", "examples-ListSim", {"GEN-ST-AUTH"}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "keyword", "expected"), FAULTS, ids=[f"{f}-{k}" for f, k, _ in FAULTS])
def test_planted_fault_fails_on_its_check(tmp_path, fault, keyword, expected):
    code, report = run_generated(tmp_path, keyword, faults=[fault])
    assert code == 1, report["results"]
    failing = [r for r in report["results"] if r["outcome"] == "failed" and r.get("violation")]
    named = {r["violation"]["check"] for r in failing}
    assert named & expected, f"{fault} was reported as {named}, expected one of {expected}"
    row = next(r for r in failing if r["violation"]["check"] in expected)
    violation = row["violation"]
    assert (
        set(violation["requirements"])
        <= set(row["requirements"])
        <= set(row["requirements"]) | set(CHECKS[violation["check"]].requirements)
    )
    assert violation["message"] and violation["exchange"]["curl"].startswith("curl ")
    token = default_profile().token_for(default_profile().primary.sid)
    assert token not in json.dumps(report)
    if fault == "page-size-over-max-accepted":
        assert "PageSize=1001" in violation["exchange"]["url"]


# --- the stateful phase: what it draws never depends on the target ------------------------------

#: Examples per in-process stateful run (the default run has 25; these tests run many).
STATEFUL_EXAMPLES = 10


@contextlib.contextmanager
def stateful_harness(mock) -> Iterator[Callable[..., StatefulOutcome]]:
    """Run the stateful machine in this process as ``test_generated_stateful`` does (domain checks
    registered, the target bound, the profile's first two registrable cards, a callback receiver),
    with its ``set_status`` rule on: it assigns the mock's fleets, so updates are asynchronous."""
    receiver = CallbackReceiver()
    profile = mock.profile
    cards = [CardSpec(c.iccid, c.registration_code) for c in profile.registrable_for(profile.primary.sid)][:2]

    fleets = profile.fleets_of(profile.primary.sid)

    def run(seed: int, *, base_url: str | None = None, max_examples: int = STATEFUL_EXAMPLES) -> StatefulOutcome:
        target = Target(base_url=base_url or mock.base_url, profile=profile)
        settings = Settings(target=target.base_url, profile=profile, max_examples=max_examples, seed=seed)
        with domain_checks_registered(), bind_target(target):
            run = StatefulRun(
                load_schema(settings, "stateful"),
                cards,
                callback_url=receiver.url_for("stateful"),
                fleet_refs=[(f.sid, f.unique_name) for f in fleets],
                # this mock is the test's own: set_status may assign its fleets (the suite's may not)
                fleets=[f.sid for f in fleets],
            )
            return run.run(hypothesis_settings(run.schema, max_examples), seed=seed)

    try:
        yield run
    finally:
        receiver.close()


def run_phase(mock, seed: int) -> StatefulOutcome:
    """The suite's own ``stateful_phase`` (what ``test_generated_stateful`` calls), in this process."""
    receiver = CallbackReceiver()
    profile = mock.profile
    cards = [CardSpec(c.iccid, c.registration_code) for c in profile.registrable_for(profile.primary.sid)][:2]
    target = Target(base_url=mock.base_url, profile=profile)
    settings = Settings(target=mock.base_url, profile=profile, max_examples=STATEFUL_EXAMPLES, seed=seed)
    try:
        with domain_checks_registered(), bind_target(target):
            return stateful_phase(settings, cards, callback_url=receiver.url_for("stateful"), target=target)
    finally:
        receiver.close()


@pytest.mark.slow
def test_stateful_phase_is_never_flaky_against_a_correct_target():
    """The suite's stateful phase, 15 runs with 15 seeds against one mock whose state each run
    inherits from the last (its cards registered, their Sims updated): no Flaky* error, no skip,
    no failure."""
    answers: Counter[str] = Counter()
    steps: Counter[str] = Counter()
    started = time.monotonic()
    with start_mock(async_delay=0.02) as mock:
        for seed in range(1, 16):
            try:
                outcome = run_phase(mock, seed)
            except pytest.skip.Exception as skip:  # would make this test a skip, not a pass
                pytest.fail(f"seed {seed}: the stateful phase skipped: {skip}")
            assert outcome.sent and outcome.examples >= STATEFUL_EXAMPLES, (seed, outcome)
            answers.update(outcome.answers)
            steps.update(outcome.steps)
    # The answers that depend on what earlier runs did, which made the link-based machine flaky.
    assert answers["POST /v1/Sims 201"] == 2 and answers["POST /v1/Sims 409"], answers
    assert steps["resolve-lookup"] and steps["update-accepted"] and steps["by-name"], steps
    assert "set_status" not in steps  # the suite assigns no fleet (see stateful_phase)
    assert time.monotonic() - started < 90


@pytest.mark.slow
def test_stateful_machine_is_never_flaky_while_updates_complete_asynchronously():
    """With ``set_status`` on (the mock's fleets assigned): 8 seeds against one mock, updates
    answering 202, the Sims ``scheduled`` and refusing updates (409) until each completes 20 ms
    later, in the middle of Hypothesis' examples. No Flaky* error, no failure."""
    answers: Counter[str] = Counter()
    with start_mock(async_delay=0.02) as mock, stateful_harness(mock) as run:
        for seed in range(1, 9):
            outcome = run(seed)
            assert not outcome.violations and not outcome.errors, (seed, outcome.violations, outcome.errors)
            answers.update(outcome.answers)
    for answer in ("POST /v1/Sims/{Sid} 202", "POST /v1/Sims/{Sid} 409", "POST /v1/Sims 409"):
        assert answers[answer], (answer, answers)


@pytest.mark.slow
def test_stateful_draws_are_the_same_whatever_the_target_answers():
    """One seed against a fresh mock and against one a run has used (its cards registered, its Sims
    changed): the same steps with the same drawn arguments, though the answers differ."""
    with start_mock(async_delay=0.02) as fresh, start_mock(async_delay=0.02) as used:
        with stateful_harness(used) as run_used:
            run_used(99)
            second = run_used(7)
        with stateful_harness(fresh) as run_fresh:
            first = run_fresh(7)
    assert not first.violations and not second.violations, first.violations + second.violations
    assert first.answers != second.answers  # 201 on the fresh mock, 409 on the used one
    assert first.answers["POST /v1/Sims 201"] and not second.answers["POST /v1/Sims 201"]
    # the same steps and arguments; only the callback receivers' URLs differ
    assert same_callback(first.trace) == same_callback(second.trace)
    assert len(first.trace) >= STATEFUL_EXAMPLES


def same_callback(trace: list) -> str:
    return re.sub(r"http://127\.0\.0\.1:\d+/cb/[\w-]+", "<callback receiver>", repr(trace))


@pytest.mark.slow
def test_stateful_kit_errors_and_unreachable_targets_end_the_phase_without_replays(monkeypatch):
    """A kit error inside a step is raised as itself after the run (Hypothesis never saw it, so
    it neither shrank nor replayed); a target that does not answer is the phase's error."""
    with start_mock(async_delay=0.02) as mock, stateful_harness(mock) as run:

        def broken(self, *args):
            raise KeyError("the kit's own bug")

        with monkeypatch.context() as patch:
            patch.setattr(StatefulRun, "observe", broken)
            with pytest.raises(KeyError, match="the kit's own bug"):
                run(SEED, max_examples=3)
        outcome = run(SEED, base_url="http://127.0.0.1:9", max_examples=3)
    assert outcome.errors and "ConnectionError" in outcome.errors[0], outcome.errors
    assert outcome.sent == 0 and not outcome.violations


# --- the stateful phase's own cross-step checks have teeth --------------------------------------

SIM_PATH = re.compile(r"^/v1/Sims/[^/?]+$")
NOT_FOUND = {
    "code": 20404,
    "message": "not found",
    "more_info": "https://www.twilio.com/docs/errors/20404",
    "status": 404,
}


def _other_date(method: str, path: str, status: int, body: Any, memory: dict) -> tuple[int, Any]:
    if method == "GET" and SIM_PATH.match(path) and status == 200 and isinstance(body, dict):
        body["date_created"] = "2001-02-03T04:05:06Z"
    return status, body


def _fetch_not_found(method: str, path: str, status: int, body: Any, memory: dict) -> tuple[int, Any]:
    if method == "GET" and SIM_PATH.match(path):
        return 404, NOT_FOUND
    return status, body


def _stale_fetch(method: str, path: str, status: int, body: Any, memory: dict) -> tuple[int, Any]:
    if method == "GET" and SIM_PATH.match(path) and status == 200:
        return status, memory.setdefault(path, body)  # a cache that never refreshes
    return status, body


def _list_empty(method: str, path: str, status: int, body: Any, memory: dict) -> tuple[int, Any]:
    if method == "GET" and path == "/v1/Sims" and status == 200 and isinstance(body, dict):
        body["sims"] = []
    return status, body


@contextlib.contextmanager
def rewriting_proxy(upstream_port: int, rewrite: Callable[..., tuple[int, Any]]) -> Iterator[str]:
    """A loopback proxy to the mock that passes each JSON answer through ``rewrite``."""
    memory: dict[str, Any] = {}
    lock = threading.Lock()

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self) -> None:
            data = self.rfile.read(int(self.headers.get("content-length") or 0))
            upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=10)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
                upstream.request(self.command, self.path, body=data or None, headers=headers)
                response = upstream.getresponse()
                status, content = response.status, response.read()
                kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_HEADERS]
            finally:
                upstream.close()
            try:
                body = json.loads(content)
            except ValueError:
                body = None
            if body is not None:
                with lock:
                    status, body = rewrite(self.command, urlsplit(self.path).path, status, body, memory)
                content = json.dumps(body).encode()
            self.send_response(status)
            for name, value in kept:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_TRACE = do_HEAD = answer

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


HOP_HEADERS = ("content-length", "transfer-encoding", "connection", "date", "server")

#: (what the proxy breaks, how, text the GEN-STATEFUL violation's message must contain)
INCONSISTENT_TARGETS = [
    ("fetch-shows-another-date-created", _other_date, "date_created"),
    ("sim-just-registered-not-found", _fetch_not_found, "was just registered"),
    ("fetch-after-update-is-stale", _stale_fetch, "the fetch right after shows"),
    ("list-by-iccid-misses-the-sim", _list_empty, "the list by its Iccid shows []"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "rewrite", "text"), INCONSISTENT_TARGETS, ids=[t[0] for t in INCONSISTENT_TARGETS])
def test_stateful_cross_step_checks_catch_an_inconsistent_target(name, rewrite, text):
    with start_mock(async_delay=0.02) as mock, rewriting_proxy(mock.port, rewrite) as url:
        with stateful_harness(mock) as run:
            outcome = run(SEED, base_url=url)
    stateful = [v for v in outcome.violations if v.check_id == GEN_STATEFUL]
    assert any(text in v.message for v in stateful), [v.message for v in outcome.violations]
    violation = next(v for v in stateful if text in v.message)
    assert violation.exchange is not None and violation.exchange.url.startswith(url)
    assert set(CHECKS[GEN_STATEFUL].requirements) == set(violation.requirements)
    assert not outcome.errors


# --- the pieces --------------------------------------------------------------------------------


def _violation() -> Violation:
    load_all()
    try:
        fail(
            "RESP-ERROR-BODY",
            "the 404 answer is not Twilio's error body",
            expected="Twilio's error body",
            received='{"error": "not found"}',
            exchange=Exchange("GET", "http://127.0.0.1:1/v1/Sims/x", "AC" + "1" * 32),
        )
    except Violation as violation:
        return violation
    raise AssertionError("unreachable")


def test_domain_failure_is_a_violation_schemathesis_keeps_as_is():
    failure = DomainFailure(_violation(), operation="GET /v1/Sims/{Sid}")
    assert isinstance(failure, Failure) and isinstance(failure, Violation)
    assert failure.to_dict()["message"] == "the 404 answer is not Twilio's error body"
    assert "SIM-ERR-002" in failure.message and "TWILIO_AUTH_TOKEN" in failure.message
    group = FailureGroup([failure])
    assert first_violation(group) is failure


def test_exchange_keeps_the_account_sid_never_the_token():
    token = "secret-token-value"
    sid = "AC" + "a" * 32
    request = SimpleNamespace(
        method="POST",
        url="http://127.0.0.1:1/v1/Sims/HS1?x=1",
        body=b"UniqueName=a+b&Fleet=",
        headers={
            "Authorization": "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    response = SimpleNamespace(
        request=request,
        status_code=404,
        headers={"Content-Type": ["application/json"]},
        content=b'{"code": 20404}',
        encoding="utf-8",
        elapsed=0.01,
    )
    exchange = exchange_from(response)
    assert exchange.account_sid == sid and exchange.form == [("UniqueName", "a b"), ("Fleet", "")]
    assert exchange.response_headers == {"content-type": "application/json"}
    assert token not in json.dumps(exchange.to_dict()) + exchange.curl()
    assert basic_user("Bearer abc") is None and basic_user("Basic !!!") is None


def test_generated_check_ids_name_catalogued_requirements():
    catalog = {entry["id"] for entry in contract.load_catalog()}
    ids = [c for c in CHECKS if c.startswith("GEN-")]
    assert set(GENERATED_CHECK_IDS) <= set(ids)
    for check_id in ids:
        assert set(CHECKS[check_id].requirements) <= catalog, check_id
    assert builtin_check_id("negative_data_rejection") == "GEN-ST-NEGATIVE-DATA"
    assert builtin_check_id("some_plugin_check") == "GEN-ST-OTHER"
