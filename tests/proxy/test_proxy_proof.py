"""The proxy's proof: twilio-python traffic is judged right, server and client side.

In front of the reference mock the traffic shows no violation; in front of the mock with one
planted fault it shows that fault, on the right side, with the requirement the fault breaks
(each fault's ``breaks`` in ``conformance/mock/planted``); a client that sends a wrong-cased
parameter or a JSON body is reported as the client, never as the server.
"""

from __future__ import annotations

import httpx
import pytest
from twilio.request_validator import RequestValidator

from conformance.mock import start_mock
from conformance.mock.faults import PLANTED as FAULT_TABLE
from conformance.profile import default_profile
from conformance.proxy import start_proxy
from conformance.suite.callbacks import CallbackReceiver

from .traffic import application_traffic

#: fault -> (check, requirement) the proxy must report for it on the server's side. Several kinds:
#: a wrong SID pattern, broken page links, a scheduled step skipped, callbacks that lie.
PLANTED = {
    "lowercase-sid-prefix": ("RESP-PAGE-SCHEMA", "SIM-PROP-001"),
    "next-page-skips-page": ("SCN-PAGE-WALK", "SIM-PAGE-007"),
    "next-page-loops": ("SCN-PAGE-LINKS", "SIM-LIST-005"),
    "no-null-next-on-last-page": ("SCN-PAGE-WALK", "SIM-PAGE-008"),
    "links-drop-page-size": ("SCN-PAGE-LINKS", "SIM-LIST-010"),
    "skip-scheduled": ("SCN-ASYNC-ACTIVATE", "SIM-ASYNC-006"),
    "deactivation-synchronous": ("SCN-ASYNC-DEACTIVATE", "SIM-ASYNC-007"),
    "fleet-change-synchronous": ("SCN-ASYNC-FLEET", "SIM-ASYNC-009"),
    "fleet-changes-while-scheduled": ("SCN-ASYNC-FLEET", "SIM-ASYNC-004"),
    "callback-bad-signature": ("SCN-CB-SIGNATURE", "SIM-CB-009"),
    "callback-status-scheduled": ("SCN-CB-POST", "SIM-CB-004"),
    "callback-without-account-sid": ("SCN-CB-POST", "SIM-CB-005"),
}


@pytest.fixture(scope="module")
def receiver():
    callbacks = CallbackReceiver()
    yield callbacks
    callbacks.close()


def proxied_traffic(receiver, *faults):
    with (
        start_mock(default_profile(), faults=faults) as mock,
        start_proxy(mock.base_url, observe_callbacks=True, callback_timeout=0) as proxy,
    ):
        sent = application_traffic(mock, proxy, receiver)
        proxy.session.close_callbacks()
        return mock, proxy, sent


def found(proxy, side=None):
    return {(v["check"], r) for v in proxy.violations(side) for r in v["requirements"]}


def test_twilio_python_through_the_proxy_in_front_of_the_mock_shows_no_violation(receiver):
    mock, proxy, sent = proxied_traffic(receiver)
    assert proxy.violations() == [], proxy.explain()
    judged = proxy.journal.judged_counts()
    # the traffic reached every kind of rule: not a vacuous pass
    for check in ("SCN-PAGE-LINKS", "SCN-PAGE-WALK", "SCN-ASYNC-ACTIVATE", "SCN-ASYNC-DEACTIVATE", "SCN-ASYNC-FLEET"):
        assert judged.get(check), (check, judged)
    assert proxy.journal.callbacks == 4
    assert proxy.session.router is not None and proxy.session.router.judged.get("SCN-CB-SIGNATURE") == 4
    assert mock.state.violations == []  # the mock agrees: twilio-python sent nothing wrong


def test_callbacks_are_sent_on_with_a_signature_the_application_can_check(receiver):
    mock, _proxy, sent = proxied_traffic(receiver)
    _sid, token = mock.credentials("primary")
    validator = RequestValidator(token)
    for url in sent.callback_urls:
        [call] = receiver.calls_to(url)
        signed_url, params = (call.url, {}) if call.method == "GET" else (url, dict(call.form))
        assert validator.validate(signed_url, params, call.headers.get("X-Twilio-Signature", "")), url
        assert call.params["SimSid"].startswith("HS")


@pytest.mark.parametrize("fault", sorted(PLANTED))
def test_a_planted_fault_is_reported_on_the_server_with_its_requirement(receiver, fault):
    check, requirement = PLANTED[fault]
    [entry] = [f for f in FAULT_TABLE if f.name == fault]
    assert requirement in entry.breaks, "the table names a requirement the fault breaks"
    _mock, proxy, _sent = proxied_traffic(receiver, fault)
    assert (check, requirement) in found(proxy, "server"), proxy.violations()
    assert proxy.violations("client") == [], "a server's fault is never blamed on the client"
    assert proxy.session.exit_code() == 1


def test_a_wrong_cased_parameter_and_a_json_body_are_the_clients_violations():
    with start_mock(default_profile()) as mock, start_proxy(mock.base_url) as proxy:
        sid, token = mock.credentials("primary")
        target = mock.profile.sims[0].sid
        with httpx.Client(base_url=proxy.base_url, auth=(sid, token), trust_env=False) as http:
            http.get("/v1/Sims", params={"pageSize": 3})
            http.get("/v1/Sims", params={"iccid": mock.profile.sims[0].iccid})
            http.post(f"/v1/Sims/{target}", json={"UniqueName": "from-json"})
            http.get("/v1/Sims", params={"PageSize": 0})
        client = found(proxy, "client")
        assert ("CLIENT-PARAM-NAMES", "SIM-REQ-003") in client
        assert ("CLIENT-FORM-BODY", "SIM-REQ-001") in client
        assert ("CLIENT-PARAM-VALUES", "SIM-PAGE-003") in client
        named = [v for v in proxy.violations("client") if v["check"] == "CLIENT-PARAM-NAMES"]
        assert {v["received"] for v in named} == {"pageSize", "iccid"}
        assert proxy.violations("server") == [], "the mock answered each one right"
