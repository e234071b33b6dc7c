"""The ``supersim_proxy`` fixture from a temporary project, as an application team uses it."""

from __future__ import annotations

USER_TESTS = r"""
import httpx


def test_clean_traffic_passes(supersim_mock, supersim_proxy):
    client = supersim_proxy.client(supersim_mock.account_sid, supersim_mock.auth_token)
    assert len(client.supersim.v1.sims.list(page_size=7, limit=20)) == 20
    assert supersim_proxy.violations() == []
    assert supersim_proxy.journal.exchanges == 3


def test_the_journal_is_fresh_for_each_test(supersim_proxy):
    assert supersim_proxy.journal.exchanges == 0


def test_a_wrong_cased_parameter_fails_at_teardown(supersim_mock, supersim_proxy):
    httpx.get(supersim_proxy.base_url + "/v1/Sims", params={"pageSize": 5},
              auth=supersim_mock.credentials(), trust_env=False)
"""


def test_the_proxy_fixture_fails_a_test_whose_client_broke_the_contract(pytester, run_subprocess):
    pytester.makepyfile(test_app=USER_TESTS)
    result = run_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_a_wrong_cased_parameter_fails_at_teardown*",
            "*the validating proxy saw MUST violations of the Sim contract*",
            "*client [[]CLIENT-PARAM-NAMES[]] breaks SIM-REQ-003 (MUST)*pageSize*",
        ]
    )
    token = "15470ffd0a736caaae44b823311415c3"  # the default profile's primary token
    assert token not in result.stdout.str()
