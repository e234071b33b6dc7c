"""Routed callbacks, judged and sent on: who must have signed, and what the application receives."""

from __future__ import annotations

from twilio.request_validator import RequestValidator

from conformance.proxy.callbacks import Arrival, CallbackRouter

PRIMARY, SUB = "AC" + "1" * 32, "AC" + "2" * 32
PRIMARY_TOKEN, SUB_TOKEN = "primary-token-0123456789", "sub-token-0123456789abc"
SIM = {"sid": "HS" + "a" * 32, "account_sid": PRIMARY, "unique_name": None, "status": "scheduled"}


def routed(tokens: dict[str, list[str]], *, move_to: str | None = None):
    router = CallbackRouter("http://127.0.0.1:9", lambda account: tokens.get(account, []))
    pairs = [("Status", "active"), ("CallbackUrl", "http://127.0.0.1:8/app/cb?x=1")]
    if move_to:
        pairs.append(("AccountSid", move_to))
    sent, route = router.route(pairs, PRIMARY, PRIMARY_TOKEN, SIM["sid"])
    assert route is not None and dict(sent)["CallbackUrl"] == f"http://127.0.0.1:9/_proxy/callbacks/{route.ident}"
    route.sim, route.scheduled, route.final_status = SIM, True, "active"
    route.arrivals = 1
    return router, route


def arrival(route, token: str, account: str) -> Arrival:
    url = f"http://127.0.0.1:9/_proxy/callbacks/{route.ident}"
    form = [("SimSid", SIM["sid"]), ("SimStatus", "active"), ("AccountSid", account)]
    signature = RequestValidator(token).compute_signature(url, dict(form))
    return Arrival("POST", url, [], form, "application/x-www-form-urlencoded", signature)


def test_a_callback_signed_by_the_account_that_set_it_goes_on_signed_for_the_original_url():
    router, route = routed({PRIMARY: [PRIMARY_TOKEN]})
    call = arrival(route, PRIMARY_TOKEN, PRIMARY)
    assert router.judge(route, call) == []
    method, url, body, headers = router.onward(route, call)
    assert (method, url) == ("POST", "http://127.0.0.1:8/app/cb?x=1")
    params = dict(call.form)
    assert RequestValidator(PRIMARY_TOKEN).validate(url, params, headers["X-Twilio-Signature"])


def test_a_moved_sims_callback_is_signed_by_the_new_account():
    router, route = routed({PRIMARY: [PRIMARY_TOKEN], SUB: [SUB_TOKEN]}, move_to=SUB)
    assert router.judge(route, arrival(route, SUB_TOKEN, SUB)) == []
    router, route = routed({PRIMARY: [PRIMARY_TOKEN], SUB: [SUB_TOKEN]}, move_to=SUB)
    [broken] = router.judge(route, arrival(route, PRIMARY_TOKEN, SUB))
    assert broken.check_id == "SCN-CB-SIGNATURE"


def test_a_move_to_an_account_whose_token_never_passed_is_not_judged():
    router, route = routed({PRIMARY: [PRIMARY_TOKEN]}, move_to=SUB)
    assert router.judge(route, arrival(route, "whatever-token-12345", SUB)) == []
    assert "SCN-CB-SIGNATURE" not in router.judged


def test_a_bad_signature_is_reported_and_goes_on_as_bad_as_it_came():
    router, route = routed({PRIMARY: [PRIMARY_TOKEN]})
    call = arrival(route, "not-the-token-000000", PRIMARY)
    assert [v.check_id for v in router.judge(route, call)] == ["SCN-CB-SIGNATURE"]
    _method, url, _body, headers = router.onward(route, call)
    assert headers["X-Twilio-Signature"] == call.signature
    assert not RequestValidator(PRIMARY_TOKEN).validate(url, dict(call.form), headers["X-Twilio-Signature"])


def test_a_second_callback_for_one_update_is_reported():
    router, route = routed({PRIMARY: [PRIMARY_TOKEN]})
    call = arrival(route, PRIMARY_TOKEN, PRIMARY)
    router.judge(route, call)
    route.arrivals = 2
    [again] = router.judge(route, call)
    assert (again.check_id, again.requirements) == ("SCN-CB-POST", ("SIM-CB-001",))


def test_a_get_callback_goes_on_with_the_original_query_and_the_parameters():
    router = CallbackRouter("http://127.0.0.1:9", lambda account: [PRIMARY_TOKEN])
    pairs = [("CallbackUrl", "http://127.0.0.1:8/app/cb?x=1"), ("CallbackMethod", "GET"), ("Status", "inactive")]
    _sent, route = router.route(pairs, PRIMARY, PRIMARY_TOKEN, SIM["sid"])
    assert route is not None
    route.sim, route.scheduled, route.final_status, route.arrivals = SIM, True, "inactive", 1
    query = [("SimSid", SIM["sid"]), ("SimStatus", "inactive"), ("AccountSid", PRIMARY)]
    url = f"http://127.0.0.1:9/_proxy/callbacks/{route.ident}?" + "&".join(f"{k}={v}" for k, v in query)
    call = Arrival("GET", url, query, [], "", RequestValidator(PRIMARY_TOKEN).compute_signature(url, {}))
    assert router.judge(route, call) == []
    method, onward, body, headers = router.onward(route, call)
    assert method == "GET" and body == b"" and onward.startswith("http://127.0.0.1:8/app/cb?x=1&SimSid=")
    assert RequestValidator(PRIMARY_TOKEN).validate(onward, {}, headers["X-Twilio-Signature"])


def test_a_second_callback_goes_on_with_its_own_signature_never_a_fresh_one():
    """Re-signing only what came signed: a forged or repeated callback gets no valid signature from the proxy."""
    router, route = routed({PRIMARY: [PRIMARY_TOKEN]})
    router.judge(route, arrival(route, PRIMARY_TOKEN, PRIMARY))
    forged = Arrival(
        "POST",
        arrival(route, PRIMARY_TOKEN, PRIMARY).url,
        [],
        [("SimStatus", "active")],
        "application/x-www-form-urlencoded",
        "",
    )
    route.arrivals = 2
    router.judge(route, forged)
    _method, _url, _body, headers = router.onward(route, forged)
    assert "X-Twilio-Signature" not in headers


def test_route_names_cannot_be_guessed_and_the_proxy_never_routes_to_itself():
    router = CallbackRouter("http://127.0.0.1:9")
    _sent, first = router.route([("CallbackUrl", "http://127.0.0.1:8/cb")], PRIMARY, PRIMARY_TOKEN, SIM["sid"])
    assert first is not None and len(first.ident) > 8 and router.find("1") is None
    pairs = [("CallbackUrl", "http://127.0.0.1:9/_proxy/callbacks/whatever")]
    assert router.route(pairs, PRIMARY, PRIMARY_TOKEN, SIM["sid"], own=["http://127.0.0.1:9"]) == (pairs, None)
    assert router.route([("CallbackUrl", "http://[::1")], PRIMARY, PRIMARY_TOKEN, SIM["sid"])[1] is None
