"""The real twilio-python client against the mock: create, fetch, list across pages, update, errors."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client


class ContractCheckingHttpClient(TwilioHttpClient):
    """twilio-python's own HTTP client, plus a contract check of every response body it gets."""

    def __init__(self, check_body):
        super().__init__()
        self.check_body = check_body

    def request(self, method, url, *args, **kwargs):
        response = super().request(method, url, *args, **kwargs)
        self.check_body(method.upper(), urlsplit(url).path, response.status_code, json.loads(response.text))
        return response


@pytest.fixture
def make_client(mock, check_body):
    """``make_client(sid, token)``: a twilio-python Client aimed at the mock, checking every body."""

    def make(sid, token):
        c = Client(sid, token, http_client=ContractCheckingHttpClient(check_body))
        c.supersim.base_url = mock.base_url
        return c

    return make


@pytest.fixture
def client(mock, make_client):
    return make_client(*mock.credentials())


def test_create_fetch_by_sid_and_name(client, mock):
    card = mock.profile.registrable[3]
    sim = client.supersim.v1.sims.create(iccid=card.iccid, registration_code=card.registration_code)
    assert sim.status == "new" and sim.fleet_sid is None and sim.iccid == card.iccid
    assert sim.url == f"{mock.base_url}/v1/Sims/{sim.sid}"
    client.supersim.v1.sims(sim.sid).update(unique_name="client-made")
    by_name = client.supersim.v1.sims("client-made").fetch()
    by_sid = client.supersim.v1.sims(sim.sid).fetch()
    assert by_name.sid == by_sid.sid == sim.sid
    assert by_name.unique_name == "client-made"


@pytest.mark.parametrize("page_size, limit", [(7, None), (50, None), (1000, None), (20, 45)])
def test_list_across_pages(client, mock, page_size, limit):
    sims = client.supersim.v1.sims.list(page_size=page_size, limit=limit)
    expected = [s.sid for s in mock.profile.sims_of(mock.profile.primary.sid)]
    if limit:
        expected = expected[:limit]
    assert [s.sid for s in sims] == expected


def test_list_filters(client, mock):
    primary = mock.profile.primary.sid
    fleet = mock.profile.fleets_of(primary)[1]
    sims = client.supersim.v1.sims.list(status="ready", fleet=fleet.unique_name, page_size=5)
    assert {s.sid for s in sims} == {s.sid for s in mock.profile.sims_by(primary, "ready") if s.fleet == fleet.sid}
    seed = mock.profile.sims_of(primary)[10]
    assert [s.sid for s in client.supersim.v1.sims.list(iccid=seed.iccid)] == [seed.sid]


def test_update_with_callback_signed_for_request_validator(client, mock, httpserver, wait_for):
    httpserver.expect_request("/hook", method="POST").respond_with_data("")
    seed = mock.profile.sims_by(mock.profile.primary.sid, "new")[0]
    url = httpserver.url_for("/hook")
    sim = client.supersim.v1.sims(seed.sid).update(status="ready", callback_url=url, callback_method="POST")
    assert sim.status == "scheduled"
    wait_for(lambda: httpserver.log)
    request = httpserver.log[0][0]
    params = dict(parse_qsl(request.get_data(as_text=True)))
    token = mock.profile.token_for(mock.profile.primary.sid)
    assert RequestValidator(token).validate(url, params, request.headers["X-Twilio-Signature"])
    assert client.supersim.v1.sims(seed.sid).fetch().status == "ready"


@pytest.mark.parametrize(
    "action, status, code",
    [
        (lambda c, m: c.supersim.v1.sims("HS" + "0" * 32).fetch(), 404, 20404),
        (
            lambda c, m: c.supersim.v1.sims.create(iccid="89883079999999999999", registration_code="ABCDEFGHIJ"),
            400,
            83002,
        ),
        (
            lambda c, m: c.supersim.v1.sims.create(iccid=m.profile.sims[0].iccid, registration_code="ABCDEFGHIJ"),
            409,
            83003,
        ),
        (
            lambda c, m: c.supersim.v1.sims(m.profile.sims_by(m.profile.primary.sid, "active")[0].sid).update(
                status="ready"
            ),
            400,
            83010,
        ),
        (
            lambda c, m: c.supersim.v1.sims(
                m.profile.sims_by(m.profile.primary.sid, "new", with_fleet=False)[0].sid
            ).update(status="active"),
            400,
            83007,
        ),
    ],
    ids=["fetch-unknown", "create-unknown", "create-registered", "bad-transition", "activate-without-fleet"],
)
def test_errors_raise_twilio_rest_exception(client, mock, action, status, code):
    with pytest.raises(TwilioRestException) as info:
        action(client, mock)
    assert info.value.status == status
    assert info.value.code == code


def test_list_errors_carry_the_400(client):
    """twilio-python raises a plain TwilioException (not TwilioRestException) for a failed page."""
    with pytest.raises(TwilioException) as info:
        client.supersim.v1.sims.list(page_size=1001)
    response = info.value.args[1]
    assert response.status_code == 400 and "PageSize" in response.text


def test_wrong_credentials_raise_401(mock, make_client):
    c = make_client(mock.profile.primary.sid, "f" * 32)
    with pytest.raises(TwilioRestException) as info:
        c.supersim.v1.sims(mock.profile.sims[0].sid).fetch()
    assert info.value.status == 401 and info.value.code == 20003
