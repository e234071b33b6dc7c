"""Updates: unique names, fleets, status transitions, asynchronous updates and their callbacks.

State-changing: full suite only. Each scenario takes its own SIM from the profile.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from conformance import contract
from conformance.checks import expect, expect_soft, fail
from conformance.checks.scenarios import (
    ACTIVATE_NEEDS_FLEET,
    ACTIVATE_WITH_FLEET,
    ASYNC_ACTIVATE,
    ASYNC_DEACTIVATE,
    ASYNC_FLEET,
    ASYNC_REACTIVATE,
    ASYNC_SYNC,
    AUTO_ACTIVE,
    CALLBACK_ARRIVAL,
    CALLBACK_GET,
    CALLBACK_POST,
    CALLBACK_SIGNATURE,
    FLEET_REQUIRED,
    NO_RETURN_TO_NEW,
    READY_ONLY_FROM_NEW,
    UNIQUE_NAME,
    UPDATE_FLEET_SYNC,
    UPDATE_INVALID,
)
from conformance.suite.helpers import body, expect_error_code, fetch_sim, wait_until

check = pytest.mark.supersim_check
requirement = pytest.mark.supersim_requirement
pytestmark = pytest.mark.usefixtures("sc_full_suite")


#: Why an activation scenario takes a Sim that has a fleet (the skip reason when none is left).
NEEDS_FLEET = "Twilio activates only a Sim assigned to a Fleet (error 83007)"


#: ``fleet_after`` when an update leaves the fleet as it was.
_UNCHANGED = object()


def _name(label: str) -> str:
    return f"conf-{label}-{uuid.uuid4().hex[:10]}"


# --- unique names and fleets ----------------------------------------------------------------


@requirement("SIM-ERR-015")  # its last step: the error code (a SHOULD)
@check(UNIQUE_NAME)
def test_unique_name_is_set_and_unique(sc_primary, sc_pool):
    first = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new")
    second = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new")
    name = _name("un")
    updated = sc_primary.post(f"/v1/Sims/{first['sid']}", form={"UniqueName": name})
    expect(
        updated.status == 200 and body(updated)["unique_name"] == name,
        UNIQUE_NAME,
        "setting UniqueName did not answer 200 with the new name",
        expected=f"200 with unique_name {name}",
        received=f"{updated.status} {updated.excerpt()}",
        exchange=updated,
    )
    by_name = sc_primary.get(f"/v1/Sims/{name}")
    expect(
        by_name.status == 200 and body(by_name)["sid"] == first["sid"],
        UNIQUE_NAME,
        "the new unique name does not address the Sim",
        expected=first["sid"],
        received=f"{by_name.status} {by_name.excerpt()}",
        exchange=by_name,
    )
    clash = sc_primary.post(f"/v1/Sims/{second['sid']}", form={"UniqueName": name})
    expect(
        400 <= clash.status < 500,
        UNIQUE_NAME,
        "a second Sim was given a unique name already in use",
        expected="a 4xx (409 or 400)",
        received=clash.status,
        exchange=clash,
    )
    after = fetch_sim(sc_primary, name)
    expect(
        after["sid"] == first["sid"],
        UNIQUE_NAME,
        "after the clash the name addresses another Sim",
        expected=first["sid"],
        received=after["sid"],
    )
    expect_error_code(clash, 83011, "a UniqueName already in use")


@check(UPDATE_FLEET_SYNC)
def test_fleet_of_new_sim_by_sid_and_by_name(sc_primary, sc_pool):
    fleets = [f for f in sc_pool.need_fleets(sc_primary.account_sid, 1)]
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new", with_fleet=False)
    fleet = fleets[0]
    updated = sc_primary.post(f"/v1/Sims/{sim['sid']}", form={"Fleet": fleet.sid})
    expect(
        updated.status == 200,
        UPDATE_FLEET_SYNC,
        "a fleet change of a new Sim was not synchronous (200)",
        expected=200,
        received=updated.status,
        exchange=updated,
    )
    expect(
        body(updated)["fleet_sid"] == fleet.sid and body(updated)["status"] == "new",
        UPDATE_FLEET_SYNC,
        "the fleet change of a new Sim did not apply at once",
        expected={"fleet_sid": fleet.sid, "status": "new"},
        received={k: body(updated).get(k) for k in ("fleet_sid", "status")},
        exchange=updated,
    )
    named = [f for f in fleets if f.unique_name]
    if named:
        other = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new", with_fleet=False)
        by_name = sc_primary.post(f"/v1/Sims/{other['sid']}", form={"Fleet": named[-1].unique_name})
        expect(
            by_name.status == 200 and body(by_name)["fleet_sid"] == named[-1].sid,
            UPDATE_FLEET_SYNC,
            "Fleet given by unique name did not set that fleet's SID",
            expected=named[-1].sid,
            received=f"{by_name.status} {by_name.excerpt()}",
            exchange=by_name,
        )


@requirement("SIM-ERR-011")  # its last step: the error code (a SHOULD)
@check(UPDATE_INVALID)
@pytest.mark.parametrize(
    "form",
    [
        {"Status": "scheduled"},
        {"Status": "deleted"},
        {"Status": "ACTIVE"},
        {"CallbackMethod": "PUT", "CallbackUrl": "https://example.com/cb"},
        {"CallbackMethod": "DELETE"},
        {"Fleet": "HF" + "0" * 32},
    ],
    ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()),
)
def test_invalid_update_values_are_refused(sc_primary, sc_pool, form):
    # a Sim of its own: were the target to accept the invalid update, no other scenario reads it
    sim = sc_pool.take_any_sim(
        sc_primary, sc_primary.account_sid, ("active", "ready", "new"), why="an update that must be refused"
    )
    exchange = sc_primary.post(f"/v1/Sims/{sim['sid']}", form=form)
    expect(
        400 <= exchange.status < 500,
        UPDATE_INVALID,
        f"the invalid update {form} was not refused",
        expected="a 4xx naming the parameter",
        received=exchange.status,
        exchange=exchange,
    )
    if "Fleet" in form:
        expect_error_code(exchange, 83006, "a Fleet the account does not have")


# --- transitions ----------------------------------------------------------------------------


@requirement("SIM-ERR-014")  # its last step: the error code (a SHOULD)
@check(READY_ONLY_FROM_NEW)
@pytest.mark.parametrize("status", ["active", "inactive"])
def test_ready_only_from_new(sc_primary, sc_pool, status):
    # with a Fleet, so that the status is the only reason left to refuse (a fleetless Sim is refused anyway: 83007)
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, status, with_fleet=True)
    exchange = sc_primary.post(f"/v1/Sims/{sim['sid']}", form={"Status": "ready"})
    expect(
        400 <= exchange.status < 500,
        READY_ONLY_FROM_NEW,
        f"an {status} Sim was allowed to become ready",
        expected="a 4xx",
        received=exchange.status,
        exchange=exchange,
    )
    now = fetch_sim(sc_primary, sim["sid"])
    expect(
        now["status"] == status,
        READY_ONLY_FROM_NEW,
        "the refused transition changed the status anyway",
        expected=status,
        received=now["status"],
    )
    expect_error_code(exchange, 83010, f"Status=ready for an {status} Sim")


@check(NO_RETURN_TO_NEW)
@pytest.mark.parametrize("status", ["ready", "active", "inactive"])
def test_never_back_to_new(sc_primary, sc_pool, status):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, status)
    exchange = sc_primary.post(f"/v1/Sims/{sim['sid']}", form={"Status": "new"})
    expect(
        400 <= exchange.status < 500,
        NO_RETURN_TO_NEW,
        f"a {status} Sim was allowed back to new",
        expected="a 4xx",
        received=exchange.status,
        exchange=exchange,
    )
    now = fetch_sim(sc_primary, sim["sid"])
    expect(
        now["status"] == status,
        NO_RETURN_TO_NEW,
        "the refused transition changed the status anyway",
        expected=status,
        received=now["status"],
    )


# --- asynchronous updates and callbacks -----------------------------------------------------


def _scheduled_then_final(
    client, check_id, sim, form, final, *, fleet_before=None, fleet_check=ASYNC_FLEET, fleet_after=_UNCHANGED
):
    """Send an asynchronous update; check scheduled first (with the old fleet), then the final state.

    ``fleet_check`` is the check a fleet_sid shown too early breaks (SIM-ASYNC-004 is among its
    requirements): the fleet-change scenario's own, or the one of a scenario that sends Status
    and Fleet together. ``fleet_after`` is the fleet_sid the completed update shows (when the
    update changes it): a fetch right after the 202 must show either the scheduled Sim or that
    final state, never the Sim as it was before (SIM-ASYNC-002).
    """
    exchange = client.post(f"/v1/Sims/{sim['sid']}", form=form)
    expect(
        exchange.status in (200, 202),
        check_id,
        "the asynchronous update was not accepted",
        expected="202 (or 200) with status scheduled",
        received=exchange.status,
        exchange=exchange,
    )
    accepted = body(exchange)
    expect(
        accepted["status"] == "scheduled",
        check_id,
        "the update did not answer status scheduled first",
        expected="scheduled",
        received=accepted["status"],
        exchange=exchange,
    )
    pending = fetch_sim(client, sim["sid"])
    final_fleet = sim["fleet_sid"] if fleet_after is _UNCHANGED else fleet_after
    completed = pending["status"] == final and pending["fleet_sid"] == final_fleet
    expect(
        pending["status"] == "scheduled" or completed or final == "ready" and pending["status"] == "active",
        check_id,
        "right after the update was accepted, a fetch shows neither the scheduled Sim nor the completed update",
        expected=f"status scheduled, or the completed update (status {final}, fleet_sid {final_fleet})",
        received={"status": pending["status"], "fleet_sid": pending["fleet_sid"]},
        requirements=["SIM-ASYNC-002"],
    )
    if fleet_before is not None or "Fleet" in form:
        expect(
            accepted["fleet_sid"] == sim["fleet_sid"],
            fleet_check,
            "the accepted fleet change already shows another fleet_sid",
            expected=sim["fleet_sid"],
            received=accepted["fleet_sid"],
            exchange=exchange,
            requirements=["SIM-ASYNC-004"],
        )
        if pending["status"] == "scheduled":
            expect(
                pending["fleet_sid"] == sim["fleet_sid"],
                fleet_check,
                "fleet_sid changed while the update was still scheduled",
                expected=sim["fleet_sid"],
                received=pending["fleet_sid"],
                requirements=["SIM-ASYNC-004"],
            )
    done = wait_until(client, sim["sid"], lambda s: s["status"] != "scheduled")
    expect(
        done["status"] == final,
        check_id,
        "the asynchronous update did not reach the requested status",
        expected=final,
        received=done["status"],
    )
    server_now = _server_time(exchange)
    if server_now is not None and _parse(sim["date_updated"]) < server_now:
        expect(
            _parse(done["date_updated"]) > _parse(sim["date_updated"]),
            check_id,
            "date_updated did not move when the asynchronous update completed",
            expected=f"later than {sim['date_updated']}",
            received=done["date_updated"],
            requirements=["SIM-PROP-012"] if "SIM-PROP-012" in _requirements(check_id) else None,
        )
    return accepted, done


def _requirements(check_id: str) -> tuple[str, ...]:
    from conformance.checks import load_all

    return load_all()[check_id].requirements


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _server_time(exchange) -> datetime | None:
    """The target's clock (its Date header, whole seconds), to know whether date_updated must move."""
    try:
        stamp = parsedate_to_datetime(exchange.response_headers["date"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None  # no Date, or one the kit cannot read (two joined by a proxy): not judged
    # "-0000" (RFC 5322: no zone information) parses naive; an HTTP-date is always GMT
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def _watched_url(sc_callbacks, client, label: str, sid: str, suffix: str = "") -> str:
    """A fresh callback URL whose callbacks make the receiver fetch the Sim before it answers.

    The fetch happens while the target waits for the receiver's answer, that is after it sent
    the callback: whatever the callback reports must already be what the Sim shows.
    """
    url = sc_callbacks.url_for(label) + suffix

    def fetch(call):
        exchange = client.get(f"/v1/Sims/{sid}", check=False)
        return body(exchange) if exchange.status == 200 else {"status": f"HTTP {exchange.status}"}

    sc_callbacks.watch(url, fetch)
    return url


def _same_status(shown: str, reported: str) -> bool:
    """A Sim that completed as ready may have turned active since (data use, SMS Commands): both agree."""
    return shown == reported or (reported == "ready" and shown == "active")


def _check_callback(
    client, sc_callbacks, url, sim, *, final, token, method="POST", account=None, fleet=_UNCHANGED, signature_check=None
):
    """The one callback of an asynchronous update: how it came, what it says, when it came, its signature.

    ``sim`` is the Sim as it was before the update; ``final`` the status it must end in (for a
    fleet change, its prior ready or active status); ``account`` the account it belongs to
    afterwards (default: its own); ``fleet`` the fleet_sid it shows afterwards when it changed.
    """
    own = CALLBACK_GET if method == "GET" else CALLBACK_POST
    calls = sc_callbacks.wait(url, count=1, timeout=sc_callbacks.timeout)
    expect(
        len(calls) == 1,
        own,
        "not exactly one callback arrived for the asynchronous update",
        expected=f"1 {method} request to {url}",
        received=f"{len(calls)} request(s)",
        requirements=["SIM-CB-001"],
    )
    call = calls[0]
    expect(
        call.method == method,
        own,
        "the callback used another HTTP method",
        expected=method,
        received=call.method,
        requirements=["SIM-CB-006", "SIM-UPDATE-008"] if method == "POST" else ["SIM-CB-007"],
    )
    own_query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    expect(
        all(pair in call.query for pair in own_query),
        own,
        "the callback did not go to the CallbackUrl given: its own query string is missing",
        expected=url,
        received=call.url,
        requirements=["SIM-UPDATE-006", "SIM-CB-001"],
    )
    if method == "POST":
        expect(
            "application/x-www-form-urlencoded" in call.content_type and call.query == own_query,
            CALLBACK_POST,
            "a POST callback did not carry its parameters as an HTML form body (and only there)",
            expected=f"Content-Type: application/x-www-form-urlencoded, query only {own_query}",
            received=f"Content-Type: {call.content_type!r}, query {call.query}, body {call.body[:120]!r}",
            requirements=["SIM-CB-006"],
        )
    else:
        expect(
            len(call.query) > len(own_query) and not call.body,
            CALLBACK_GET,
            "a GET callback did not carry its parameters in the query string (and only there)",
            expected=f"the URL's own query {own_query} and the parameters, empty body",
            received=f"query {call.query}, body {call.body[:120]!r}",
            requirements=["SIM-CB-007"],
        )
    params = call.params
    errors = contract.validate("callback", params)
    if errors:
        fail(
            own,
            "the callback parameters break the contract",
            expected="SimSid, SimStatus, AccountSid (+ SimUniqueName)",
            received="; ".join(str(e) for e in errors),
        )
    account = account or sim["account_sid"]
    for name, wanted, requirement in (
        ("SimSid", sim["sid"], "SIM-CB-002"),
        ("SimStatus", final, "SIM-CB-004"),
        ("AccountSid", account, "SIM-CB-005"),
    ):
        expect(
            params.get(name) == wanted,
            own,
            f"the callback's {name} does not describe the updated Sim",
            expected=wanted,
            received=params.get(name),
            requirements=[requirement],
        )
    name = sim.get("unique_name")
    expect(
        params.get("SimUniqueName") == name if name else params.get("SimUniqueName") in (None, ""),
        own,
        "the callback's SimUniqueName is not the Sim's unique_name"
        if name
        else "the callback carries a SimUniqueName for a Sim without a unique name",
        expected=name if name else "no SimUniqueName",
        received=params.get("SimUniqueName"),
        requirements=["SIM-CB-003"],
    )
    if call.seen_error is None and isinstance(call.seen, dict):
        seen = {"status": call.seen.get("status"), "fleet_sid": call.seen.get("fleet_sid")}
        wanted_state = {"status": final, "fleet_sid": sim["fleet_sid"] if fleet is _UNCHANGED else fleet}
        expect(
            _same_status(str(seen["status"]), final) and seen["fleet_sid"] == wanted_state["fleet_sid"],
            CALLBACK_ARRIVAL,
            "when the callback arrived, the Sim did not yet show the final state of the update",
            expected=wanted_state,
            received=seen,
        )
    later = fetch_sim(client, sim["sid"])
    expect(
        _same_status(later["status"], final),
        CALLBACK_ARRIVAL,
        "after the update completed and its callback arrived, the Sim left the final status again",
        expected=final,
        received=later["status"],
        requirements=["SIM-ASYNC-003", "SIM-TRANS-006"],
    )
    signature = call.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(token)
    signed_url, signed_params = (call.url, {}) if method == "GET" else (url, dict(call.form))
    expect(
        bool(signature) and validator.validate(signed_url, signed_params, signature),
        signature_check or CALLBACK_SIGNATURE,
        "the callback's X-Twilio-Signature is missing or not valid for the account's Auth Token",
        expected=f"a valid HMAC-SHA1 signature of {signed_url}"
        + (" + the sorted form parameters" if signed_params else ""),
        received=signature or "no X-Twilio-Signature header",
    )


@check(ASYNC_ACTIVATE)
@pytest.mark.parametrize("final", ["ready", "active"])
def test_activation_is_asynchronous(sc_primary, sc_pool, final):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new", with_fleet=True, why=NEEDS_FLEET)
    _scheduled_then_final(sc_primary, ASYNC_ACTIVATE, sim, {"Status": final}, final)


@check(ASYNC_DEACTIVATE)
def test_deactivation_is_asynchronous(sc_primary, sc_pool):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "active")
    _scheduled_then_final(sc_primary, ASYNC_DEACTIVATE, sim, {"Status": "inactive"}, "inactive")


@check(ASYNC_REACTIVATE)
def test_reactivation_is_asynchronous(sc_primary, sc_pool):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "inactive", with_fleet=True, why=NEEDS_FLEET)
    _scheduled_then_final(sc_primary, ASYNC_REACTIVATE, sim, {"Status": "active"}, "active")


