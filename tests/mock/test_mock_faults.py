"""Planted faults: each one, alone, visibly breaks exactly the rule its name says."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from twilio.request_validator import RequestValidator

from conformance.contract import validate
from conformance.mock import FAULTS, create_app, start_mock
from conformance.mock.faults import _FIRST, UnknownFaultError, validate_faults
from conformance.profile import Profile


@dataclass
class Ctx:
    mock: object
    http: httpx.Client
    profile: Profile
    receiver: object

    @property
    def primary(self) -> str:
        return self.profile.primary.sid

    def sims(self, status=None, **kw):
        return self.profile.sims_by(self.primary, status, **kw)

    def cb(self, method="POST"):
        self.receiver.expect_request("/cb").respond_with_data("ok")
        return self.receiver.url_for("/cb")

    def received(self, count=1, settle=0.15, timeout=3.0):
        deadline = time.monotonic() + timeout
        while len(self.receiver.log) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(settle)
        return [r for r, _ in self.receiver.log]


def _activate_with_callback(ctx, method="POST"):
    sim = ctx.sims("new", named=True, with_fleet=True)[0]
    response = ctx.http.post(
        f"/v1/Sims/{sim.sid}", data={"Status": "active", "CallbackUrl": ctx.cb(), "CallbackMethod": method}
    )
    assert response.status_code == 202
    return sim


def _fleet_move(ctx):
    sim = next(s for s in ctx.sims("active") if s.fleet)
    target = next(f for f in ctx.profile.fleets_of(ctx.primary) if f.sid != sim.fleet)
    return sim, target


def lowercase_sid_prefix(ctx):
    body = ctx.http.get(f"/v1/Sims/{ctx.sims()[0].sid}").json()
    assert body["sid"].startswith("hs") and validate("sim", body) != []


def iccid_filter_returns_two(ctx):
    sims = ctx.http.get("/v1/Sims", params={"Iccid": ctx.sims()[4].iccid}).json()["sims"]
    assert len(sims) == 2


def next_page_loops(ctx):
    meta = ctx.http.get("/v1/Sims", params={"PageSize": 5}).json()["meta"]
    assert meta["next_page_url"] == meta["url"]


def page_repeats_item(ctx):
    first = ctx.http.get("/v1/Sims", params={"PageSize": 5}).json()
    second = ctx.http.get(first["meta"]["next_page_url"]).json()
    assert second["sims"][0]["sid"] == first["sims"][-1]["sid"]


def create_returns_200(ctx):
    card = ctx.profile.registrable[0]
    response = ctx.http.post("/v1/Sims", data={"Iccid": card.iccid, "RegistrationCode": card.registration_code})
    assert response.status_code == 200 and response.json()["status"] == "new"


def skip_scheduled(ctx):
    sim = ctx.sims("new")[0]
    response = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "active"})
    assert response.status_code == 200 and response.json()["status"] == "active"


def fleet_changes_while_scheduled(ctx):
    sim, target = _fleet_move(ctx)
    response = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Fleet": target.sid})
    assert response.status_code == 202
    assert response.json()["status"] == "scheduled" and response.json()["fleet_sid"] == target.sid


def _status_with(ctx, token: str) -> int:
    return httpx.get(f"{ctx.mock.base_url}/v1/Sims", auth=(ctx.primary, token), trust_env=False).status_code


def token_prefix_accepted(ctx):
    token = ctx.profile.token_for(ctx.primary)
    assert _status_with(ctx, token[:-1]) == 200 and _status_with(ctx, token + "x") == 200
    assert _status_with(ctx, "0" * 32) == 401


def token_case_insensitive(ctx):
    token = ctx.profile.token_for(ctx.primary)
    assert _status_with(ctx, token.upper()) == 200 and _status_with(ctx, "0" * 32) == 401


def any_accounts_token_accepted(ctx):
    other = ctx.profile.token_for(ctx.profile.unrelated.sid)
    assert _status_with(ctx, other) == 200 and _status_with(ctx, "0" * 32) == 401


def activate_without_fleet(ctx):
    sim = ctx.sims("new", with_fleet=False)[0]
    response = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "active"})
    assert response.status_code == 202 and response.json()["fleet_sid"] is None


def activation_fleet_applied_at_once(ctx):
    sim = ctx.sims("new", with_fleet=False)[0]
    fleet = ctx.profile.fleets_of(ctx.primary)[0]
    response = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "active", "Fleet": fleet.sid})
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["fleet_sid"]) == ("scheduled", fleet.sid)


def remove_fleet_while_active(ctx):
    sim = next(s for s in ctx.sims("active") if s.fleet)
    response = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Fleet": ""})
    assert response.status_code == 202
    ctx.http.post("/_mock/flush")
    after = ctx.http.get(f"/v1/Sims/{sim.sid}").json()
    assert (after["status"], after["fleet_sid"]) == ("active", None)


def generic_error_codes(ctx):
    sim = ctx.sims("new", with_fleet=False)[0]
    refused = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "active"})
    assert refused.status_code == 400 and refused.json()["code"] == 20001
    assert refused.json()["more_info"].endswith("/20001")
    missing = ctx.http.post("/v1/Sims", data={"Iccid": ctx.profile.registrable[0].iccid})
    assert missing.status_code == 400 and missing.json()["code"] == 20001


def callback_as_json(ctx):
    _activate_with_callback(ctx)
    (request,) = ctx.received()
    assert request.headers["Content-Type"] == "application/json" and request.get_json()["SimStatus"] == "active"


def callback_without_account_sid(ctx):
    _activate_with_callback(ctx)
    (request,) = ctx.received()
    params = dict(parse_qsl(request.get_data(as_text=True)))
    assert "SimSid" in params and "AccountSid" not in params


def callback_get_as_form(ctx):
    _activate_with_callback(ctx, "GET")
    (request,) = ctx.received()
    assert request.method == "GET" and "SimSid" not in dict(parse_qsl(urlsplit(request.url).query))
    assert "SimSid" in dict(parse_qsl(request.get_data(as_text=True)))


def callback_bad_signature(ctx):
    _activate_with_callback(ctx)
    (request,) = ctx.received()
    params = dict(parse_qsl(request.get_data(as_text=True)))
    token = ctx.profile.token_for(ctx.primary)
    assert not RequestValidator(token).validate(
        ctx.receiver.url_for("/cb"), params, request.headers["X-Twilio-Signature"]
    )


def callback_twice(ctx):
    _activate_with_callback(ctx)
    assert len(ctx.received(count=2)) == 2


def no_callback(ctx):
    sim = _activate_with_callback(ctx)
    deadline = time.monotonic() + 3
    while ctx.http.get(f"/v1/Sims/{sim.sid}").json()["status"] != "active" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ctx.received(count=1, settle=0, timeout=0.3) == []


def error_body_not_twilio(ctx):
    response = ctx.http.get("/v1/Sims/HS" + "0" * 32)
    assert response.status_code == 404 and response.json() == {"error": "not found"}


def accept_wrong_credentials(ctx):
    with httpx.Client(base_url=ctx.mock.base_url, auth=(ctx.primary, "wrong"), trust_env=False) as client:
        assert client.get("/v1/Sims").status_code == 200
        assert client.get("/v1/Sims", auth=None).status_code == 200


def other_account_visible(ctx):
    foreign = ctx.profile.sims_of(ctx.profile.unrelated.sid)[0]
    response = ctx.http.get(f"/v1/Sims/{foreign.sid}")
    assert response.status_code == 200 and response.json()["account_sid"] == ctx.profile.unrelated.sid


def relative_urls(ctx):
    page = ctx.http.get("/v1/Sims", params={"PageSize": 2}).json()
    assert page["meta"]["url"].startswith("/v1/Sims?") and page["meta"]["next_page_url"].startswith("/v1/")
    assert page["sims"][0]["url"].startswith("/v1/Sims/")
    assert page["sims"][0]["links"]["billing_periods"].startswith("/v1/Sims/")


def meta_key_wrong(ctx):
    page = ctx.http.get("/v1/Sims").json()
    assert page["meta"]["key"] == "items"


def no_null_next_on_last_page(ctx):
    page = ctx.http.get("/v1/Sims", params={"PageSize": 1000}).json()
    assert len(page["sims"]) == len(ctx.sims()) and page["meta"]["next_page_url"] is not None
    assert ctx.http.get(page["meta"]["next_page_url"]).json()["sims"] == []


def ignore_page_size(ctx):
    page = ctx.http.get("/v1/Sims", params={"PageSize": 5}).json()
    assert len(page["sims"]) == 50 and page["meta"]["page_size"] == 5


def ignore_status_filter(ctx):
    sims = ctx.http.get("/v1/Sims", params={"Status": "new", "PageSize": 1000}).json()["sims"]
    assert {s["status"] for s in sims} > {"new"}


def allow_ready_from_active(ctx):
    sim = ctx.sims("active")[0]
    response = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "ready"})
    assert response.status_code == 200 and response.json()["status"] == "ready"


def allow_return_to_new(ctx):
    sim = ctx.sims("ready")[0]
    response = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "new"})
    assert response.status_code == 200 and response.json()["status"] == "new"


def duplicate_unique_name_allowed(ctx):
    a, b = ctx.sims("new")[:2]
    for sim in (a, b):
        assert ctx.http.post(f"/v1/Sims/{sim.sid}", data={"UniqueName": "twin"}).status_code == 200


def unknown_sid_returns_200_empty(ctx):
    response = ctx.http.get("/v1/Sims/HS" + "0" * 32)
    assert response.status_code == 200 and response.json() == {}


def date_updated_not_moving(ctx):
    sim = ctx.sims()[0]
    before = ctx.http.get(f"/v1/Sims/{sim.sid}").json()
    after = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"UniqueName": "renamed"}).json()
    assert after["unique_name"] == "renamed" and after["date_updated"] == before["date_updated"]


def next_page_other_host(ctx):
    meta = ctx.http.get("/v1/Sims").json()["meta"]
    assert meta["next_page_url"].startswith("http://evil.example.invalid/v1/Sims?")


def forbidden_not_404(ctx):
    foreign = ctx.profile.sims_of(ctx.profile.unrelated.sid)[0]
    assert ctx.http.get(f"/v1/Sims/{foreign.sid}").status_code == 403
    assert ctx.http.get("/v1/Sims/HS" + "0" * 32).status_code == 404


def page_size_over_max_accepted(ctx):
    response = ctx.http.get("/v1/Sims", params={"PageSize": 1500})
    assert response.status_code == 200 and response.json()["meta"]["page_size"] == 1500


def move_non_new_allowed(ctx):
    sim = ctx.sims("active")[0]
    sub = ctx.profile.subaccounts[0].sid
    fleet = ctx.profile.fleets_of(sub)[0].sid
    response = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"AccountSid": sub, "Fleet": fleet})
    assert response.status_code in (200, 202) and response.json()["account_sid"] == sub


def move_to_unrelated_allowed(ctx):
    sim = ctx.sims("new", with_fleet=False)[0]
    response = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"AccountSid": ctx.profile.unrelated.sid})
    assert response.status_code == 200 and response.json()["account_sid"] == ctx.profile.unrelated.sid


def no_auto_activate(ctx):
    sim = ctx.sims("ready")[0]
    out = ctx.http.post("/_mock/usage", json={"sim": sim.sid, "data_kb": 1000, "sms_commands": 10}).json()
    assert out["auto_activated"] is False
    ctx.http.post("/_mock/clock", json={"advance_seconds": 365 * 86400})
    assert ctx.http.get(f"/v1/Sims/{sim.sid}").json()["status"] == "ready"


def date_updated_before_created(ctx):
    body = ctx.http.get(f"/v1/Sims/{ctx.sims()[0].sid}").json()
    assert body["date_updated"] < body["date_created"]


def ignore_fleet_filter(ctx):
    fleet = ctx.profile.fleets_of(ctx.primary)[0]
    sims = ctx.http.get("/v1/Sims", params={"Fleet": fleet.sid, "PageSize": 1000}).json()["sims"]
    assert {s["fleet_sid"] for s in sims} - {fleet.sid}


def list_shows_other_accounts(ctx):
    sims = ctx.http.get("/v1/Sims", params={"PageSize": 1000}).json()["sims"]
    assert {s["account_sid"] for s in sims} - {ctx.primary}


def unique_name_not_addressable(ctx):
    sim = ctx.sims(named=True)[0]
    assert ctx.http.get(f"/v1/Sims/{sim.unique_name}").status_code == 404
    assert ctx.http.get(f"/v1/Sims/{sim.sid}").status_code == 200


def default_page_size_20(ctx):
    meta = ctx.http.get("/v1/Sims").json()["meta"]
    assert meta["page_size"] == 20


def json_body_accepted(ctx):
    card = ctx.profile.registrable[0]
    response = ctx.http.post("/v1/Sims", json={"Iccid": card.iccid, "RegistrationCode": card.registration_code})
    assert response.status_code == 201


def move_keeps_foreign_fleet(ctx):
    sim = ctx.sims("new", with_fleet=True)[0]
    sub = ctx.profile.subaccounts[0].sid
    response = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"AccountSid": sub})
    assert response.status_code == 200 and response.json()["fleet_sid"] == sim.fleet


#: The first faults' effect checks; the later ones (conformance/mock/planted/<area>.py) have
#: theirs in tests/mock/test_mock_faults_<area>.py.
CHECKS = {fault.name: globals()[fault.name.replace("-", "_")] for fault in _FIRST}


def test_every_fault_has_an_effect_check():
    """Each fault has its effect check in one of tests/mock/test_mock_faults*.py: a function named
    after it, or a branch on its name (each area file also tests that it covers its whole table)."""
    sources = "".join(path.read_text(encoding="utf-8") for path in Path(__file__).parent.glob("test_mock_faults*.py"))
    missing = [
        name for name in FAULTS if f"def {name.replace('-', '_')}(" not in sources and f'"{name}"' not in sources
    ]
    assert not missing, f"faults without an effect check in tests/mock/test_mock_faults*.py: {missing}"
    assert all(description and "\n" not in description for description in FAULTS.values())


@pytest.mark.parametrize("fault", sorted(CHECKS))
def test_fault_changes_the_behaviour_it_names(fault, httpserver):
    with start_mock(faults=[fault], async_delay=0.02) as mock:
        with httpx.Client(base_url=mock.base_url, auth=mock.credentials(), trust_env=False, timeout=10) as http:
            CHECKS[fault](Ctx(mock=mock, http=http, profile=mock.profile, receiver=httpserver))


def test_unknown_fault_names_are_a_clear_error():
    with pytest.raises(UnknownFaultError, match="'no-such-fault'"):
        validate_faults(["next-page-loops", "no-such-fault"])
    with pytest.raises(ValueError, match="unknown fault"):
        create_app(faults=["nope"])
    with pytest.raises(UnknownFaultError):
        start_mock(faults=["nope"])
