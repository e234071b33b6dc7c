"""Asynchronous updates: scheduled first, final later, fleet kept while scheduled, one signed callback."""

from __future__ import annotations

import socket
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from conformance.contract import validate
from conformance.mock.callbacks import CALLBACK_TIMEOUT


@pytest.fixture
def receiver(httpserver):
    """A callback receiver (pytest-httpserver) answering 200 on /cb."""
    httpserver.expect_request("/cb").respond_with_data("ok")
    return httpserver


def _callbacks(receiver):
    return [request for request, _ in receiver.log]


def test_activation_is_scheduled_then_final_with_one_post_callback(api, mock, receiver, wait_for, slow_async):
    seed = mock.profile.sims_by(api.sid, "new", named=True)[0]
    before = api.sim(seed.sid)
    url = receiver.url_for("/cb")
    response = api.update(seed.sid, Status="active", CallbackUrl=url)
    assert response.status_code == 202
    scheduled = response.json()
    assert scheduled["status"] == "scheduled"
    assert api.sim(seed.sid)["status"] == "scheduled"
    assert wait_for(lambda: api.sim(seed.sid)["status"] == "active")
    final = api.sim(seed.sid)
    assert before["date_updated"] < scheduled["date_updated"] < final["date_updated"]
    assert final["date_created"] == before["date_created"]
    wait_for(lambda: _callbacks(receiver))
    time.sleep(0.15)  # a second callback would have arrived by now
    (request,) = _callbacks(receiver)
    assert request.method == "POST"
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    params = dict(parse_qsl(request.get_data(as_text=True)))
    assert params == {
        "SimSid": seed.sid,
        "SimUniqueName": seed.unique_name,
        "SimStatus": "active",
        "AccountSid": api.sid,
    }
    assert validate("callback", params) == []
    assert RequestValidator(api.token).validate(url, params, request.headers["X-Twilio-Signature"])
    assert not RequestValidator("wrong-token").validate(url, params, request.headers["X-Twilio-Signature"])


def test_get_callback_puts_parameters_in_the_query_string(api, mock, receiver, wait_for):
    seed = mock.profile.sims_by(api.sid, "active", named=False)[0]
    url = receiver.url_for("/cb") + "?tag=1"
    response = api.update(seed.sid, Status="inactive", CallbackUrl=url, CallbackMethod="GET")
    assert response.status_code == 202
    wait_for(lambda: _callbacks(receiver))
    (request,) = _callbacks(receiver)
    assert request.method == "GET" and request.get_data() == b""
    params = dict(parse_qsl(urlsplit(request.url).query))
    assert params == {"tag": "1", "SimSid": seed.sid, "SimStatus": "inactive", "AccountSid": api.sid}
    assert "SimUniqueName" not in params  # only if it has one
    full = receiver.url_for("/cb") + "?" + urlsplit(request.url).query
    assert RequestValidator(api.token).validate(full, {}, request.headers["X-Twilio-Signature"])


def test_fleet_change_of_an_active_sim_keeps_the_old_fleet_while_scheduled(api, mock, receiver, wait_for, slow_async):
    seed = next(s for s in mock.profile.sims_by(api.sid, "active") if s.fleet)
    target = next(f for f in mock.profile.fleets_of(api.sid) if f.sid != seed.fleet)
    response = api.update(seed.sid, Fleet=target.unique_name, CallbackUrl=receiver.url_for("/cb"))
    assert response.status_code == 202
    assert response.json()["status"] == "scheduled"
    assert response.json()["fleet_sid"] == seed.fleet
    assert api.sim(seed.sid)["fleet_sid"] == seed.fleet
    final = wait_for(lambda: (s := api.sim(seed.sid))["status"] == "active" and s)
    assert final["fleet_sid"] == target.sid
    wait_for(lambda: _callbacks(receiver))
    params = dict(parse_qsl(_callbacks(receiver)[0].get_data(as_text=True)))
    assert params["SimStatus"] == "active"


