"""The check registry and the requirement catalog agree, and the registry refuses mistakes."""

from __future__ import annotations

import pytest

from conformance import contract
from conformance.checks import (
    CHECKS,
    Check,
    Violation,
    _register,
    fail,
    load_all,
    response_checks,
    scenario_check,
)
from conformance.contract.exchange import Exchange

load_all()
CATALOG = {entry["id"]: entry for entry in contract.load_catalog()}


#: Checks allowed to guard no requirement, each with its reason.
UNANCHORED = {"GEN-ST-OTHER": "catch-all for a Schemathesis check the kit does not know by name"}


def test_every_check_guards_catalogued_testable_requirements():
    for check in CHECKS.values():
        assert check.requirements or check.id in UNANCHORED, f"{check.id} guards no requirement"
        for requirement in check.requirements:
            assert requirement in CATALOG, f"{check.id} names unknown requirement {requirement}"
            # a client check judges a client's requests (the proxy): a rule no server can break
            # is "not testable" against a server, and still a client check's to guard
            assert CATALOG[requirement].get("testable", True) or check.family == "CLIENT", (
                f"{check.id} claims to check {requirement}, which the catalog says is not testable"
            )


def test_every_testable_requirement_has_a_check():
    covered = {r for check in CHECKS.values() for r in check.requirements}
    missing = [
        rid
        for rid, entry in CATALOG.items()
        if entry.get("testable", True) and not entry.get("retired") and rid not in covered
    ]
    assert not missing, f"testable requirements no check guards: {missing}"


def test_check_ids_are_stable_and_well_formed():
    for ident in CHECKS:
        assert ident.split("-")[0] in {"RESP", "SCN", "GEN", "SAFE", "CLIENT"}, ident
        assert ident == ident.upper()


def test_duplicate_check_id_is_an_error():
    with pytest.raises(ValueError, match="duplicate check ID"):
        _register(Check("RESP-JSON", ("SIM-REQ-002",), "again"))
    with pytest.raises(ValueError, match="duplicate check ID"):
        scenario_check("SCN-PAGE-WALK", requirements=["SIM-PAGE-007"], title="again")


def test_unknown_check_id_cannot_be_raised():
    with pytest.raises(KeyError):
        fail("NO-SUCH-CHECK", "x")


def test_violation_explains_itself_and_hides_the_token():
    exchange = Exchange(
        method="GET",
        url="http://127.0.0.1:1/v1/Sims/HSx",
        account_sid="AC" + "a" * 32,
        status=404,
        text='{"error": "not found"}',
    )
    with pytest.raises(Violation) as caught:
        fail(
            "RESP-ERROR-BODY",
            "the 404 answer is not Twilio's error body",
            expected="Twilio body",
            received=exchange.excerpt(),
            exchange=exchange,
        )
    text = str(caught.value)
    for fragment in (
        "[RESP-ERROR-BODY]",
        "SIM-ERR-002",
        "expected: Twilio body",
        '{"error": "not found"}',
        "reproduce: curl",
        "$TWILIO_AUTH_TOKEN",
    ):
        assert fragment in text
    assert caught.value.to_dict()["exchange"]["curl"].count("$TWILIO_AUTH_TOKEN") == 1


def test_response_checks_run_most_basic_first():
    order = [check.id for check in response_checks()]
    assert order.index("RESP-JSON") < order.index("RESP-SIM-SCHEMA") < order.index("RESP-SIM-URL")