@check(ASYNC_FLEET)
@pytest.mark.parametrize("status", ["active", "ready"])
def test_fleet_change_of_activated_sim(sc_primary, sc_pool, sc_callbacks, status):
    fleets = sc_pool.need_fleets(sc_primary.account_sid, 2)
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, status, with_fleet=True)
    new_fleet = next(f for f in fleets if f.sid != sim["fleet_sid"])
    url = _watched_url(sc_callbacks, sc_primary, "fleet", sim["sid"])
    _, done = _scheduled_then_final(
        sc_primary,
        ASYNC_FLEET,
        sim,
        {"Fleet": new_fleet.sid, "CallbackUrl": url},
        status,
        fleet_before=sim["fleet_sid"],
        fleet_after=new_fleet.sid,
    )
    expect(
        done["fleet_sid"] == new_fleet.sid,
        ASYNC_FLEET,
        "after the fleet change completed, fleet_sid is not the new fleet",
        expected=new_fleet.sid,
        received=done["fleet_sid"],
    )
    _check_callback(sc_primary, sc_callbacks, url, sim, final=status, token=sc_primary.token, fleet=new_fleet.sid)


@check(CALLBACK_POST)
@pytest.mark.parametrize("method", [None, "POST"], ids=["default-method", "POST"])
def test_post_callback(sc_primary, sc_pool, sc_callbacks, method):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "active")
    url = _watched_url(sc_callbacks, sc_primary, "post", sim["sid"])
    form = {"Status": "inactive", "CallbackUrl": url, **({"CallbackMethod": method} if method else {})}
    _scheduled_then_final(sc_primary, CALLBACK_POST, sim, form, "inactive")
    _check_callback(sc_primary, sc_callbacks, url, sim, final="inactive", token=sc_primary.token)


