"""The proxy in front of a hostile or broken upstream: it reports, it never crashes, it never
follows a link elsewhere, and it never hands the client's credentials to another host."""

from __future__ import annotations

import json

import httpx
import pytest
from pytest_httpserver import HTTPServer

from conformance.contract.exchange import MAX_BODY_BYTES
from conformance.proxy import start_proxy

SID, TOKEN = "AC" + "1" * 32, "s3cret-token-not-for-anyone-else"


def sims_page(base: str, next_url: str | None) -> dict:
    return {
        "sims": [],
        "meta": {
            "page": 0,
            "page_size": 50,
            "key": "sims",
            "url": f"{base}/v1/Sims?PageSize=50&Page=0",
            "first_page_url": f"{base}/v1/Sims?PageSize=50&Page=0",
            "previous_page_url": None,
            "next_page_url": next_url,
        },
    }


@pytest.fixture
def upstream(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/v1/Sims", method="GET").respond_with_json(
        sims_page(httpserver.url_for("").rstrip("/"), None)
    )
    return httpserver


def get(proxy, path, **kw):
    with httpx.Client(base_url=proxy.base_url, auth=(SID, TOKEN), trust_env=False, timeout=30) as http:
        return http.get(path, **kw)


def test_a_huge_answer_is_a_reported_failure_and_not_forwarded(upstream):
    upstream.expect_request("/v1/Sims/HS" + "a" * 32).respond_with_data(
        b"[" + b"0," * (MAX_BODY_BYTES // 2 + 10) + b"0]", content_type="application/json"
    )
    with start_proxy(upstream.url_for("")) as proxy:
        answer = get(proxy, "/v1/Sims/HS" + "a" * 32)
        assert answer.status_code == 502 and "exceeded" in answer.json()["message"]
        assert ("server", "RESP-JSON") in {(v["side"], v["check"]) for v in proxy.violations()}
        kept = proxy.journal.entries[0].violation.exchange
        assert kept is not None and len(kept.text) <= 64 * 1024, "memory stays bounded"


def test_an_answer_that_is_not_json_is_reported_and_passed_on(upstream):
    upstream.expect_request("/v1/Sims/HS" + "b" * 32).respond_with_data("<html>oops</html>", content_type="text/html")
    with start_proxy(upstream.url_for("")) as proxy:
        answer = get(proxy, "/v1/Sims/HS" + "b" * 32)
        assert answer.text == "<html>oops</html>"
        assert [v["check"] for v in proxy.violations("server")] == ["RESP-JSON"]


def test_a_link_to_another_host_is_reported_never_followed_and_gets_no_credentials(upstream):
    with HTTPServer(host="127.0.0.1", port=0) as elsewhere:
        elsewhere.expect_request("/v1/Sims").respond_with_json({})
        foreign = elsewhere.url_for("/v1/Sims?PageSize=50&Page=1&PageToken=PT")
        upstream.clear()
        upstream.expect_request("/v1/Sims").respond_with_json(sims_page(upstream.url_for("").rstrip("/"), foreign))
        with start_proxy(upstream.url_for("")) as proxy:
            answer = get(proxy, "/v1/Sims")
            assert answer.json()["meta"]["next_page_url"] == foreign, "a foreign URL is left as it is"
            assert ("server", "RESP-PAGE-HOST") in {(v["side"], v["check"]) for v in proxy.violations()}
        assert elsewhere.log == [], "the proxy never contacted the other host"
    authorizations = [request.headers.get("Authorization") for request, _ in upstream.log]
    # the first request is the proxy's own unauthenticated probe; the client's went with its credentials
    assert authorizations[0] is None and authorizations[1:] and all(authorizations[1:])


def test_an_upstream_that_goes_away_is_a_502_and_a_note_not_a_server_violation(httpserver: HTTPServer):
    httpserver.expect_request("/v1/Sims").respond_with_json(sims_page(httpserver.url_for("").rstrip("/"), None))
    with start_proxy(httpserver.url_for("")) as proxy:
        httpserver.stop()
        answer = get(proxy, "/v1/Sims")
        assert answer.status_code == 502
        assert proxy.violations() == []
        httpserver.start()


def test_the_token_is_in_no_answer_the_proxy_gives(upstream):
    with start_proxy(upstream.url_for("")) as proxy:
        get(proxy, "/v1/Sims", params={"pageSize": 5})
        snapshot = get(proxy, "/_proxy/violations").text
        assert json.loads(snapshot)["violations"] and TOKEN not in snapshot
        assert TOKEN not in proxy.explain()


def test_an_api_key_is_not_taken_for_the_requesting_account(httpserver: HTTPServer):
    """Twilio takes an API key (SK… and its secret) as Basic credentials: its Sims belong to an AC… account."""
    base = httpserver.url_for("").rstrip("/")
    sim = {"sid": "HS" + "c" * 32, "account_sid": "AC" + "2" * 32}
    page = {**sims_page(base, None), "sims": [sim]}
    httpserver.expect_request("/v1/Sims").respond_with_json(page)
    with start_proxy(httpserver.url_for("")) as proxy:
        with httpx.Client(base_url=proxy.base_url, auth=("SK" + "3" * 32, "key-secret"), trust_env=False) as http:
            http.get("/v1/Sims")
        assert "RESP-ACCOUNT" not in {v["check"] for v in proxy.violations()}
        assert any("API key" in note for note in proxy.journal.notes)
        get(proxy, "/v1/Sims")  # an Account SID that is not the Sims' account: that is judged
        assert "RESP-ACCOUNT" in {v["check"] for v in proxy.violations()}


def test_an_upstream_that_echoes_the_credentials_leaks_them_nowhere(httpserver: HTTPServer, tmp_path):
    """A debug page that prints the request's Authorization header: neither the token nor its base64 gets out."""
    import base64

    from werkzeug import Response

    def echo(request):
        body = json.dumps({"code": 20003, "message": request.headers.get("Authorization", ""), "status": 401})
        return Response(body + " token=" + TOKEN, status=401, content_type="application/json")

    httpserver.expect_request("/v1/Sims").respond_with_handler(echo)
    encoded = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    with start_proxy(httpserver.url_for("")) as proxy:
        get(proxy, "/v1/Sims")
        snapshot = get(proxy, "/_proxy/violations").text
        written = proxy.write_reports(tmp_path / "out")
    assert json.loads(snapshot)["violations"], "the echo is not Twilio's error body: reported"
    for text in [snapshot, proxy.explain(), *(path.read_text() for path in written.values())]:
        assert TOKEN not in text and encoded not in text


def test_a_request_cut_off_mid_body_is_never_forwarded(upstream):
    import socket

    with start_proxy(upstream.url_for("")) as proxy:
        host, port = proxy.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as raw:
            raw.sendall(
                b"POST /v1/Sims/HS" + b"a" * 32 + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n\r\nUniqueName=half"
            )
        get(proxy, "/v1/Sims")  # the proxy still serves
    assert [request.method for request, _ in upstream.log].count("POST") == 0


def test_a_request_target_naming_another_host_never_reaches_it(upstream):
    """An absolute-form target (or h11's "@host/…"): refused (400) or sent to the upstream, never elsewhere."""
    import socket

    with HTTPServer(host="127.0.0.1", port=0) as elsewhere, start_proxy(upstream.url_for("")) as proxy:
        elsewhere.expect_request("/v1/Sims").respond_with_json({})
        host, port = proxy.base_url.removeprefix("http://").split(":")
        for target in (elsewhere.url_for("/v1/Sims"), "@" + elsewhere.url_for("/v1/Sims").removeprefix("http://")):
            with socket.create_connection((host, int(port))) as raw:
                raw.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                answer = raw.recv(4096)
            assert answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 200")), answer[:80]
        assert elsewhere.log == []


@pytest.mark.parametrize(
    ("given", "judged_as"),
    [
        ("https://SuperSim.twilio.com:443/", "https://supersim.twilio.com"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
        ("http://127.0.0.1:8080/prefix/", "http://127.0.0.1:8080/prefix"),
    ],
)
def test_the_upstream_is_judged_as_it_spells_its_own_urls(given, judged_as):
    from conformance.proxy.server import check_upstream

    assert check_upstream(given) == judged_as
