"""Every response check, run on a sample of every kind of answer (read-only requests).

Response checks also run on every response of every other scenario and of the generated
phase; this module gives each of them a row of its own in the report, so the per-requirement
scorecard shows what each one verified even when no scenario happened to trip it.
"""

from __future__ import annotations

import pytest

from conformance.checks import CHECKS, Violation, load_all, response_checks
from conformance.contract.exchange import Exchange

load_all()


@pytest.fixture(scope="session")
def sample(sc_target, sc_primary, sc_anonymous, sc_pool) -> list[Exchange]:
    """One request of each kind, sent without checking (the tests below check them)."""
    exchanges = [
        sc_primary.get("/v1/Sims", check=False),
        sc_primary.get("/v1/Sims", params={"PageSize": 3}, check=False),
        sc_primary.get("/v1/Sims", params={"PageSize": 0}, check=False),
        sc_primary.get("/v1/Sims", params={"Iccid": "89000000000000000000"}, check=False),
        sc_primary.get("/v1/Sims/HS" + "0" * 32, check=False),
        sc_anonymous.get("/v1/Sims", check=False),
    ]
    for status in ("new", "ready", "active", "inactive"):
        exchanges.append(sc_primary.get("/v1/Sims", params={"Status": status, "PageSize": 5}, check=False))
        for seed in sc_pool.reserved_sims(sc_primary.account_sid, status=status)[:1]:
            exchanges.append(sc_primary.get(f"/v1/Sims/{seed.sid}", check=False))
            exchanges.append(sc_primary.get("/v1/Sims", params={"Iccid": seed.iccid}, check=False))
            if seed.unique_name:
                exchanges.append(sc_primary.get(f"/v1/Sims/{seed.unique_name}", check=False))
    for sub in sc_target.profile.subaccounts[:1]:  # a subaccount's own lists and Sims, with its credentials
        as_sub = sc_target.client(*sc_target.profile.credentials(sub.sid))
        exchanges.append(as_sub.get("/v1/Sims", params={"PageSize": 5}, check=False))
        for seed in sc_pool.reserved_sims(sub.sid)[:1]:
            exchanges.append(as_sub.get(f"/v1/Sims/{seed.sid}", check=False))
    for fleet in sc_pool.fleets(sc_primary.account_sid)[:2]:
        exchanges.append(sc_primary.get("/v1/Sims", params={"Fleet": fleet.sid}, check=False))
        if fleet.unique_name:
            exchanges.append(sc_primary.get("/v1/Sims", params={"Fleet": fleet.unique_name}, check=False))
    return exchanges


@pytest.mark.parametrize(
    "check_id",
    [
        pytest.param(c.id, marks=pytest.mark.supersim_check(c.id), id=c.id)
        for c in sorted(response_checks(), key=lambda c: c.id)
    ],
)
def test_response_check(sc_target, sample, check_id):
    check = CHECKS[check_id]
    assert check.func is not None, f"{check_id} is a response check"
    for exchange in sample:
        if exchange.error:
            raise Violation(check_id, f"the target did not answer: {exchange.error}", exchange=exchange)
        check.func(sc_target, exchange)