@check(CALLBACK_GET)
def test_get_callback(sc_primary, sc_pool, sc_callbacks):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "inactive", with_fleet=True, why=NEEDS_FLEET)
    url = _watched_url(sc_callbacks, sc_primary, "get", sim["sid"], "?ref=conformance")
    form = {"Status": "active", "CallbackUrl": url, "CallbackMethod": "GET"}
    _scheduled_then_final(sc_primary, CALLBACK_GET, sim, form, "active")
    _check_callback(sc_primary, sc_callbacks, url, sim, final="active", token=sc_primary.token, method="GET")


#: A unique name with what form and query encodings get wrong: spaces, +, &, =, %, non-ASCII letters.
AWKWARD_NAME = "conf cb+1&x=2%41 éü"


@check(CALLBACK_POST)
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_callback_names_the_unique_name(sc_primary, sc_pool, sc_callbacks, method):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new", with_fleet=True, why=NEEDS_FLEET)
    name = f"{AWKWARD_NAME} {uuid.uuid4().hex[:8]}"
    named = sc_primary.post(f"/v1/Sims/{sim['sid']}", form={"UniqueName": name})
    if named.status != 200 or body(named).get("unique_name") != name:
        pytest.skip(f"the target did not take the unique name {name!r} ({named.status}): SimUniqueName not judged")
    sim = body(named)
    url = _watched_url(sc_callbacks, sc_primary, "named", sim["sid"])
    form = {"Status": "active", "CallbackUrl": url, "CallbackMethod": method}
    _scheduled_then_final(sc_primary, CALLBACK_POST, sim, form, "active")
    _check_callback(sc_primary, sc_callbacks, url, sim, final="active", token=sc_primary.token, method=method)


