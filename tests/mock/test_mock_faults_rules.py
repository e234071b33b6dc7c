"""Planted faults of the rules area (conformance/mock/planted/rules.py): each does what it says.

Every effect function asserts the faulty behaviour; it runs against a mock with its fault, where
it must pass, and against the faultless mock, where it must fail: the effect is the fault's,
not the mock's.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest

from conformance.contract import validate
from conformance.mock import start_mock
from conformance.mock.planted.rules import FAULTS
from tests.mock.test_mock_faults import Ctx

NAMES = [fault.name for fault in FAULTS]


def _sub(ctx):
    return ctx.profile.subaccounts[0].sid


def _as(ctx, account: str) -> httpx.Client:
    return httpx.Client(
        base_url=ctx.mock.base_url, auth=(account, ctx.profile.token_for(account)), trust_env=False, timeout=10
    )


def _new(ctx, **kw):
    return ctx.sims("new", **kw)[0]


def _fleets(ctx, account=None):
    return sorted(ctx.profile.fleets_of(account or ctx.primary), key=lambda f: f.sid)


def _register(ctx, **form):
    card = ctx.profile.registrable[0]
    data = {"Iccid": card.iccid, "RegistrationCode": card.registration_code, **form}
    return card, ctx.http.post("/v1/Sims", data={k: v for k, v in data.items() if v is not None})


# --- how a Sim is written ---------------------------------------------------------------------
def sid_one_digit_short(ctx):
    body = ctx.http.get(f"/v1/Sims/{ctx.sims()[0].sid}").json()
    assert len(body["sid"]) == 33 and validate("sim", body)


def account_sid_lowercase_prefix(ctx):
    body = ctx.http.get(f"/v1/Sims/{ctx.sims()[0].sid}").json()
    assert body["account_sid"].startswith("ac") and validate("sim", body)


def account_sid_one_digit_long(ctx):
    body = ctx.http.get("/v1/Sims", params={"PageSize": 1}).json()["sims"][0]
    assert len(body["account_sid"]) == 35 and validate("sim", body)


def subaccount_sims_show_parent_account(ctx):
    with _as(ctx, _sub(ctx)) as sub:
        sims = sub.get("/v1/Sims").json()["sims"]
    assert sims and {s["account_sid"] for s in sims} == {ctx.primary}


def account_sid_from_credentials(ctx):
    sim = _new(ctx, with_fleet=False)
    moved = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"AccountSid": _sub(ctx)})
    assert moved.status_code == 200 and moved.json()["account_sid"] == ctx.primary
    with _as(ctx, _sub(ctx)) as sub:
        assert sub.get(f"/v1/Sims/{sim.sid}").status_code == 200  # moved all the same


def status_capitalized(ctx):
    body = ctx.http.get(f"/v1/Sims/{_new(ctx).sid}").json()
    assert body["status"] == "New"


def status_scheduled_as_pending(ctx):
    sim = _new(ctx, with_fleet=True)
    answer = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "active"})
    assert answer.status_code == 202 and answer.json()["status"] == "pending"


def fleet_sid_empty_string(ctx):
    body = ctx.http.get(f"/v1/Sims/{_new(ctx, with_fleet=False).sid}").json()
    assert body["fleet_sid"] == ""


def fleet_sid_lowercase_prefix(ctx):
    body = ctx.http.get(f"/v1/Sims/{_new(ctx, with_fleet=True).sid}").json()
    assert body["fleet_sid"].startswith("hf")


def sim_url_by_unique_name(ctx):
    sim = ctx.sims(named=True)[0]
    body = ctx.http.get(f"/v1/Sims/{sim.sid}").json()
    assert body["url"].endswith(f"/v1/Sims/{sim.unique_name}")


def links_without_sim_sid(ctx):
    sim = ctx.sims()[0]
    links = ctx.http.get(f"/v1/Sims/{sim.sid}").json()["links"]
    assert all(sim.sid not in link and "/v1/Sims/" in link for link in links.values())


def content_type_text_html(ctx):
    response = ctx.http.get(f"/v1/Sims/{ctx.sims()[0].sid}")
    assert response.headers["content-type"].startswith("text/html") and response.json()["sid"]


def create_answers_empty_body(ctx):
    card, response = _register(ctx)
    assert response.status_code == 201 and response.json() == {}
    assert ctx.http.get("/v1/Sims", params={"Iccid": card.iccid}).json()["sims"]  # registered all the same


# --- error answers ----------------------------------------------------------------------------
_UNKNOWN = "HS" + "0" * 32


def errors_as_text(ctx):
    response = ctx.http.get(f"/v1/Sims/{_UNKNOWN}")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/plain")


def error_status_field_mismatch(ctx):
    response = ctx.http.get(f"/v1/Sims/{_UNKNOWN}")
    assert response.status_code == 404 and response.json()["status"] == 400


def unknown_sid_answers_400(ctx):
    response = ctx.http.get(f"/v1/Sims/{_UNKNOWN}")
    assert response.status_code == 400 and response.json()["code"] == 20001


def unknown_name_500(ctx):
    assert ctx.http.get("/v1/Sims/no-such-name").status_code == 500
    assert ctx.http.get(f"/v1/Sims/{_UNKNOWN}").status_code == 404


def registration_error_codes_swapped(ctx):
    card = ctx.profile.registrable[0]
    missing = ctx.http.post("/v1/Sims", data={"Iccid": card.iccid})
    wrong = ctx.http.post("/v1/Sims", data={"Iccid": card.iccid, "RegistrationCode": "X" * 10})
    assert (missing.json()["code"], wrong.json()["code"]) == (83002, 83001)


def update_error_codes_shifted(ctx):
    answer = ctx.http.post(f"/v1/Sims/{_new(ctx).sid}", data={"Fleet": "HF" + "0" * 32})
    assert answer.status_code == 404 and answer.json()["code"] == 83007


# --- methods ----------------------------------------------------------------------------------
def delete_removes_sim(ctx):
    sim = ctx.sims()[0]
    assert ctx.http.delete(f"/v1/Sims/{sim.sid}").status_code == 204
    assert ctx.http.get(f"/v1/Sims/{sim.sid}").status_code == 404


def unsupported_method_500(ctx):
    sim = ctx.sims()[0]
    assert ctx.http.put(f"/v1/Sims/{sim.sid}").status_code == 500
    assert ctx.http.delete("/v1/Sims").status_code == 500


# --- update values ----------------------------------------------------------------------------
def invalid_status_ignored(ctx):
    sim = _new(ctx)
    answer = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "deleted"})
    assert answer.status_code == 200 and answer.json()["status"] == "new"


def invalid_status_500(ctx):
    assert ctx.http.post(f"/v1/Sims/{_new(ctx).sid}", data={"Status": "deleted"}).status_code == 500


def ready_from_inactive_allowed(ctx):
    sim = next(s for s in ctx.sims("inactive") if s.fleet)
    answer = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "ready"})
    assert answer.status_code == 200 and answer.json()["status"] == "ready"


def inactive_to_new_allowed(ctx):
    inactive, active = ctx.sims("inactive")[0], ctx.sims("active")[0]
    assert ctx.http.post(f"/v1/Sims/{inactive.sid}", data={"Status": "new"}).json()["status"] == "new"
    assert ctx.http.post(f"/v1/Sims/{active.sid}", data={"Status": "new"}).status_code == 400


def fleet_removal_refused_but_applied(ctx):
    sim = next(s for s in ctx.sims("active") if s.fleet)
    answer = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Fleet": ""})
    assert answer.status_code == 400 and answer.json()["code"] == 83008
    assert ctx.http.get(f"/v1/Sims/{sim.sid}").json()["fleet_sid"] is None


def fleetless_activation_refused_but_applied(ctx):
    sim = _new(ctx, with_fleet=False)
    answer = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Status": "active"})
    assert answer.status_code == 400 and answer.json()["code"] == 83007
    assert ctx.http.get(f"/v1/Sims/{sim.sid}").json()["status"] == "active"


def fleet_update_ignored(ctx):
    sim, fleet = _new(ctx, with_fleet=False), _fleets(ctx)[0]
    answer = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Fleet": fleet.sid})
    assert answer.status_code == 200 and answer.json()["fleet_sid"] is None


def fleet_by_name_resolves_other_fleet(ctx):
    sim = _new(ctx, with_fleet=False)
    named = next(f for f in _fleets(ctx) if f.unique_name)
    answer = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Fleet": named.unique_name})
    assert answer.status_code == 200 and answer.json()["fleet_sid"] not in (None, named.sid)


def fleet_sid_resolves_neighbouring_fleet(ctx):
    sim, fleet = _new(ctx, with_fleet=False), _fleets(ctx)[0]
    answer = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Fleet": fleet.sid})
    assert answer.status_code == 200 and answer.json()["fleet_sid"] == _fleets(ctx)[1].sid


def fleet_by_name_stored_as_given(ctx):
    sim = _new(ctx, with_fleet=False)
    named = next(f for f in _fleets(ctx) if f.unique_name)
    answer = ctx.http.post(f"/v1/Sims/{sim.sid}", data={"Fleet": named.unique_name})
    assert answer.status_code == 200 and answer.json()["fleet_sid"] == named.unique_name


def callback_method_unchecked(ctx):
    form = {"CallbackMethod": "PUT", "CallbackUrl": "https://example.com/cb"}
    assert ctx.http.post(f"/v1/Sims/{_new(ctx).sid}", data=form).status_code == 200


def callback_method_checked_only_with_url(ctx):
    sim = _new(ctx)
    assert ctx.http.post(f"/v1/Sims/{sim.sid}", data={"CallbackMethod": "DELETE"}).status_code == 200
    form = {"CallbackMethod": "DELETE", "CallbackUrl": "https://example.com/cb"}
    assert ctx.http.post(f"/v1/Sims/{sim.sid}", data=form).status_code == 400


# --- registration -----------------------------------------------------------------------------
def registration_not_persisted(ctx):
    card, response = _register(ctx)
    assert response.status_code == 201
    assert ctx.http.get(f"/v1/Sims/{response.json()['sid']}").status_code == 404


def registered_sim_not_indexed(ctx):
    card, response = _register(ctx)
    assert ctx.http.get(f"/v1/Sims/{response.json()['sid']}").status_code == 200
    assert ctx.http.get("/v1/Sims", params={"Iccid": card.iccid}).json()["sims"] == []


def missing_iccid_registers_by_code(ctx):
    card, response = _register(ctx, Iccid=None)
    assert response.status_code == 201 and response.json()["iccid"] == card.iccid


def missing_code_registers(ctx):
    card, response = _register(ctx, RegistrationCode=None)
    assert response.status_code == 201 and response.json()["iccid"] == card.iccid


def missing_parameter_500(ctx):
    _, response = _register(ctx, RegistrationCode=None)
    assert response.status_code == 500


def registration_code_not_checked(ctx):
    _, response = _register(ctx, RegistrationCode="X" * 10)
    assert response.status_code == 201


def registration_code_prefix_checked(ctx):
    card = ctx.profile.registrable[0]
    _, wrong_first = _register(ctx, RegistrationCode="Z" + card.registration_code[1:])
    assert wrong_first.status_code == 400
    _, wrong_last = _register(ctx, RegistrationCode=card.registration_code[:-1] + "Z")
    assert wrong_last.status_code == 201


def registered_sim_ready(ctx):
    _, response = _register(ctx)
    assert response.status_code == 201 and response.json()["status"] == "ready"


def registered_sim_in_first_fleet(ctx):
    _, response = _register(ctx)
    assert response.status_code == 201 and response.json()["fleet_sid"] == _fleets(ctx)[0].sid


# --- moves ------------------------------------------------------------------------------------
def _move(ctx, sid, account, client=None, **extra):
    return (client or ctx.http).post(f"/v1/Sims/{sid}", data={"AccountSid": account, **extra})


def moves_refused(ctx):
    assert _move(ctx, _new(ctx, with_fleet=False).sid, _sub(ctx)).status_code == 400


def move_answered_not_applied(ctx):
    sim = _new(ctx, with_fleet=False)
    moved = _move(ctx, sim.sid, _sub(ctx))
    assert moved.status_code == 200 and moved.json()["account_sid"] == _sub(ctx)
    assert ctx.http.get(f"/v1/Sims/{sim.sid}").json()["account_sid"] == ctx.primary


def move_answer_shows_old_account(ctx):
    sim = _new(ctx, with_fleet=False)
    moved = _move(ctx, sim.sid, _sub(ctx))
    assert moved.status_code == 200 and moved.json()["account_sid"] == ctx.primary
    assert ctx.http.get(f"/v1/Sims/{sim.sid}").status_code == 404  # moved all the same


def move_to_primary_refused(ctx):
    sim = _new(ctx, with_fleet=False)
    assert _move(ctx, sim.sid, _sub(ctx)).status_code == 200
    assert _move(ctx, sim.sid, ctx.primary).status_code == 400


def move_between_subaccounts_refused(ctx):
    sim = _new(ctx, with_fleet=False)
    first, second = (account.sid for account in ctx.profile.subaccounts[:2])
    assert _move(ctx, sim.sid, first).status_code == 200
    assert _move(ctx, sim.sid, second).status_code == 400


def subaccount_moves_to_parent(ctx):
    sim = _new(ctx, with_fleet=False)
    assert _move(ctx, sim.sid, _sub(ctx)).status_code == 200
    with _as(ctx, _sub(ctx)) as sub:
        assert _move(ctx, sim.sid, ctx.primary, client=sub).status_code == 200


def non_new_move_refused_but_applied(ctx):
    sim = next(s for s in ctx.sims("active") if s.fleet)
    fleet = _fleets(ctx, _sub(ctx))[0]
    assert _move(ctx, sim.sid, _sub(ctx), Fleet=fleet.sid).status_code == 400
    assert ctx.http.get(f"/v1/Sims/{sim.sid}").status_code == 404  # it is the subaccount's now


def move_accepts_old_accounts_fleet(ctx):
    sim = _new(ctx, with_fleet=True)
    moved = _move(ctx, sim.sid, _sub(ctx), Fleet=sim.fleet)
    assert moved.status_code == 200 and moved.json()["fleet_sid"] == sim.fleet


def _inactive_move(ctx):
    sim = next(s for s in ctx.sims("inactive") if s.fleet is None)
    return sim, _move(ctx, sim.sid, _sub(ctx))


def inactive_move_answered_not_applied(ctx):
    sim, moved = _inactive_move(ctx)
    assert moved.status_code == 200 and moved.json()["account_sid"] == _sub(ctx)
    assert ctx.http.get(f"/v1/Sims/{sim.sid}").json()["account_sid"] == ctx.primary


def inactive_move_500(ctx):
    _, moved = _inactive_move(ctx)
    assert moved.status_code == 500


# --- authentication ---------------------------------------------------------------------------
def wrong_credentials_403(ctx):
    answer = httpx.get(f"{ctx.mock.base_url}/v1/Sims", auth=(ctx.primary, "0" * 32), trust_env=False)
    assert answer.status_code == 403 and answer.json()["code"] == 20003


def other_account_update_applied(ctx):
    sim = ctx.sims()[0]
    with _as(ctx, ctx.profile.unrelated.sid) as other:
        answer = other.post(f"/v1/Sims/{sim.sid}", data={"UniqueName": "taken-over"})
    assert answer.status_code == 404
    assert ctx.http.get(f"/v1/Sims/{sim.sid}").json()["unique_name"] == "taken-over"


# --- request encoding -------------------------------------------------------------------------
def json_update_accepted(ctx):
    sim = _new(ctx)
    answer = ctx.http.post(f"/v1/Sims/{sim.sid}", json={"UniqueName": "from-json"})
    assert answer.status_code == 200 and answer.json()["unique_name"] == "from-json"
    _, registration = _register(ctx)  # registrations still read the form only: this one has one
    assert registration.status_code == 201


# --- rate limiting ----------------------------------------------------------------------------
def _rate_limited(ctx) -> list[httpx.Response]:
    answers = [ctx.http.get("/v1/Sims", params={"PageSize": 1}) for _ in range(30)]
    return [answer for answer in answers if answer.status_code == 429]


def rate_limit_without_retry_after(ctx):
    limited = _rate_limited(ctx)
    assert len(limited) == 1 and "retry-after" not in limited[0].headers
    assert limited[0].json()["code"] == 20429


def rate_limit_retry_after_unreadable(ctx):
    limited = _rate_limited(ctx)
    assert len(limited) == 1 and limited[0].headers["retry-after"] == "soon"


EFFECTS = {name: globals()[name.replace("-", "_")] for name in NAMES}


def _run(faults: list[str], effect, httpserver) -> None:
    with start_mock(faults=faults, async_delay=0.02) as mock:
        with httpx.Client(base_url=mock.base_url, auth=mock.credentials(), trust_env=False, timeout=10) as http:
            effect(Ctx(mock=mock, http=http, profile=mock.profile, receiver=httpserver))


@pytest.mark.parametrize("fault", NAMES)
def test_the_fault_does_what_it_says(fault, httpserver):
    _run([fault], EFFECTS[fault], httpserver)


@pytest.mark.parametrize("fault", NAMES)
def test_the_faultless_mock_does_not(fault, httpserver):
    with pytest.raises((AssertionError, StopIteration, IndexError, KeyError, json.JSONDecodeError)):
        _run([], EFFECTS[fault], httpserver)


def test_names_follow_the_table():
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", name) for name in NAMES)
