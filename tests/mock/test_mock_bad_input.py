"""Bad input never breaks the mock: every malformed request gets a Twilio-style 4xx, never a 5xx."""

from __future__ import annotations

import httpx
import pytest

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SIM = "{sim}"

# id -> (method, path, request kwargs, expected status, word expected in the message or None)
CORPUS = {
    "invalid-utf8-body": ("POST", "/v1/Sims", {"content": b"Iccid=\xff\xfe", "headers": FORM}, 400, "UTF-8"),
    "invalid-utf8-percent": ("POST", "/v1/Sims", {"content": b"Iccid=%FF", "headers": FORM}, 400, "UTF-8"),
    "nameless-parameter": ("POST", "/v1/Sims", {"content": b"=abc", "headers": FORM}, 400, "no name"),
    "duplicate-form": ("POST", "/v1/Sims", {"content": b"Iccid=1&Iccid=2", "headers": FORM}, 400, "Iccid"),
    "duplicate-query": ("GET", "/v1/Sims?PageSize=5&PageSize=6", {}, 400, "PageSize"),
    "invalid-utf8-query": ("GET", "/v1/Sims?Status=%FF", {}, 400, "UTF-8"),
    "json-create": ("POST", "/v1/Sims", {"json": {"Iccid": "1"}}, 400, "form-encoded"),
    "json-update": ("POST", f"/v1/Sims/{SIM}", {"json": {"UniqueName": "x"}}, 400, "form-encoded"),
    "multipart": ("POST", "/v1/Sims", {"files": {"Iccid": ("a", b"1")}}, 400, "form-encoded"),
    "text-plain": (
        "POST",
        "/v1/Sims",
        {"content": b"Iccid=1", "headers": {"Content-Type": "text/plain"}},
        400,
        "form-encoded",
    ),
    "too-many-parameters": (
        "POST",
        "/v1/Sims",
        {"content": "&".join(f"p{i}=1" for i in range(300)).encode(), "headers": FORM},
        400,
        "parameters",
    ),
    "nul-in-name": ("POST", f"/v1/Sims/{SIM}", {"data": {"UniqueName": "a\x00b"}}, 400, "UniqueName"),
    "newline-in-name": ("POST", f"/v1/Sims/{SIM}", {"data": {"UniqueName": "a\nb"}}, 400, "UniqueName"),
    "huge-unique-name": ("POST", f"/v1/Sims/{SIM}", {"data": {"UniqueName": "n" * 10_000}}, 400, "UniqueName"),
    "sid-shaped-name": ("POST", f"/v1/Sims/{SIM}", {"data": {"UniqueName": "HS" + "b" * 32}}, 400, "ambiguous"),
    "huge-body": ("POST", "/v1/Sims", {"content": b"Iccid=" + b"1" * 100_000, "headers": FORM}, 413, "larger"),
    "huge-body-chunked": (
        "POST",
        "/v1/Sims",
        {"content": iter([b"a=" + b"1" * 40_000, b"2" * 40_000]), "headers": FORM},
        413,
        "larger",
    ),
    "bad-utf8-path": ("GET", "/v1/Sims/%FF%FE", {}, 400, "UTF-8"),
    "unknown-sub-resource": ("GET", f"/v1/Sims/{SIM}/UsageRecords", {}, 404, None),
    "sub-resource-too-deep": ("GET", f"/v1/Sims/{SIM}/BillingPeriods/HB1", {}, 404, None),
    "sub-resource-trailing-slash": ("GET", f"/v1/Sims/{SIM}/IpAddresses/", {}, 404, None),
    "sub-resource-post": ("POST", f"/v1/Sims/{SIM}/BillingPeriods", {"data": {"x": "1"}}, 405, "POST"),
    "trailing-slash": ("GET", "/v1/Sims/", {}, 404, None),
    "unknown-path": ("GET", "/v1/Simz", {}, 404, None),
    "root": ("GET", "/", {}, 404, None),
    "other-version": ("GET", "/v2/Sims", {}, 404, None),
    "put-collection": ("PUT", "/v1/Sims", {}, 405, "PUT"),
    "delete-sim": ("DELETE", f"/v1/Sims/{SIM}", {}, 405, "DELETE"),
    "patch-sim": ("PATCH", f"/v1/Sims/{SIM}", {"data": {"UniqueName": "x"}}, 405, "PATCH"),
    "bad-page-token": ("GET", "/v1/Sims?PageToken=PA%00", {}, 400, "PageToken"),
    "huge-page-token": ("GET", "/v1/Sims?PageToken=PA" + "f" * 500, {}, 400, "PageToken"),
    "page-size-float": ("GET", "/v1/Sims?PageSize=1e3", {}, 400, "PageSize"),
    "page-size-huge": ("GET", "/v1/Sims?PageSize=99999999999999999999", {}, 400, "PageSize"),
    "callback-url-huge": (
        "POST",
        f"/v1/Sims/{SIM}",
        {"data": {"CallbackUrl": "http://x/" + "a" * 5000}},
        400,
        "CallbackUrl",
    ),
    "callback-url-bad-port": (
        "POST",
        f"/v1/Sims/{SIM}",
        {"data": {"CallbackUrl": "http://x:99999/"}},
        400,
        "CallbackUrl",
    ),
}


