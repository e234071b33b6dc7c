"""Planted faults of asynchronous updates and callbacks: each does what its description says, and only with it.

Every effect runs twice, against a mock with the fault and against the faultless one, and asserts
the faulty behaviour in the first and the documented one in the second. Faults of the callback's
form are judged on :func:`conformance.mock.callbacks.build_request` (pure); faults of the queue
and of updates on a running mock.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from twilio.request_validator import RequestValidator

from conformance.mock import start_mock
from conformance.mock.callbacks import build_request
from conformance.mock.model import Completion, SimView
from conformance.mock.planted.callbacks import FAULTS

NAMES = [fault.name for fault in FAULTS]
TOKEN = "t" * 32
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _view(unique_name: str | None = "a b+&=%é", status: str = "active") -> SimView:
    return SimView("HS" + "1" * 32, "AC" + "2" * 32, "8901", status, unique_name, "HF" + "3" * 32, NOW, NOW)


def _request(faults: set[str], method: str = "POST", unique_name: str | None = "a b+&=%é", url: str = "") -> dict:
    completion = Completion(_view(unique_name), url or "http://127.0.0.1:8123/cb?ref=x", method)
    return build_request(completion, TOKEN, frozenset(faults))


def _params(request: dict) -> dict[str, str]:
    if request["method"] == "GET" and not request["content"]:
        return dict(parse_qsl(urlsplit(request["url"]).query))
    return dict(parse_qsl(request["content"].decode("latin-1" if b"%E9" in request["content"] else "utf-8")))


def _valid(request: dict, given: str) -> bool:
    params = {} if request["method"] == "GET" else dict(parse_qsl(request["content"].decode()))
    url = request["url"] if request["method"] == "GET" else given
    return RequestValidator(TOKEN).validate(url, params, request["headers"]["X-Twilio-Signature"])


# --- the callback's form (pure) -------------------------------------------------------------


def _pure(name: str, faulty: bool) -> None:
    faults = {name} if faulty else set()
    given = "http://127.0.0.1:8123/cb?ref=x"
    if name == "callback-status-scheduled":
        assert (_params(_request(faults))["SimStatus"] == "scheduled") is faulty
    elif name == "callback-without-unique-name":
        assert ("SimUniqueName" not in _params(_request(faults))) is faulty
    elif name == "callback-unique-name-none":
        assert (_params(_request(faults, unique_name=None)).get("SimUniqueName") == "None") is faulty
    elif name == "callback-unique-name-double-encoded":
        assert (_params(_request(faults))["SimUniqueName"] == "a%20b%2B%26%3D%25%C3%A9") is faulty
    elif name == "callback-latin1-params":
        body = _request(faults)["content"]
        assert (b"%E9" in body and b"%C3%A9" not in body) is faulty
    elif name == "callback-sim-sid-as-sid":
        params = _params(_request(faults))
        assert ("Sid" in params and "SimSid" not in params) is faulty
    elif name == "callback-signature-without-query":
        assert _valid(_request(faults, "GET"), given) is not faulty
    elif name == "callback-default-get":
        assert (_request(faults)["method"] == "GET") is faulty
    elif name == "callback-get-with-body":
        assert bool(_request(faults, "GET")["content"]) is faulty
    elif name == "callback-post-with-query":
        assert ("SimSid=" in _request(faults)["url"]) is faulty
    elif name == "callback-to-url-without-query":
        assert (_request(faults)["url"] == "http://127.0.0.1:8123/cb") is faulty
    else:
        raise AssertionError(f"no pure effect for {name}")
    if not faulty:
        assert _valid(_request(set()), given) and _valid(_request(set(), "GET"), given)


PURE = [
    "callback-status-scheduled",
    "callback-without-unique-name",
    "callback-unique-name-none",
    "callback-unique-name-double-encoded",
    "callback-latin1-params",
    "callback-sim-sid-as-sid",
    "callback-signature-without-query",
    "callback-default-get",
    "callback-get-with-body",
    "callback-post-with-query",
    "callback-to-url-without-query",
]


# --- the queue and updates (a running mock) -------------------------------------------------


class Run:
    def __init__(self, mock, receiver):
        self.mock, self.receiver, self.profile = mock, receiver, mock.profile
        self.http = httpx.Client(base_url=mock.base_url, auth=mock.credentials(), trust_env=False, timeout=10)

    def sims(self, status, **kw):
        return self.profile.sims_by(self.profile.primary.sid, status, **kw)

    def sim(self, sid, http=None):
        return (http or self.http).get(f"/v1/Sims/{sid}").json()

    def settle(self, sid, http=None, timeout=3.0):
        deadline = time.monotonic() + timeout
        while (sim := self.sim(sid, http))["status"] == "scheduled" and time.monotonic() < deadline:
            time.sleep(0.01)
        return sim

    def callback_url(self):
        self.receiver.expect_request("/cb").respond_with_data("ok")
        return self.receiver.url_for("/cb")

    def received(self, count=1, timeout=3.0):
        deadline = time.monotonic() + timeout
        while len(self.receiver.log) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return [request for request, _ in self.receiver.log]

    def fleet_change(self, status):
        sim = next(s for s in self.sims(status) if s.fleet)
        fleet = next(f for f in self.profile.fleets_of(self.profile.primary.sid) if f.sid != sim.fleet)
        return sim, fleet


def _form(request) -> dict[str, str]:
    return dict(parse_qsl(request.get_data(as_text=True))) if request.method == "POST" else dict(request.args)


def _running(name: str, run: Run, faulty: bool) -> None:
    if name == "callback-before-state-applied":
        sim = run.sims("active")[0]
        run.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "inactive", "CallbackUrl": run.callback_url()})
        run.received()
        assert (run.sim(sim.sid)["status"] == "scheduled") is faulty
        assert run.settle(sim.sid)["status"] == "inactive"
    elif name in (
        "fleet-callback-reports-active",
        "fleet-change-ends-active",
        "fleet-never-applied",
        "fleet-shown-late",
    ):
        sim, fleet = run.fleet_change("ready")
        run.http.post(f"/v1/Sims/{sim.sid}", data={"Fleet": fleet.sid, "CallbackUrl": run.callback_url()})
        done = run.settle(sim.sid)
        reported = _form(run.received()[0])["SimStatus"]
        if name == "fleet-callback-reports-active":
            assert (reported == "active") is faulty and done["status"] == "ready"
        elif name == "fleet-change-ends-active":
            assert (done["status"] == "active") is faulty
        elif name == "fleet-never-applied":
            time.sleep(0.6)
            assert (run.sim(sim.sid)["fleet_sid"] == sim.fleet) is faulty
        else:
            assert (done["fleet_sid"] == sim.fleet) is faulty
            time.sleep(0.6)
            assert run.sim(sim.sid)["fleet_sid"] == fleet.sid
    elif name == "callback-sim-sid-of-neighbour":
        sim = run.sims("active")[0]
        run.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "inactive", "CallbackUrl": run.callback_url()})
        assert (_form(run.received()[0])["SimSid"] != sim.sid) is faulty
    elif name in ("callback-account-of-requester", "callback-signed-by-requester"):
        sim = run.sims("new", with_fleet=True)[0]
        sub = run.profile.subaccounts[0]
        fleet = run.profile.fleets_of(sub.sid)[0]
        url = run.callback_url()
        form = {"AccountSid": sub.sid, "Fleet": fleet.sid, "Status": "active", "CallbackUrl": url}
        assert run.http.post(f"/v1/Sims/{sim.sid}", data=form).status_code == 202
        request = run.received()[0]
        params = _form(request)
        if name == "callback-account-of-requester":
            assert (params["AccountSid"] == run.profile.primary.sid) is faulty
        else:
            valid = RequestValidator(run.profile.token_for(sub.sid)).validate(
                url, params, request.headers["X-Twilio-Signature"]
            )
            assert valid is not faulty and params["AccountSid"] == sub.sid
    elif name == "scheduled-hidden-from-fetch":
        sim = run.sims("active")[0]
        answer = run.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "inactive"}).json()
        assert answer["status"] == "scheduled"
        assert (run.sim(sim.sid)["status"] == "active") is faulty
        assert run.settle(sim.sid)["status"] == "inactive" or faulty
    elif name == "status-reverts-after-completion":
        sim = run.sims("active")[0]
        run.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "inactive"})
        assert run.settle(sim.sid)["status"] == "inactive"
        time.sleep(0.3)
        assert (run.sim(sim.sid)["status"] == "active") is faulty
    elif name in ("reactivation-ends-ready", "reactivation-synchronous"):
        sim = next(s for s in run.sims("inactive") if s.fleet)
        answer = run.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "active"})
        if name == "reactivation-synchronous":
            assert (answer.status_code == 200 and answer.json()["status"] == "active") is faulty
        else:
            assert (run.settle(sim.sid)["status"] == "ready") is faulty
    elif name == "deactivation-synchronous":
        sim = run.sims("active")[0]
        answer = run.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "inactive"})
        assert (answer.status_code == 200 and answer.json()["status"] == "inactive") is faulty
    elif name == "activation-to-active-synchronous":
        sim = run.sims("new", with_fleet=True)[0]
        answer = run.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "active"})
        assert (answer.status_code == 200 and answer.json()["status"] == "active") is faulty
        other = run.sims("new", with_fleet=True)[1]
        assert run.http.post(f"/v1/Sims/{other.sid}", data={"Status": "ready"}).status_code == 202
    elif name == "fleet-change-synchronous":
        sim, fleet = run.fleet_change("active")
        answer = run.http.post(f"/v1/Sims/{sim.sid}", data={"Fleet": fleet.sid})
        assert (answer.status_code == 200 and answer.json()["fleet_sid"] == fleet.sid) is faulty
    elif name in ("unique-name-update-scheduled", "callback-url-update-scheduled"):
        sim = run.sims("active")[0]
        form = {"UniqueName": "fx-name"} if name.startswith("unique") else {"CallbackUrl": run.callback_url()}
        answer = run.http.post(f"/v1/Sims/{sim.sid}", data=form)
        assert (answer.status_code == 202 and answer.json()["status"] == "scheduled") is faulty
        assert run.settle(sim.sid)["status"] == "active"
        if name.startswith("callback"):
            assert bool(run.received(timeout=0.5 if not faulty else 3)) is faulty
    elif name.startswith("auto-activate-"):
        sim = run.sims("ready")[0]

        def usage(**amounts):
            return run.http.post("/_mock/usage", json={"sim": sim.sid, **amounts}).json()["sim"]["status"]

        if name == "auto-activate-at-four-sms":
            assert (usage(sms_commands=4) == "active") is faulty
        elif name == "auto-activate-at-200kb":
            assert (usage(data_kb=200) == "active") is faulty
        elif name == "auto-activate-above-threshold":
            assert (usage(data_kb=250) == "ready") is faulty
        elif name == "auto-activate-after-three-weeks":
            assert (usage(ready_seconds=22 * 24 * 3600) == "active") is faulty
        else:
            raise AssertionError(f"no effect check for {name}")
    else:
        raise AssertionError(f"no running effect for {name}")


def test_every_fault_of_the_area_has_an_effect():
    assert set(PURE) <= set(NAMES)


@pytest.mark.parametrize("faulty", [True, False], ids=["with-fault", "without"])
@pytest.mark.parametrize("name", NAMES)
def test_fault_changes_the_behaviour_it_names(name, faulty, httpserver):
    if name in PURE:
        _pure(name, faulty)
        return
    with start_mock(faults=[name] if faulty else [], async_delay=0.02) as mock:
        run = Run(mock, httpserver)
        try:
            _running(name, run, faulty)
        finally:
            run.http.close()
