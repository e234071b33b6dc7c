"""POST /v1/Sims: registering a card, and every way registration is refused."""

from __future__ import annotations

import re
from datetime import datetime

import pytest


def _card(mock, n=0):
    return mock.profile.registrable[n]


def test_register_returns_201_with_a_new_sim(api, mock):
    card = _card(mock)
    response = api.post("/v1/Sims", data={"Iccid": card.iccid, "RegistrationCode": card.registration_code})
    assert response.status_code == 201
    sim = response.json()
    assert re.fullmatch(r"HS[0-9a-f]{32}", sim["sid"])
    assert sim["status"] == "new"
    assert sim["fleet_sid"] is None
    assert sim["unique_name"] is None
    assert sim["iccid"] == card.iccid
    assert sim["account_sid"] == api.sid
    assert sim["date_created"] == sim["date_updated"]
    assert datetime.strptime(sim["date_created"], "%Y-%m-%dT%H:%M:%SZ")
    url = f"{mock.base_url}/v1/Sims/{sim['sid']}"
    assert sim["url"] == url
    assert sim["links"] == {"billing_periods": url + "/BillingPeriods", "sim_ip_addresses": url + "/IpAddresses"}
    assert api.sim(sim["sid"]) == sim
    listed = api.get("/v1/Sims", params={"Iccid": card.iccid}).json()["sims"]
    assert listed == [sim]


def test_every_registration_gets_a_fresh_sid(api, mock):
    sids = set()
    for card in mock.profile.registrable[:5]:
        response = api.post("/v1/Sims", data={"Iccid": card.iccid, "RegistrationCode": card.registration_code})
        assert response.status_code == 201
        sids.add(response.json()["sid"])
    assert len(sids) == 5


def test_urls_follow_host_and_forwarded_headers(api, mock):
    card = _card(mock)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "sims.example.com"}
    sim = api.post(
        "/v1/Sims", data={"Iccid": card.iccid, "RegistrationCode": card.registration_code}, headers=headers
    ).json()
    assert sim["url"] == f"https://sims.example.com/v1/Sims/{sim['sid']}"
    fetched = api.get(f"/v1/Sims/{sim['sid']}", headers={"Host": "proxy.local:8443"}).json()
    assert fetched["url"] == f"http://proxy.local:8443/v1/Sims/{sim['sid']}"
    page = api.get("/v1/Sims", headers={"X-Forwarded-Proto": "https", "Host": "proxy.local"}).json()
    assert page["meta"]["next_page_url"].startswith("https://proxy.local/v1/Sims?")
    # a hostile Host header cannot smuggle a path into the links
    hostile = api.get(f"/v1/Sims/{sim['sid']}", headers={"X-Forwarded-Host": "evil.example/x?y="}).json()
    assert hostile["url"].startswith(mock.base_url)


@pytest.mark.parametrize(
    "form, status, code, word",
    [
        ({"RegistrationCode": "ABCDE12345"}, 400, 83001, "Iccid"),
        ({"Iccid": "{iccid}"}, 400, 83001, "RegistrationCode"),
        ({}, 400, 83001, "Iccid"),
        ({"Iccid": "{iccid}", "RegistrationCode": "WRONGCODE1"}, 400, 83002, "registrable"),
        ({"Iccid": "{iccid}", "RegistrationCode": "short"}, 400, 83002, "registrable"),
        ({"Iccid": "not-an-iccid", "RegistrationCode": "{code}"}, 400, 83002, "registrable"),
        ({"Iccid": "89883079999999999999", "RegistrationCode": "{code}"}, 400, 83002, "registrable"),
        ({"Iccid": "{existing}", "RegistrationCode": "{code}"}, 409, 83003, "already belongs"),
        ({"iccid": "{iccid}", "registrationCode": "{code}"}, 400, 83001, "Iccid"),
        ({"Iccid": "{elsewhere}", "RegistrationCode": "{code}"}, 400, 83002, "registrable"),
    ],
    ids=[
        "no-iccid",
        "no-code",
        "empty",
        "wrong-code",
        "malformed-code",
        "malformed-iccid",
        "unknown-iccid",
        "pre-registered",
        "lowercase-names",
        "another-accounts-sim",
    ],
)
def test_refused_registrations(api, mock, form, status, code, word):
    card = _card(mock)
    existing = mock.profile.sims[0].iccid
    elsewhere = next(s.iccid for s in mock.profile.sims if s.account != mock.profile.primary.sid)
    values = {"iccid": card.iccid, "code": card.registration_code, "existing": existing, "elsewhere": elsewhere}
    data = {k: v.format(**values) for k, v in form.items()}
    response = api.post("/v1/Sims", data=data)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert word in body["message"]
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    # a refused registration is just that: the card stays registrable, nothing was added
    assert api.get("/v1/Sims", params={"Iccid": card.iccid}).json()["sims"] == []


def test_registering_twice_is_409_and_reset_restores_the_card(api, mock, api_for):
    card = _card(mock)
    form = {"Iccid": card.iccid, "RegistrationCode": card.registration_code}
    sim = api.post("/v1/Sims", data=form).json()
    again = api.post("/v1/Sims", data=form)
    assert again.status_code == 409 and again.json()["code"] == 83003
    assert sim["sid"] in again.json()["message"]  # "the error message contains the Super SIM SID" (83003)
    elsewhere = api_for("subaccount").post("/v1/Sims", data=form)
    assert elsewhere.status_code == 400 and elsewhere.json()["code"] == 83002  # nothing told about other accounts
    mock.state.reset()
    assert api.post("/v1/Sims", data=form).status_code == 201


def test_json_body_is_refused_with_form_encoding_message(api, mock):
    card = _card(mock)
    response = api.post("/v1/Sims", json={"Iccid": card.iccid, "RegistrationCode": card.registration_code})
    assert response.status_code == 400
    assert "form-encoded" in response.json()["message"]


def test_a_registered_card_belongs_to_the_registering_account(api_for, mock):
    card = _card(mock)
    sub = api_for("subaccount")
    sim = sub.post("/v1/Sims", data={"Iccid": card.iccid, "RegistrationCode": card.registration_code}).json()
    assert sim["account_sid"] == sub.sid
    assert api_for("primary").get(f"/v1/Sims/{sim['sid']}").status_code == 404


def test_control_endpoint_adds_registrable_cards(api, mock):
    out = api.control(
        "POST",
        "registrable",
        json={"cards": [{"iccid": "89883075555555555555", "registration_code": "ZZZZZ99999"}], "count": 2},
    )
    assert len(out["cards"]) == 3
    for card in out["cards"]:
        response = api.post("/v1/Sims", data={"Iccid": card["iccid"], "RegistrationCode": card["registration_code"]})
        assert response.status_code == 201