@pytest.mark.parametrize("case", list(CORPUS))
def test_bad_input_gets_a_twilio_4xx(mock, case, check_contract):
    method, path, kwargs, status, word = CORPUS[case]
    sim = mock.profile.sims_by(mock.profile.primary.sid, "new")[0].sid
    with httpx.Client(base_url=mock.base_url, auth=mock.credentials(), trust_env=False, timeout=10) as client:
        response = client.request(method, path.replace(SIM, sim), **kwargs)
    assert response.status_code == status, response.text
    body = check_contract(response)
    assert body["status"] == status and body["more_info"].endswith(str(body["code"]))
    if word:
        assert word in body["message"]
    # and the mock still answers normally afterwards
    with httpx.Client(base_url=mock.base_url, auth=mock.credentials(), trust_env=False) as client:
        assert client.get("/v1/Sims", params={"PageSize": 1}).status_code == 200


def test_405_lists_the_allowed_methods(mock):
    with httpx.Client(base_url=mock.base_url, auth=mock.credentials(), trust_env=False) as client:
        response = client.delete("/v1/Sims")
    assert response.status_code == 405 and response.json()["code"] == 20405
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "POST"}


def test_head_is_answered_like_get(mock):
    with httpx.Client(base_url=mock.base_url, auth=mock.credentials(), trust_env=False) as client:
        response = client.head("/v1/Sims")
    assert response.status_code == 200 and response.content == b""


def test_non_ascii_unique_names_are_fine(api, mock):
    sid = mock.profile.sims_by(api.sid, "new")[0].sid
    response = api.update(sid, UniqueName="tracker 🚚 Zürich")
    assert response.status_code == 200
    assert api.get("/v1/Sims/tracker%20%F0%9F%9A%9A%20Z%C3%BCrich").json()["sid"] == sid


def test_a_body_without_content_type_is_read_as_a_form(api, mock):
    sid = mock.profile.sims_by(api.sid, "new", named=False)[0].sid
    response = api.client.post(f"/v1/Sims/{sid}", content=b"UniqueName=bare")
    assert response.status_code == 200 and response.json()["unique_name"] == "bare"
    assert any(v["rule"] == "form-encoding-required" for v in mock.state.violations)


def test_last_resort_turns_a_bug_into_one_log_line_and_a_twilio_500(mock, monkeypatch, caplog):
    """Only a planted bug can reach it: the fuzz test proves real requests never do."""

    def broken(*args, **kwargs):
        raise RuntimeError("planted bug")

    monkeypatch.setattr(mock.state.store, "fetch", broken)
    sim = mock.profile.sims[0].sid
    with caplog.at_level("ERROR", logger="conformance.mock"):
        response = httpx.get(f"{mock.base_url}/v1/Sims/{sim}", auth=mock.credentials(), trust_env=False)
    assert response.status_code == 500
    assert response.json() == {
        "code": 20500,
        "message": "Internal error in the supersim-conformance mock",
        "more_info": "https://www.twilio.com/docs/errors/20500",
        "status": 500,
    }
    lines = [r for r in caplog.records if r.name == "conformance.mock"]
    assert len(lines) == 1 and "planted bug" in lines[0].getMessage() and "\n" not in lines[0].getMessage()
    assert mock.state.requests[-1]["status"] == 500
