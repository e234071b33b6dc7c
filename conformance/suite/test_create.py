"""Registration (POST /v1/Sims): state-changing, full suite only."""

from __future__ import annotations

import json

import pytest

from conformance.checks import expect
from conformance.checks.scenarios import CREATE, CREATE_ERRORS, CREATE_FORM_ONLY
from conformance.suite.helpers import body, expect_error_code, fetch_sim

check = pytest.mark.supersim_check
requirement = pytest.mark.supersim_requirement
pytestmark = pytest.mark.usefixtures("sc_full_suite")


@requirement("SIM-ERR-010")  # its last step: the error code (a SHOULD)
@check(CREATE)
def test_register_card(sc_primary, sc_pool):
    card = sc_pool.take_card(sc_primary.account_sid, client=sc_primary)
    created = sc_primary.post("/v1/Sims", form={"Iccid": card.iccid, "RegistrationCode": card.registration_code})
    expect(
        created.status == 201,
        CREATE,
        "registering a registrable card did not answer 201",
        expected=201,
        received=created.status,
        exchange=created,
    )
    sim = body(created)
    expect(
        sim["account_sid"] == sc_primary.account_sid,
        CREATE,
        "the registered Sim belongs to another account",
        expected=sc_primary.account_sid,
        received=sim["account_sid"],
        exchange=created,
    )
    fetched = sc_primary.get(f"/v1/Sims/{sim['sid']}")
    expect(
        fetched.status == 200 and body(fetched)["iccid"] == card.iccid,
        CREATE,
        "the registered Sim cannot be fetched by its new SID",
        expected=f"200 with iccid {card.iccid}",
        received=f"{fetched.status} {fetched.excerpt()}",
        exchange=fetched,
    )
    found = sc_primary.get("/v1/Sims", params={"Iccid": card.iccid})
    expect(
        [s["sid"] for s in body(found)["sims"]] == [sim["sid"]],
        CREATE,
        "the Iccid filter does not find the registered Sim",
        expected=[sim["sid"]],
        received=[s["sid"] for s in body(found)["sims"]],
        exchange=found,
    )
    again = sc_primary.post("/v1/Sims", form={"Iccid": card.iccid, "RegistrationCode": card.registration_code})
    expect(
        400 <= again.status < 500,
        CREATE_ERRORS,
        "registering the same card twice was not refused",
        expected="a 4xx (already registered)",
        received=again.status,
        exchange=again,
    )
    expect_error_code(again, 83003, "registering a card the account already holds")


@requirement("SIM-ERR-008", "SIM-ERR-009")  # its last step: the error code (a SHOULD)
@check(CREATE_ERRORS)
@pytest.mark.parametrize(
    "case", ["missing Iccid", "missing RegistrationCode", "wrong code", "wrong last character", "unknown ICCID"]
)
def test_registration_errors(sc_primary, sc_pool, case):
    card = sc_pool.take_card(sc_primary.account_sid, client=sc_primary)
    code = card.registration_code
    wrong_code = ("X" if code[0] != "X" else "Y") + code[1:]
    wrong_last = code[:-1] + ("X" if code[-1] != "X" else "Y")  # a code checked on a prefix only passes
    form = {
        "missing Iccid": {"RegistrationCode": card.registration_code},
        "missing RegistrationCode": {"Iccid": card.iccid},
        "wrong code": {"Iccid": card.iccid, "RegistrationCode": wrong_code},
        "wrong last character": {"Iccid": card.iccid, "RegistrationCode": wrong_last},
        "unknown ICCID": {"Iccid": "89000000000000000001", "RegistrationCode": card.registration_code},
    }[case]
    exchange = sc_primary.post("/v1/Sims", form=form)
    expect(
        400 <= exchange.status < 500,
        CREATE_ERRORS,
        f"a registration with {case} was not refused",
        expected="a 4xx with Twilio's error body",
        received=exchange.status,
        exchange=exchange,
    )
    if case != "unknown ICCID":
        listed = sc_primary.get("/v1/Sims", params={"Iccid": card.iccid})
        expect(
            body(listed)["sims"] == [],
            CREATE_ERRORS,
            f"a refused registration ({case}) still added the Sim",
            expected="no Sim with that ICCID",
            received=[s["sid"] for s in body(listed)["sims"]],
            exchange=listed,
        )
    expect_error_code(exchange, 83001 if case.startswith("missing") else 83002, f"a registration with {case}")


@check(CREATE_FORM_ONLY)
def test_json_body_is_not_an_update(sc_primary, sc_pool):
    """Update parameters are form parameters too: a JSON body must not change the Sim."""
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new")
    name = f"json-{sim['sid'][-8:]}"
    payload = json.dumps({"UniqueName": name}).encode()
    exchange = sc_primary.request(
        "POST", f"/v1/Sims/{sim['sid']}", content=payload, headers={"Content-Type": "application/json"}
    )
    after = fetch_sim(sc_primary, sim["sid"])
    expect(
        after.get("unique_name") == sim.get("unique_name"),
        CREATE_FORM_ONLY,
        "a JSON body was read as update parameters (the Sim took the unique name it carried)",
        expected=f"unique_name {sim.get('unique_name')!r} (parameters come from a form body only)",
        received=f"{exchange.status}, then unique_name {after.get('unique_name')!r}",
        exchange=exchange,
    )


@check(CREATE_FORM_ONLY)
def test_json_body_is_not_a_registration(sc_primary, sc_pool):
    card = sc_pool.take_card(sc_primary.account_sid, client=sc_primary)
    payload = json.dumps({"Iccid": card.iccid, "RegistrationCode": card.registration_code}).encode()
    exchange = sc_primary.request("POST", "/v1/Sims", content=payload, headers={"Content-Type": "application/json"})
    expect(
        400 <= exchange.status < 500,
        CREATE_FORM_ONLY,
        "a JSON body was accepted as a registration",
        expected="a 4xx (parameters are read from an application/x-www-form-urlencoded body)",
        received=exchange.status,
        exchange=exchange,
    )
    listed = sc_primary.get("/v1/Sims", params={"Iccid": card.iccid})
    expect(
        body(listed)["sims"] == [],
        CREATE_FORM_ONLY,
        "the JSON registration added the Sim",
        expected="no Sim with that ICCID",
        received=[s["sid"] for s in body(listed)["sims"]],
        exchange=listed,
    )
