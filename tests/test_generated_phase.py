"""The generated phase (Schemathesis over openapi.yaml): green on the reference mock, red on planted faults.

Runs go through ``conformance.run.runner.run`` in-process, as ``supersim-conformance run -k ...`` does,
with few examples and a fixed seed, and are judged on report.json: the failing row must name
the domain check that targets the planted defect (``violation.check``), with a reproducing curl
that carries no token.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from types import SimpleNamespace

import pytest
from schemathesis.core.failures import Failure, FailureGroup

from conformance import contract
from conformance.checks import CHECKS, Violation, fail, load_all
from conformance.checks.generated import (
    GENERATED_CHECK_IDS,
    DomainFailure,
    basic_user,
    builtin_check_id,
    exchange_from,
)
from conformance.contract.exchange import Exchange
from conformance.mock.server import start_mock
from conformance.profile import default_profile, dump_profile
from conformance.suite.fixtures import first_violation

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
    assert set(CHECKS[violation["check"]].requirements) <= set(row["requirements"])
    assert violation["message"] and violation["exchange"]["curl"].startswith("curl ")
    token = default_profile().token_for(default_profile().primary.sid)
    assert token not in json.dumps(report)
    if fault == "page-size-over-max-accepted":
        assert "PageSize=1001" in violation["exchange"]["url"]


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