@check(CALLBACK_SIGNATURE)
def test_callback_signature(sc_primary, sc_pool, sc_callbacks):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new", with_fleet=True, why=NEEDS_FLEET)
    url = _watched_url(sc_callbacks, sc_primary, "signed", sim["sid"], "?ref=conformance")
    _scheduled_then_final(sc_primary, CALLBACK_SIGNATURE, sim, {"Status": "ready", "CallbackUrl": url}, "ready")
    _check_callback(sc_primary, sc_callbacks, url, sim, final="ready", token=sc_primary.token)


@check(CALLBACK_POST)
def test_callback_of_a_sim_moved_in_the_same_request(sc_primary, sc_subaccount, sc_pool, sc_callbacks):
    """Moved to a subaccount and activated in one request: the callback is the subaccount's, signed with its token."""
    sub = sc_subaccount.account_sid
    fleet = sc_pool.need_fleets(sub, 1)[0]
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new", with_fleet=True, why=NEEDS_FLEET)
    url = _watched_url(sc_callbacks, sc_subaccount, "moved", sim["sid"])
    form = {"AccountSid": sub, "Fleet": fleet.sid, "Status": "active", "CallbackUrl": url}
    exchange = sc_primary.post(f"/v1/Sims/{sim['sid']}", form=form)
    if exchange.status >= 400:
        pytest.skip(f"the target refuses a move with an activation in one request ({exchange.status}): not judged")
    done = wait_until(sc_subaccount, sim["sid"], lambda s: s["status"] != "scheduled")
    expect(
        done["status"] == "active" and done["account_sid"] == sub,
        CALLBACK_POST,
        "the moved Sim did not end active in the subaccount",
        expected={"status": "active", "account_sid": sub},
        received={"status": done["status"], "account_sid": done["account_sid"]},
        requirements=["SIM-TRANS-006"] if done["account_sid"] == sub else None,
    )
    _check_callback(
        sc_subaccount, sc_callbacks, url, sim, final="active", token=sc_subaccount.token, account=sub, fleet=fleet.sid
    )


