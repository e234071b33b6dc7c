"""The fixtures and the marker, used from a temporary project as an application team would."""

from __future__ import annotations

import re

USER_TESTS = r"""
import time

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException

import conformance.validators
from conformance.fixtures import SupersimCallbacks, SupersimMock

SEEN = {}


def test_mock_is_started_once_and_reset_for_each_test_1(supersim_mock, make_supersim_mock):
    assert isinstance(supersim_mock, SupersimMock) and supersim_mock is make_supersim_mock
    assert supersim_mock.base_url.startswith("http://127.0.0.1:")
    SEEN["mock"] = supersim_mock.base_url
    fleet = supersim_mock.seed_fleet("leftover-fleet")
    supersim_mock.seed_sims(2, status="active", fleet=fleet.sid, name_prefix="leftover-")
    supersim_mock.set_async_delay(5)


def test_mock_is_started_once_and_reset_for_each_test_2(supersim_mock, supersim_client):
    assert supersim_mock.base_url == SEEN["mock"]               # the same server ...
    assert supersim_mock.requests == []                          # ... with a fresh state
    assert supersim_mock.state.async_delay == 0.2
    with pytest.raises(TwilioRestException) as error:
        supersim_client.supersim.v1.sims("leftover-1").fetch()
    assert error.value.status == 404


def test_credentials_and_clients_for_every_account(supersim_mock, supersim_client):
    assert supersim_mock.credentials() == (supersim_mock.account_sid, supersim_mock.auth_token)
    assert supersim_client.username == supersim_mock.account_sid
    assert supersim_client.supersim.base_url == supersim_mock.base_url
    for role in ("primary", "subaccount", "unrelated"):
        sid, _ = supersim_mock.credentials(role)
        sims = supersim_mock.client(role).supersim.v1.sims.list(limit=3)
        assert sims and {s.account_sid for s in sims} == {sid}


def test_register_a_card(supersim_mock, supersim_client, assert_valid_sim):
    card = supersim_mock.add_card()
    sim = supersim_client.supersim.v1.sims.create(iccid=card.iccid, registration_code=card.registration_code)
    assert (sim.status, sim.iccid) == ("new", card.iccid)
    [request] = supersim_mock.requests
    assert (request["method"], request["operation"], request["status"]) == ("POST", "CreateSim", 201)
    assert request["form"] == {"Iccid": card.iccid, "RegistrationCode": card.registration_code}


def test_clock_usage_and_flush(supersim_mock, supersim_client):
    ready, aging, by_sms = supersim_mock.seed_sims(3, status="ready")
    assert supersim_mock.record_usage(ready, data_kb=250)["auto_activated"]
    supersim_mock.record_usage(by_sms, sms_commands=5)
    supersim_mock.record_usage(aging, ready_seconds=92 * 86400)
    for sid in (ready, by_sms, aging):
        assert supersim_client.supersim.v1.sims(sid).fetch().status == "active"
    [other] = supersim_mock.seed_sims(1, status="ready")
    assert other in supersim_mock.advance_clock(92 * 86400)

    supersim_mock.set_async_delay(30)
    [new] = supersim_mock.seed_sims(1, fleet=supersim_mock.seed_fleet("aging").sid)  # activation needs a fleet
    assert supersim_client.supersim.v1.sims(new).update(status="ready").status == "scheduled"
    assert supersim_mock.flush() == 1
    assert supersim_client.supersim.v1.sims(new).fetch().status == "ready"


def test_request_violations(supersim_mock):
    with httpx.Client(base_url=supersim_mock.base_url, auth=supersim_mock.credentials(), trust_env=False) as http:
        assert http.get("/v1/Sims", params={"status": "active", "Colour": "red"}).status_code == 200
    rules = sorted((v["rule"], v["parameter"]) for v in supersim_mock.violations)
    assert rules == [("parameter-casing", "status"), ("unknown-parameter", "Colour")]
    with pytest.raises(AssertionError, match="2 request violation"):
        supersim_mock.assert_no_violations()
    supersim_mock.clear_requests()
    supersim_mock.assert_no_violations()


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_signed_callbacks(supersim_mock, supersim_client, supersim_callbacks, assert_valid_callback, method):
    assert isinstance(supersim_callbacks, SupersimCallbacks)
    [sid] = supersim_mock.seed_sims(1, status="active", name_prefix="meter-")
    url = supersim_callbacks.url("deactivate")
    assert supersim_callbacks.url("deactivate") != url
    sim = supersim_client.supersim.v1.sims(sid).update(status="inactive", callback_url=url, callback_method=method)
    assert sim.status == "scheduled"
    [callback] = supersim_callbacks.wait(url, timeout=10)
    assert callback.method == method
    assert callback.params == {"SimSid": sid, "SimUniqueName": "meter-1", "SimStatus": "inactive",
                               "AccountSid": supersim_mock.account_sid}
    assert assert_valid_callback(callback) == callback.params
    assert "X-Twilio-Signature" in callback.headers
    assert supersim_callbacks.verify_signature(callback, supersim_mock.auth_token)
    supersim_callbacks.assert_signed(callback, supersim_mock.auth_token)
    assert not supersim_callbacks.verify_signature(callback, "0" * 32)
    with pytest.raises(AssertionError, match="SIM-CB-009"):
        supersim_callbacks.assert_signed(callback, "0" * 32)
    assert supersim_callbacks.received(url) == [callback]
    deadline = time.monotonic() + 5
    while not supersim_mock.callbacks and time.monotonic() < deadline:   # recorded once the answer is in
        time.sleep(0.01)
    assert [c["status"] for c in supersim_mock.callbacks] == [204]


def test_waiting_for_a_callback_that_never_comes_fails(supersim_callbacks):
    url = supersim_callbacks.url()
    with pytest.raises(AssertionError, match=r"expected 1 callback\(s\) at .* within 0.2 s, 0 arrived"):
        supersim_callbacks.wait(url, timeout=0.2)


def test_validator_fixtures_are_the_plain_functions(assert_valid_sim, assert_valid_sim_page, assert_valid_callback,
                                                   assert_valid_error):
    assert assert_valid_sim is conformance.validators.assert_valid_sim
    assert assert_valid_sim_page is conformance.validators.assert_valid_sim_page
    assert assert_valid_callback is conformance.validators.assert_valid_callback
    assert assert_valid_error is conformance.validators.assert_valid_error


def test_validators_on_the_mocks_raw_answers(supersim_mock, assert_valid_sim, assert_valid_sim_page, assert_valid_error):
    with httpx.Client(base_url=supersim_mock.base_url, auth=supersim_mock.credentials(), trust_env=False) as http:
        page = assert_valid_sim_page(http.get("/v1/Sims", params={"PageSize": 3}))
        assert_valid_sim(http.get(page["sims"][0]["url"]).text)
        assert_valid_error(http.get("/v1/Sims/HS" + "0" * 32))


def test_a_failing_validator_shows_requirement_path_rule_and_value(assert_valid_sim):
    assert_valid_sim({"sid": "hs42"})
"""


