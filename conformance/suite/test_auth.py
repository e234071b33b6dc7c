"""Authentication and account isolation (read-only except the update probe, which must fail)."""

from __future__ import annotations

import pytest

from conformance.checks import expect
from conformance.checks.scenarios import AUTH_MISSING, AUTH_OTHER_ACCOUNT, AUTH_WRONG
from conformance.suite.helpers import body, error_code, fetch_sim, sims_of, walk

check = pytest.mark.supersim_check


def _some_sim(sc_pool, account):
    sims = sc_pool.reserved_sims(account)
    if not sims:
        pytest.skip(f"the profile lists no SIM of account {account}")
    return sims[0]


@check(AUTH_MISSING)
@pytest.mark.parametrize(
    "method,path", [("GET", "/v1/Sims"), ("GET", "/v1/Sims/{sid}"), ("POST", "/v1/Sims/{sid}"), ("POST", "/v1/Sims")]
)
def test_missing_credentials_are_401(request, sc_anonymous, sc_primary, sc_pool, method, path):
    if method == "POST":
        request.getfixturevalue("sc_full_suite")  # a POST that a broken target accepts would change state
        # ... so it goes to a Sim of its own, which no other scenario reads
        sid = sc_pool.take_any_sim(
            sc_primary, sc_primary.account_sid, ("active", "ready", "new"), why="a POST that must be refused"
        )["sid"]
    else:
        sid = _some_sim(sc_pool, sc_primary.account_sid).sid
    exchange = sc_anonymous.request(
        method, path.format(sid=sid), form=[("UniqueName", "x")] if method == "POST" else None
    )
    expect(
        exchange.status == 401,
        AUTH_MISSING,
        "a request without credentials was not refused with 401",
        expected=401,
        received=exchange.status,
        exchange=exchange,
    )
    expect(
        error_code(exchange) == 20003,
        AUTH_MISSING,
        "the 401 does not carry Twilio error code 20003",
        expected=20003,
        received=error_code(exchange),
        exchange=exchange,
    )


def _wrong_credentials(how: str, sc_target, sc_primary) -> tuple[str, str]:
    """(user, password) that must not work, each a way a server could check them loosely."""
    sid, token = sc_primary.account_sid, sc_primary.token or ""
    other = next((a for a in sc_target.profile.accounts if a.sid != sid), None)
    if how in ("another account's token", "another account's SID") and other is None:
        pytest.skip("the profile lists only one account")
    changed_last = token[:-1] + ("0" if token[-1:] != "0" else "1")
    other_token = ""
    if how in ("another account's token", "another account's SID") and other is not None:
        try:
            other_token = sc_target.profile.token_for(other.sid)
        except Exception:  # a profile may name an account without giving its token
            pytest.skip(f"the profile gives no Auth Token for account {other.sid}")
        if other_token == token:  # a replayed recording's placeholder tokens are all alike
            pytest.skip("the profile gives both accounts the same Auth Token")
    variants = {
        "a made-up token": (sid, "0" * 32 if token != "0" * 32 else "f" * 32),
        "the token with its last character changed": (sid, changed_last),
        "the token cut by one character": (sid, token[:-1]),
        "the token with one more character": (sid, token + "0"),
        "the token in upper case": (sid, token.upper()),
        "an empty token": (sid, ""),
        "another account's token": (sid, other_token),
        "another account's SID": (other.sid if other else "", token),
    }
    user, password = variants[how]
    if how == "the token in upper case" and password == token:
        pytest.skip("the token has no lower-case letter to change")
    return user, password


@check(AUTH_WRONG)
@pytest.mark.parametrize("method,path", [("GET", "/v1/Sims"), ("GET", "/v1/Sims/{sid}")])
@pytest.mark.parametrize(
    "how",
    [
        "a made-up token",
        "the token with its last character changed",
        "the token cut by one character",
        "the token with one more character",
        "the token in upper case",
        "an empty token",
        "another account's token",
        "another account's SID",
    ],
)
def test_wrong_token_is_401(sc_target, sc_primary, sc_pool, method, path, how):
    sid = _some_sim(sc_pool, sc_primary.account_sid).sid
    wrong = sc_target.client(*_wrong_credentials(how, sc_target, sc_primary))
    exchange = wrong.request(method, path.format(sid=sid))
    expect(
        exchange.status == 401,
        AUTH_WRONG,
        f"credentials with {how} were not refused with 401",
        expected=401,
        received=exchange.status,
        exchange=exchange,
    )
    expect(
        error_code(exchange) == 20003,
        AUTH_WRONG,
        "the 401 does not carry Twilio error code 20003",
        expected=20003,
        received=error_code(exchange),
        exchange=exchange,
    )


@check(AUTH_OTHER_ACCOUNT)
def test_other_accounts_sim_is_404_for_fetch(sc_unrelated, sc_primary, sc_pool):
    sim = _some_sim(sc_pool, sc_primary.account_sid)
    exchange = sc_unrelated.get(f"/v1/Sims/{sim.sid}")
    expect(
        exchange.status == 404,
        AUTH_OTHER_ACCOUNT,
        "another account's Sim was not invisible (404) to an unrelated account",
        expected=404,
        received=exchange.status,
        exchange=exchange,
    )
    if sim.unique_name:
        by_name = sc_unrelated.get(f"/v1/Sims/{sim.unique_name}")
        expect(
            by_name.status == 404,
            AUTH_OTHER_ACCOUNT,
            "another account's unique name resolved",
            expected=404,
            received=by_name.status,
            exchange=by_name,
        )


@check(AUTH_OTHER_ACCOUNT)
@pytest.mark.usefixtures("sc_full_suite")
def test_other_accounts_sim_is_404_for_update(sc_unrelated, sc_primary, sc_pool):
    sim = sc_pool.take_any_sim(
        sc_primary, sc_primary.account_sid, ("active", "ready", "new"), why="an update that must be refused"
    )
    exchange = sc_unrelated.post(f"/v1/Sims/{sim['sid']}", form={"UniqueName": "stolen-by-unrelated"})
    expect(
        exchange.status == 404,
        AUTH_OTHER_ACCOUNT,
        "an unrelated account could update (or learn about) another account's Sim",
        expected=404,
        received=exchange.status,
        exchange=exchange,
    )
    after = fetch_sim(sc_primary, sim["sid"])
    expect(
        after.get("unique_name") != "stolen-by-unrelated",
        AUTH_OTHER_ACCOUNT,
        "the unrelated account's update changed the Sim",
        expected=sim.get("unique_name"),
        received=after.get("unique_name"),
    )


@check(AUTH_OTHER_ACCOUNT)
def test_other_accounts_sims_absent_from_lists_and_filters(sc_unrelated, sc_primary, sc_pool):
    sim = _some_sim(sc_pool, sc_primary.account_sid)
    listed = {s["sid"] for s in sims_of(walk(sc_unrelated, {"PageSize": 1000}))}
    expect(
        sim.sid not in listed,
        AUTH_OTHER_ACCOUNT,
        "another account's Sim appears in a list",
        expected=f"{sim.sid} absent",
        received="present",
    )
    exchange = sc_unrelated.get("/v1/Sims", params={"Iccid": sim.iccid})
    expect(
        exchange.status == 200 and body(exchange)["sims"] == [],
        AUTH_OTHER_ACCOUNT,
        "the Iccid filter finds another account's Sim",
        expected="200 with sims []",
        received=f"{exchange.status} {exchange.excerpt()}",
        exchange=exchange,
    )