@check(ASYNC_SYNC)
@pytest.mark.parametrize("what", ["UniqueName", "CallbackUrl"])
def test_synchronous_updates_are_not_scheduled(sc_primary, sc_pool, sc_callbacks, what):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "active")
    form = {"UniqueName": _name("sync")} if what == "UniqueName" else {"CallbackUrl": sc_callbacks.url_for("sync")}
    exchange = sc_primary.post(f"/v1/Sims/{sim['sid']}", form=form)
    expect(
        exchange.status < 300,
        ASYNC_SYNC,
        f"an update of {what} alone was not accepted",
        expected="200",
        received=f"{exchange.status} {exchange.excerpt()}",
        exchange=exchange,
    )
    answered = body(exchange)["status"]
    # leave the Sim as a later scenario expects it, whatever the answer was
    wait_until(sc_primary, sim["sid"], lambda s: s["status"] != "scheduled")
    expect_soft(
        exchange.status == 200 and answered == "active",
        ASYNC_SYNC,
        f"an update of {what} alone went through scheduled: it is none of the four asynchronous scenarios",
        expected="200 with the Sim still active",
        received=f"{exchange.status} with status {answered}",
        exchange=exchange,
    )


# --- activation needs a fleet (SIM-STATUS-001, SIM-TRANS-007) -------------------------------