def test_every_fixture_in_a_user_project(pytester, run_subprocess):
    pytester.makepyfile(test_app=USER_TESTS)
    result = run_subprocess("-v")
    result.assert_outcomes(passed=11, failed=1)
    text = result.stdout.str()
    # the failing validator: requirement, JSON path, rule and value, at the test's own line
    assert "invalid Sim: breaks SIM-PROP-001, SIM-PROP-003, SIM-PROP-004" in text
    assert "SIM-PROP-001 at $.sid [pattern]: 'hs42' does not match '^HS[0-9a-fA-F]{32}$'" in text
    assert "SIM-PROP-004 at $.account_sid [required]" in text
    assert re.search(r"test_app\.py:\d+: ContractViolation", text), text


SERVER_ERROR = """
import pytest
from twilio.base.exceptions import TwilioRestException


def test_a_bug_in_the_mock(supersim_mock, supersim_client, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom in the store")

    monkeypatch.setattr(supersim_mock.state.store, "complete_due", boom)
    with pytest.raises(TwilioRestException) as error:
        supersim_client.supersim.v1.sims("HS" + "0" * 32).fetch()
    assert error.value.status == 500


def test_the_next_test_is_clean(supersim_mock, supersim_client):
    assert len(supersim_client.supersim.v1.sims.list(limit=1)) == 1
"""


