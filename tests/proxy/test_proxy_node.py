"""twilio-node through the proxy, callbacks routed: the second client library's traffic judged by it.

Every twilio-node regression scenario (tests/client_node) runs with the proxy in front of the
reference mock and ``--observe-callbacks``: the scenarios' own checks pass (so each callback
reached Node and its signature, re-made by the proxy for Node's own URL, passed twilio-node's
``validateRequest``), the server side stays clean, and the client side equals the mock's log.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conformance.mock import RunningMock
from conformance.profile import Profile
from conformance.proxy import RunningProxy, start_proxy
from tests.client_node import harness
from tests.proxy.test_proxy_client_scenarios import RULE_CHECK


@dataclass
class Through:
    """What the Node harness reads of a mock (its base URL and profile), with the proxy's URL."""

    base_url: str
    profile: Profile


@pytest.fixture(scope="module")
def proxied():
    reason = harness.unavailable()
    if reason:
        pytest.skip(reason)
    with harness.start_mock_for_node() as mock, start_proxy(mock.base_url, observe_callbacks=True) as proxy:
        node = harness.NodeScenarios(Through(proxy.base_url, mock.profile))  # type: ignore[arg-type]
        yield mock, proxy, node
        node.close()


@pytest.mark.parametrize("name", harness.declared("scenario"))
def test_twilio_node_through_the_proxy(proxied: tuple[RunningMock, RunningProxy, harness.NodeScenarios], name):
    mock, proxy, node = proxied
    harness.reset(mock)
    proxy.reset()
    result = node.run(name)
    assert result["ok"], f"{name} failed in twilio-node through the proxy:\n{result['error']}{node.stderr()}"
    proxy.session.owed_callbacks(5)
    assert proxy.violations("server") == [], proxy.explain()
    from_mock = sorted(RULE_CHECK[v["rule"]] for v in mock.state.violations)
    assert sorted(v["check"] for v in proxy.violations("client")) == from_mock
    assert proxy.journal.exchanges > 0
    # each callback Node verified came through the proxy (routed, judged, re-signed for Node's URL)
    assert proxy.journal.callbacks == len(result.get("callbacks") or [])
