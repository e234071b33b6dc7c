"""twilio-node against the reference mock: what it parses (asserted in Node, in each scenario of
``scenarios.mjs``) and what it sends (after each scenario the mock's request log holds exactly the
client's requests and no request violation but the one a scenario commits on purpose).

The twin of ``tests/client/test_client_live.py``. Skipped, with the reason, where Node.js or the
pinned twilio-node install (``npm ci --prefix tests/client_node``) is missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from conformance.mock import RunningMock

from . import harness

SCENARIOS = harness.declared("scenario")
PROBES = harness.declared("probe")


@pytest.fixture(scope="module")
def node_mock() -> Iterator[RunningMock]:
    """A reference mock with the default profile (reset before each scenario), only where Node can run."""
    reason = harness.unavailable()
    if reason:
        pytest.skip(reason)
    with harness.start_mock_for_node() as mock:
        yield mock


@pytest.fixture(scope="module")
def node(node_mock: RunningMock) -> Iterator[harness.NodeScenarios]:
    """One Node process running the scenarios against ``node_mock``, one at a time."""
    runner = harness.NodeScenarios(node_mock)
    yield runner
    runner.close()


def run(node: harness.NodeScenarios, mock: RunningMock, name: str) -> dict[str, Any]:
    """Reset the mock, run one scenario in Node, fail with Node's own message if it failed there."""
    harness.reset(mock)
    result = node.run(name)
    assert result["ok"], f"{name} failed in twilio-node:\n{result['error']}{node.stderr()}"
    return result


def _query(query_string: str) -> list[tuple[str, str]]:
    return sorted(parse_qsl(query_string, keep_blank_values=True))


def assert_logged(mock: RunningMock, result: dict[str, Any]) -> None:
    """Every request twilio-node made reached the mock, as sent (method, path, query, status), and no other."""
    logged = mock.state.requests
    sent = result["requests"]
    assert len(logged) == len(sent) > 0, "every request the client sent reached the mock's log"
    assert [(e["method"], e["path"], _query(e["query_string"]), e["status"]) for e in logged] == [
        (r["method"], urlsplit(r["url"]).path, _query(urlsplit(r["url"]).query), r["status"]) for r in sent
    ]
    assert all(entry["headers"]["user-agent"].startswith("twilio-node/") for entry in logged)
    # pinned: twilio-node sends no Content-Type on a GET (twilio-python does on a list's first page)
    assert not [e["path"] for e in logged if e["method"] == "GET" and "content-type" in e["headers"]]


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_node(node: harness.NodeScenarios, node_mock: RunningMock, name: str) -> None:
    result = run(node, node_mock, name)
    assert_logged(node_mock, result)
    logged = node_mock.state.requests
    assert all(entry["operation"] for entry in logged), [e["path"] for e in logged if not e["operation"]]
    found = [[v["rule"], v["parameter"]] for v in node_mock.state.violations]
    assert found == result["expected_violations"], node_mock.state.violations
    # the callback Node verified is the one delivery the mock made (and no scenario got a stray one)
    deliveries = [(c["method"], c["status"], c["error"]) for c in node_mock.state.callbacks]
    assert deliveries == [(c["method"], 200, None) for c in result["callbacks"]]
    if result["family"] == "async-update":
        assert len(result["callbacks"]) == 1, result["callbacks"]


def test_script_declares_what_it_runs(node: harness.NodeScenarios) -> None:
    """The names pytest parametrizes by (read from the file) are the ones the script reports."""
    assert node.scenarios == SCENARIOS and node.probes == PROBES
    assert len(SCENARIOS) == len(set(SCENARIOS))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("probe_wrong_casing", [("parameter-casing", "pageSize")]),
        ("probe_json_body", [("form-encoding-required", None)]),
    ],
)
def test_violation_log_catches_a_badly_sent_request_from_node(
    node: harness.NodeScenarios, node_mock: RunningMock, name: str, expected: list[tuple[str, str | None]]
) -> None:
    """The empty violation log the scenarios rely on is not vacuous: a bad request sent through
    twilio-node's own client (``client.request``) is logged, in process and over HTTP."""
    result = run(node, node_mock, name)
    assert_logged(node_mock, result)
    assert [(v["rule"], v["parameter"]) for v in node_mock.state.violations] == expected
    auth = node_mock.credentials("primary")
    with httpx.Client(base_url=node_mock.base_url, auth=auth, timeout=10, trust_env=False) as http:
        over_http = http.get("/_mock/violations").json()["violations"]
    assert [(v["rule"], v["parameter"]) for v in over_http] == expected


def test_standalone_run_resets_and_judges_the_violation_log(node_mock: RunningMock) -> None:
    """``node scenarios.mjs URL NAME...`` (the documented way against ``serve``) resets the mock before
    each scenario and fails a scenario whose requests broke a rule it does not commit on purpose."""
    harness.reset(node_mock)
    status, lines = harness.run_standalone(node_mock.base_url, ["error_page_size", "filter_status", "probe_json_body"])
    by_name = {line["name"]: line for line in lines}
    assert status == 0, lines
    assert by_name["error_page_size"]["violations"] == [["out-of-range", "PageSize"]]
    assert by_name["filter_status"]["violations"] == []
    assert all(line["ok"] for line in lines)


def test_every_twilio_python_scenario_has_a_node_twin() -> None:
    """Same scenarios in both clients (Node has one more: a CallbackUrl on a synchronous update)."""
    from tests.client.scenarios import SCENARIOS as PYTHON_SCENARIOS

    assert set(PYTHON_SCENARIOS) <= set(SCENARIOS), set(PYTHON_SCENARIOS) - set(SCENARIOS)


def test_twilio_node_is_pinned_and_installed_as_pinned() -> None:
    """package.json pins one exact version, the lock holds it, and node_modules (when present) has it."""
    here = harness.HERE
    pinned = json.loads((here / "package.json").read_text(encoding="utf-8"))["dependencies"]["twilio"]
    assert pinned[0].isdigit() and all(part.isdigit() for part in pinned.split(".")), pinned
    lock = json.loads((here / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/twilio"]["version"] == pinned
    installed = harness.NODE_MODULES / "twilio" / "package.json"
    if installed.is_file():
        version = json.loads(installed.read_text(encoding="utf-8"))["version"]
        assert version == pinned, (
            f"node_modules has twilio {version}, package.json pins {pinned}: {harness.INSTALL_HINT}"
        )


def test_skip_reasons_name_what_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without Node, or without the npm install, the tests skip and say what to do."""
    monkeypatch.setattr(harness.shutil, "which", lambda name: None)
    assert "Node.js is not installed" in (harness.unavailable() or "")
    monkeypatch.setattr(harness.shutil, "which", lambda name: "/usr/bin/node")
    assert harness.INSTALL_HINT in (harness.unavailable(tmp_path / "node_modules") or "")
    assert harness.INSTALL_HINT == "run `npm ci --prefix tests/client_node`"