def test_errors_in_the_mock_thread_fail_the_test_at_teardown(pytester, run_subprocess):
    pytester.makepyfile(test_bug=SERVER_ERROR)
    result = run_subprocess("-rE")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_a_bug_in_the_mock*",
            "*MockServerError: the supersim reference mock logged errors during this test:",
            "*mock bug: RuntimeError: boom in the store on GET /v1/Sims/HS000*",
        ]
    )


OPTIONS_CONFTEST = """
import pytest
from conformance.profile import default_profile, dump_profile


@pytest.fixture(scope="session")
def supersim_mock_options(tmp_path_factory):
    path = tmp_path_factory.mktemp("profile") / "profile.toml"
    path.write_text(dump_profile(default_profile()).replace("reference-mock", "my-profile"))
    return {"profile": str(path), "faults": ["lowercase-sid-prefix"], "async_delay": 0.01, "strict": True}
"""

OPTIONS_TESTS = """
import httpx
import pytest
from conformance.validators import ContractViolation


def test_options_reach_the_mock(supersim_mock, assert_valid_sim):
    assert supersim_mock.profile.name == "my-profile"
    assert supersim_mock.state.async_delay == 0.01 and supersim_mock.state.strict
    with httpx.Client(base_url=supersim_mock.base_url, auth=supersim_mock.credentials(), trust_env=False) as http:
        assert http.get("/v1/Sims", params={"Colour": "red"}).status_code == 400      # strict
        sim = http.get("/v1/Sims", params={"PageSize": 1}).json()["sims"][0]
    with pytest.raises(ContractViolation) as failure:                                  # the planted fault
        assert_valid_sim(sim)
    assert failure.value.requirements == ("SIM-PROP-001",)
"""


def test_supersim_mock_options_can_be_overridden(pytester, run_subprocess):
    pytester.makeconftest(OPTIONS_CONFTEST)
    pytester.makepyfile(test_options=OPTIONS_TESTS)
    run_subprocess().assert_outcomes(passed=1)


FIXTURES = {
    "supersim_mock": "function",
    "make_supersim_mock": "session",
    "supersim_mock_options": "session",
    "supersim_client": "function",
    "supersim_callbacks": "function",
    "make_supersim_callbacks": "session",
    "assert_valid_sim": "session",
    "assert_valid_sim_page": "session",
    "assert_valid_callback": "session",
    "assert_valid_error": "session",
}


def test_fixtures_are_listed_with_a_one_line_description(pytester, run_inprocess):
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = run_inprocess("--fixtures")
    lines = result.stdout.lines
    for name, scope in FIXTURES.items():
        heading = [
            i
            for i, line in enumerate(lines)
            if re.match(rf"^{name}( \[{scope} scope\])? -- .*conformance/fixtures\.py", line)
        ]
        assert heading, f"{name} not listed by --fixtures"
        description = lines[heading[0] + 1]
        assert description.startswith("    ") and len(description.strip()) > 20, (name, description)
        assert lines[heading[0] + 2].strip() == "" or not lines[heading[0] + 2].startswith("    "), (name, "one line")
        assert (scope == "function") == (f"[{scope} scope]" not in lines[heading[0]])


def test_markers_and_options_are_declared(pytester, run_inprocess):
    markers = run_inprocess("--markers").stdout.str()
    for name in ("supersim_requirement(*IDS)", "supersim_check(ID)", "supersim_full:"):
        assert f"@pytest.mark.{name}" in markers
    help_text = run_inprocess("--help").stdout.str()
    assert "Twilio Super SIM Sim-resource conformance:" in help_text
    for option in (
        "--supersim-conformance",
        "--supersim-target=URL",
        "--supersim-profile=FILE",
        "--supersim-suite",
        "--supersim-report-dir=DIR",
        "--supersim-max-examples=N",
        "--supersim-seed=N",
        "--supersim-expect-failures=FILE",
        "--supersim-callback-url-base=URL",
        "--supersim-callback-timeout=S",
        "--supersim-timeout=S",
        "--supersim-rate=RPS",
    ):
        assert option in help_text, option


