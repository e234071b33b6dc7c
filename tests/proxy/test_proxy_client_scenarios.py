"""Every twilio-python regression scenario (tests/client) through the proxy in front of the mock.

The server's side must be clean, and the client's side must say exactly what the mock's own
request log says: the proxy applies the mock's request rules, so the two can never disagree about
what a well-formed request is (the scenarios commit one violation on purpose: PageSize 1001).
"""

from __future__ import annotations

import pytest

from conformance.mock import start_mock
from conformance.profile import default_profile
from conformance.proxy import start_proxy
from tests.client import harness
from tests.client.scenarios import SCENARIOS, Context

#: The mock's rule names, by the client check the proxy reports them as.
RULE_CHECK = {
    "parameter-casing": "CLIENT-PARAM-NAMES",
    "unknown-parameter": "CLIENT-PARAM-NAMES",
    "duplicate-parameter": "CLIENT-PARAM-NAMES",
    "missing-parameter": "CLIENT-PARAM-VALUES",
    "invalid-value": "CLIENT-PARAM-VALUES",
    "out-of-range": "CLIENT-PARAM-VALUES",
    "form-encoding-required": "CLIENT-FORM-BODY",
    "malformed-body": "CLIENT-FORM-BODY",
    "invalid-encoding": "CLIENT-FORM-BODY",
}


@pytest.fixture(scope="module")
def proxied():
    with start_mock(default_profile(), async_delay=harness.ASYNC_DELAY) as mock, start_proxy(mock.base_url) as proxy:
        yield mock, proxy


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_through_the_proxy(proxied, name):
    mock, proxy = proxied
    harness.reset(mock)
    proxy.reset()  # the mock went back to its profile: what the proxy saw of it is gone too
    scenario = SCENARIOS[name]
    scenario.run(Context(profile=mock.profile, base_url=proxy.base_url, settle=mock.state.flush))
    assert proxy.violations("server") == [], proxy.explain()
    from_mock = sorted(RULE_CHECK[v["rule"]] for v in mock.state.violations)
    from_proxy = sorted(v["check"] for v in proxy.violations("client"))
    assert from_proxy == from_mock, (proxy.violations("client"), mock.state.violations)
    assert proxy.journal.exchanges == len(mock.state.requests)