def _refused_and_unchanged(client, check_id, sim, form, accepted: str, why: str, what: str):
    """Send an update the rules refuse; check the 4xx and that the Sim kept its status and fleet.

    An asynchronous update a broken target accepted is waited out first (it must not change
    the Sim either). Returns the refusal, for the error-code step that comes last.
    """
    exchange = client.post(f"/v1/Sims/{sim['sid']}", form=form)
    expect(
        400 <= exchange.status < 500,
        check_id,
        accepted,
        expected=f"a 4xx ({why})",
        received=f"{exchange.status} {exchange.excerpt()}",
        exchange=exchange,
    )
    now = wait_until(client, sim["sid"], lambda s: s["status"] != "scheduled", timeout=2)
    before = {"status": sim["status"], "fleet_sid": sim["fleet_sid"]}
    expect(
        {"status": now["status"], "fleet_sid": now["fleet_sid"]} == before,
        check_id,
        f"the refused {what} changed the Sim anyway",
        expected=before,
        received={"status": now["status"], "fleet_sid": now["fleet_sid"]},
    )
    return exchange


@requirement("SIM-ERR-012")  # its last step: the error code (a SHOULD)
@check(ACTIVATE_NEEDS_FLEET)
@pytest.mark.parametrize(("status", "final"), [("new", "active"), ("new", "ready"), ("inactive", "active")])
def test_activation_without_fleet_is_refused(sc_primary, sc_pool, status, final):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, status, with_fleet=False)
    exchange = _refused_and_unchanged(
        sc_primary,
        ACTIVATE_NEEDS_FLEET,
        sim,
        {"Status": final},
        f"a {status} Sim without a Fleet was accepted for activation to {final}",
        "a Sim must be assigned to a Fleet before it can be activated",
        "activation",
    )
    expect_error_code(exchange, 83007, "an activation without a Fleet")