MARKED = """
import pytest

pytestmark = pytest.mark.supersim_requirement("SIM-ERR-002")


@pytest.mark.supersim_requirement("SIM-FILTER-005", "SIM-FILTER-006")
def test_marked_and_passing():
    pass


@pytest.mark.supersim_requirement("SIM-PAGE-007")
def test_marked_and_failing():
    assert False, "pagination visited a Sim twice"


@pytest.mark.supersim_requirement("SIM-CB-009")
@pytest.mark.skip(reason="no tunnel")
def test_marked_and_skipped():
    pass


class TestGrouped:
    pytestmark = pytest.mark.supersim_requirement("SIM-AUTH-003")

    def test_in_a_class(self):
        pass


def test_unmarked_module_level_only():
    pass
"""

UNMARKED = """
def test_not_about_sims():
    pass
"""


def test_marked_tests_are_rows_of_the_report(pytester, run_inprocess, read_report):
    pytester.makepyfile(test_marked=MARKED, test_other=UNMARKED)
    result = run_inprocess("--supersim-report-dir", "out/reports")
    result.assert_outcomes(passed=4, failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*- supersim-conformance -*",
            "3 passed, 1 failed, 0 errored, 0 warned, 1 skipped, 0 xfailed, 0 fixed (5 checks)",
            "reports: */out/reports/ (report.json, junit.xml, report.md, report.html, badge.svg)",
        ]
    )
    report = read_report(pytester.path / "out" / "reports")
    rows = {row["nodeid"]: row for row in report["results"]}
    assert set(rows) == {
        "test_marked.py::test_marked_and_passing",
        "test_marked.py::test_marked_and_failing",
        "test_marked.py::test_marked_and_skipped",
        "test_marked.py::TestGrouped::test_in_a_class",
        "test_marked.py::test_unmarked_module_level_only",
    }
    assert rows["test_marked.py::test_marked_and_passing"]["requirements"] == [
        "SIM-ERR-002",
        "SIM-FILTER-005",
        "SIM-FILTER-006",
    ]
    assert rows["test_marked.py::test_marked_and_failing"]["outcome"] == "failed"
    assert "pagination visited a Sim twice" in rows["test_marked.py::test_marked_and_failing"]["message"]
    assert rows["test_marked.py::TestGrouped::test_in_a_class"]["requirements"] == ["SIM-AUTH-003", "SIM-ERR-002"]
    verdicts = {card["id"]: card for card in report["scorecard"]}
    assert verdicts["SIM-FILTER-005"]["verdict"] == "passed"
    assert verdicts["SIM-FILTER-005"]["checks"] == ["test_marked_and_passing"]
    assert verdicts["SIM-PAGE-007"]["verdict"] == "failed"
    assert verdicts["SIM-CB-009"]["verdict"] == "skipped"
    assert verdicts["SIM-AUTH-003"]["verdict"] == "passed"
    assert verdicts["SIM-ERR-002"]["verdict"] == "failed"
    assert verdicts["SIM-MOVE-003"]["verdict"] == "not-run"
    assert report["target_kind"] == "application tests"
    assert (pytester.path / "out" / "reports" / "junit.xml").read_text().count("<testcase") == 5


def test_without_report_dir_marked_tests_write_nothing(pytester, run_inprocess):
    pytester.makepyfile(test_marked=MARKED)
    result = run_inprocess()
    result.assert_outcomes(passed=3, failed=1, skipped=1)
    assert " supersim-conformance " not in result.stdout.str()  # no summary section
    assert "checks:" not in result.stdout.str()
    assert sorted(p.name for p in pytester.path.iterdir()) == ["test_marked.py"]


def test_an_unknown_requirement_id_errors_at_setup(pytester, run_inprocess):
    pytester.makepyfile(
        test_typo="""
import pytest

@pytest.mark.supersim_requirement("SIM-PROP-001")
def test_fine():
    pass

@pytest.mark.supersim_requirement("SIM-PRP-001", "SIM-PROP-002")
def test_typo():
    pass

@pytest.mark.supersim_requirement()
def test_empty():
    pass
"""
    )
    result = run_inprocess()
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_typo*",
            "unknown requirement ID(s) 'SIM-PRP-001' in supersim_requirement (`supersim-conformance requirements`*",
            "*ERROR at setup of test_empty*",
            "supersim_requirement() names no requirement ID",
        ]
    )
