"""twilio-python against the reference mock: what it parses (asserted in each scenario) and what it
sends (the mock's request log after each scenario holds no request violation)."""

from __future__ import annotations

import httpx
import pytest

from . import harness
from .scenarios import SCENARIOS


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_live(scenario_mock, name):
    ctx = harness.run_live(scenario_mock, SCENARIOS[name])
    logged = scenario_mock.state.requests
    assert len(logged) == len(ctx.log) > 0, "every request the client sent reached the mock's log"
    assert [(entry["method"], entry["status"]) for entry in logged] == [(m, status) for m, _url, status in ctx.log]
    assert all(entry["operation"] for entry in logged), [e["path"] for e in logged if not e["operation"]]
    found = [(v["rule"], v["parameter"]) for v in scenario_mock.state.violations]
    assert found == list(SCENARIOS[name].violations), scenario_mock.state.violations


def test_violation_log_over_http_catches_a_badly_sent_request(scenario_mock):
    """The log the live tests rely on is not vacuous: GET /_mock/violations reports a wrongly cased parameter."""
    harness.run_live(scenario_mock, SCENARIOS["filter_status"])
    auth = scenario_mock.credentials("primary")
    with httpx.Client(base_url=scenario_mock.base_url, auth=auth, timeout=10, trust_env=False) as http:
        assert http.get("/_mock/violations").json() == {"violations": []}
        http.get("/v1/Sims", params={"pageSize": 5})
        violations = http.get("/_mock/violations").json()["violations"]
    assert [(v["rule"], v["parameter"]) for v in violations] == [("parameter-casing", "pageSize")]