@check(ACTIVATE_WITH_FLEET)
def test_activation_with_fleet_in_the_same_request(sc_primary, sc_pool, sc_callbacks):
    fleet = sc_pool.need_fleets(sc_primary.account_sid, 1)[0]
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new", with_fleet=False)
    url = _watched_url(sc_callbacks, sc_primary, "activate-with-fleet", sim["sid"])
    accepted, done = _scheduled_then_final(
        sc_primary,
        ACTIVATE_WITH_FLEET,
        sim,
        {"Status": "active", "Fleet": fleet.sid, "CallbackUrl": url},
        "active",
        fleet_before=sim["fleet_sid"],
        fleet_check=ACTIVATE_WITH_FLEET,
        fleet_after=fleet.sid,
    )
    expect(
        done["fleet_sid"] == fleet.sid,
        ACTIVATE_WITH_FLEET,
        "after the activation completed, fleet_sid is not the Fleet given with it",
        expected=fleet.sid,
        received=done["fleet_sid"],
    )
    _check_callback(sc_primary, sc_callbacks, url, sim, final="active", token=sc_primary.token, fleet=fleet.sid)


@requirement("SIM-ERR-013")  # its last step: the error code (a SHOULD)
@check(FLEET_REQUIRED)
@pytest.mark.parametrize("status", ["active", "ready"])
def test_activated_sim_keeps_its_fleet(sc_primary, sc_pool, status):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, status, with_fleet=True)
    exchange = _refused_and_unchanged(
        sc_primary,
        FLEET_REQUIRED,
        sim,
        {"Fleet": ""},
        f"the Fleet of a {status} Sim was removed",
        "a ready or active Sim must belong to a Fleet",
        "fleet removal",
    )
    expect_error_code(exchange, 83008, f"removing the Fleet of a {status} Sim")


