"""The request log: every Twilio-surface request, with the ways it departs from the contract."""

from __future__ import annotations


def _rules(entry):
    return {(v["rule"], v["parameter"]) for v in entry["violations"]}


def test_each_request_is_logged_without_authorization(api, mock):
    api.get("/v1/Sims", params={"PageSize": 2})
    (entry,) = mock.state.requests
    assert entry["method"] == "GET" and entry["path"] == "/v1/Sims" and entry["status"] == 200
    assert entry["query"] == {"PageSize": "2"} and entry["account"] == api.sid
    assert entry["operation"] == "ListSim"
    assert "authorization" not in entry["headers"] and entry["violations"] == []


def test_violations_are_recorded(api, mock):
    card = mock.profile.registrable[0]
    api.post("/v1/Sims", data={"iccid": card.iccid, "RegistrationCode": card.registration_code})
    api.get("/v1/Sims", params={"pageSize": 10})
    api.get("/v1/Sims", params={"PageSize": 5000})
    api.post("/v1/Sims", json={"Iccid": card.iccid, "RegistrationCode": card.registration_code})
    api.get("/v1/Sims", params={"Color": "red"})
    api.post("/v1/Sims?Status=active", data={"Iccid": card.iccid, "RegistrationCode": card.registration_code})
    api.update(mock.profile.sims_of(api.sid)[0].sid, Status="gone")
    lowercase, camel, too_big, as_json, unknown, query_on_post, bad_enum = mock.state.requests
    assert ("parameter-casing", "iccid") in _rules(lowercase)
    assert ("missing-parameter", "Iccid") in _rules(lowercase)
    assert lowercase["status"] == 400
    assert _rules(camel) == {("parameter-casing", "pageSize")} and camel["status"] == 200
    assert ("out-of-range", "PageSize") in _rules(too_big) and too_big["status"] == 400
    assert ("form-encoding-required", None) in _rules(as_json)
    assert _rules(unknown) == {("unknown-parameter", "Color")}
    assert ("unknown-parameter", "Status") in _rules(query_on_post)
    assert query_on_post["status"] == 201
    assert ("invalid-value", "Status") in _rules(bad_enum)
    assert len(mock.state.violations) >= 8


def test_the_log_over_http(api, mock):
    api.get("/v1/Sims", params={"pagesize": 3})
    api.get("/v1/Sims")
    everything = api.control("GET", "requests")["requests"]
    assert [e["status"] for e in everything] == [200, 200]
    only = api.control("GET", "requests", params={"violations": "1"})["requests"]
    assert len(only) == 1 and only[0]["violations"][0]["parameter"] == "pagesize"
    flat = api.control("GET", "violations")["violations"]
    assert flat[0]["rule"] == "parameter-casing" and flat[0]["request_id"] == only[0]["id"]
    assert api.control("DELETE", "requests") == {"cleared": True}
    assert mock.state.requests == []


def test_unauthenticated_and_unknown_path_requests_are_logged(mock):
    import httpx

    with httpx.Client(base_url=mock.base_url, trust_env=False) as client:
        client.get("/v1/Sims")
        client.get("/v1/Nope")
    statuses = [e["status"] for e in mock.state.requests]
    assert statuses == [401, 404]