def test_fleet_change_of_a_ready_sim_is_asynchronous_too(api, mock, wait_for):
    seed = mock.profile.sims_by(api.sid, "ready")[0]
    target = next(f for f in mock.profile.fleets_of(api.sid) if f.sid != seed.fleet)
    response = api.update(seed.sid, Fleet=target.sid)
    assert response.status_code == 202 and response.json()["fleet_sid"] == seed.fleet
    wait_for(lambda: api.sim(seed.sid)["fleet_sid"] == target.sid)
    assert api.sim(seed.sid)["status"] == "ready"


def test_reactivation_and_fleet_together(api, mock, wait_for):
    seed = next(s for s in mock.profile.sims_by(api.sid, "inactive") if s.fleet)
    target = next(f for f in mock.profile.fleets_of(api.sid) if f.sid != seed.fleet)
    response = api.update(seed.sid, Status="active", Fleet=target.sid)
    assert response.status_code == 202
    # "If a Sim resource's Fleet is changed as part of an asynchronous update, the existing value
    # of the fleet_sid property will be returned when the update request is accepted."
    assert response.json()["fleet_sid"] == seed.fleet
    assert api.sim(seed.sid)["fleet_sid"] == seed.fleet
    wait_for(lambda: api.sim(seed.sid)["status"] == "active")
    assert api.sim(seed.sid)["fleet_sid"] == target.sid


def test_update_while_scheduled_is_409(api, mock, wait_for, slow_async):
    sid = mock.profile.sims_by(api.sid, "new", with_fleet=True)[0].sid
    assert api.update(sid, Status="ready").status_code == 202
    for form in ({"Status": "active"}, {"UniqueName": "while-scheduled"}, {}):
        response = api.update(sid, **form)
        assert response.status_code == 409 and response.json()["code"] == 20409
        assert "scheduled" in response.json()["message"]
    wait_for(lambda: api.sim(sid)["status"] == "ready")
    assert api.update(sid, UniqueName="after-scheduled").status_code == 200


def test_scheduled_sims_are_listed_under_status_scheduled(api, mock, wait_for, slow_async):
    sids = [s.sid for s in mock.profile.sims_by(api.sid, "new", with_fleet=True)[:3]]
    for sid in sids:
        api.update(sid, Status="active")
    listed = api.get("/v1/Sims", params={"Status": "scheduled"}).json()["sims"]
    assert {s["sid"] for s in listed} == set(sids)
    wait_for(lambda: api.get("/v1/Sims", params={"Status": "scheduled"}).json()["sims"] == [])


def test_refusing_receiver_does_not_stall_or_lose_the_update(api, mock, wait_for):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]  # closed once the block ends: connections are refused
    with socket.socket() as silent:  # accepts connections but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        silent_url = f"http://127.0.0.1:{silent.getsockname()[1]}/cb"
        sims = [s.sid for s in mock.profile.sims_by(api.sid, "new", with_fleet=True)[:4]]
        started = time.monotonic()
        for n, sid in enumerate(sims):
            url = f"http://127.0.0.1:{dead_port}/cb" if n % 2 else silent_url
            assert api.update(sid, Status="active", CallbackUrl=url).status_code == 202
        assert time.monotonic() - started < 1.0
        for sid in sims:
            wait_for(lambda sid=sid: api.sim(sid)["status"] == "active")
        assert time.monotonic() - started < CALLBACK_TIMEOUT  # nobody waited for the silent receiver
        assert api.get("/v1/Sims", params={"PageSize": 5}).status_code == 200
    wait_for(lambda: any(c["error"] for c in mock.state.callbacks))


def test_no_callback_for_synchronous_updates(api, mock, receiver):
    sid = mock.profile.sims_by(api.sid, "new", with_fleet=True)[0].sid
    response = api.update(sid, UniqueName="sync-only", CallbackUrl=receiver.url_for("/cb"))
    assert response.status_code == 200
    mock.state.flush()
    time.sleep(0.1)
    assert _callbacks(receiver) == []


def test_flush_control_endpoint_finishes_scheduled_updates(api, mock, slow_async):
    sid = mock.profile.sims_by(api.sid, "new", with_fleet=True)[0].sid
    assert api.update(sid, Status="ready").status_code == 202
    assert api.control("POST", "flush")["completed"] == 1
    assert api.sim(sid)["status"] == "ready"