@check(FLEET_REQUIRED)
def test_deactivation_may_remove_the_fleet(sc_primary, sc_pool):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "active", with_fleet=True)
    _, done = _scheduled_then_final(
        sc_primary,
        FLEET_REQUIRED,
        sim,
        {"Status": "inactive", "Fleet": ""},
        "inactive",
        fleet_before=sim["fleet_sid"],
        fleet_after=None,
    )
    expect(
        done["fleet_sid"] is None,
        FLEET_REQUIRED,
        "deactivating and removing the Fleet in one request left the Fleet in place",
        expected=None,
        received=done["fleet_sid"],
    )


# --- automatic ready -> active (needs the mock's control endpoints) -------------------------


@pytest.fixture(scope="session")
def mock_control(sc_primary):
    """The reference mock's /_mock/ control endpoints (skips on targets without them)."""
    exchange = sc_primary.get("/_mock/", check=False)
    if exchange.status != 200 or not isinstance(body(exchange), dict) or "now" not in body(exchange):
        pytest.skip(
            "the target has no /_mock/ control endpoints: data use and the passing of months "
            "cannot be simulated against it"
        )
    return sc_primary


@check(AUTO_ACTIVE)
@pytest.mark.parametrize("trigger", ["250KB of data", "five SMS Commands", "three months"])
def test_ready_becomes_active_automatically(sc_primary, sc_pool, mock_control, trigger):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "ready")
    before_limit = {"250KB of data": {"data_kb": 249}, "five SMS Commands": {"sms_commands": 4}}.get(trigger)
    if before_limit:
        mock_control.request(
            "POST",
            "/_mock/usage",
            content=_json({"sim": sim["sid"], **before_limit}),
            headers={"Content-Type": "application/json"},
            check=False,
        )
        still = fetch_sim(sc_primary, sim["sid"])
        expect(
            still["status"] == "ready",
            AUTO_ACTIVE,
            f"the Sim turned active before {trigger} was reached",
            expected="ready",
            received=still["status"],
        )
        last = {"data_kb": 1} if "data_kb" in before_limit else {"sms_commands": 1}
        mock_control.request(
            "POST",
            "/_mock/usage",
            content=_json({"sim": sim["sid"], **last}),
            headers={"Content-Type": "application/json"},
            check=False,
        )
    else:
        # Age this Sim alone: moving the mock's whole clock would activate every ready Sim
        # that other scenarios (or xdist workers) are using.
        mock_control.request(
            "POST",
            "/_mock/usage",
            content=_json({"sim": sim["sid"], "ready_seconds": 88 * 24 * 3600}),
            headers={"Content-Type": "application/json"},
            check=False,
        )
        still = fetch_sim(sc_primary, sim["sid"])
        expect(
            still["status"] == "ready",
            AUTO_ACTIVE,
            "the Sim turned active before three months in ready",
            expected="ready",
            received=still["status"],
        )
        mock_control.request(
            "POST",
            "/_mock/usage",
            content=_json({"sim": sim["sid"], "ready_seconds": 5 * 24 * 3600}),
            headers={"Content-Type": "application/json"},
            check=False,
        )
    after = wait_until(sc_primary, sim["sid"], lambda s: s["status"] not in ("ready", "scheduled"), timeout=5)
    expect(
        after["status"] == "active",
        AUTO_ACTIVE,
        f"a ready Sim did not become active after {trigger}",
        expected="active",
        received=after["status"],
    )


def _json(data) -> bytes:
    import json

    return json.dumps(data).encode()
