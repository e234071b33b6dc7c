"""The proxy's ASGI app: forward each request to the upstream, judge the exchange, answer the client.

Forwarding is that of a reverse proxy, with three rules that keep it honest:

* the upstream gets the request as the client sent it (method, raw path and query, body,
  headers less the hop-by-hop ones and ``Host``, which is the upstream's own), and nothing else
  ever gets the client's credentials: the proxy connects to no other host (a callback is sent on
  with a signature, never with the token);
* the exchange is judged on the upstream's own answer (its URLs as it wrote them), and the
  client then gets that answer with the upstream's base URL replaced by the proxy's, so a client
  that follows ``next_page_url`` stays on the proxy and the proxy sees the chain; a URL pointing
  at any other host is left alone (and reported by RESP-PAGE-HOST / RESP-SIM-URL), never followed;
* nothing the proxy cannot judge is made up: an upstream that does not answer gets the client a
  502 and a note, not a violation of the server.

Control routes live under ``/_proxy/``: ``GET /_proxy/violations`` (the violations so far, JSON),
``POST /_proxy/report`` (write the reports now) and ``/_proxy/callbacks/<n>`` (routed callbacks).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

from conformance import is_loopback
from conformance.contract import basic_auth
from conformance.contract.exchange import MAX_BODY_BYTES, Exchange
from conformance.profile.model import ACCOUNT_SID
from conformance.proxy.callbacks import ROUTE, Arrival, Route
from conformance.proxy.journal import Journal
from conformance.proxy.requests import operation_of
from conformance.proxy.session import Session
from conformance.report import scrubber

#: Headers that belong to one connection, or that the proxy sets itself (RFC 9110 section 7.6.1).
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "accept-encoding",
    "content-encoding",
}
#: A Host header the proxy uses to say where it is (name or address, and a port).
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
#: Largest request body the proxy reads from a client (the mock reads 64 KiB; Twilio little more).
MAX_REQUEST_BYTES = 1_000_000


def _json(status: int, document: Any) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = json.dumps(document, indent=1).encode()
    return status, [(b"content-type", b"application/json")], body


class ProxyApp:
    """The ASGI application of one proxy session."""

    def __init__(self, session: Session, upstream: str, *, timeout: float = 30.0) -> None:
        self.session = session
        self.upstream = upstream.rstrip("/")
        self.own_base = ""
        """The proxy's own base URL (set once its socket is bound): what the client sees in answers."""
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._onward: httpx.AsyncClient | None = None

    @property
    def journal(self) -> Journal:
        return self.session.journal

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body, too_large, complete = await _read(receive, MAX_REQUEST_BYTES)
        path: str = scope["path"]
        raw_path = scope.get("raw_path") or path.encode()
        if not complete:
            return  # the client went away mid-body: a part of a request is never forwarded
        if too_large:
            await _send(send, *_json(413, {"message": f"request body over {MAX_REQUEST_BYTES} bytes", "status": 413}))
        elif not raw_path.startswith(b"/"):  # "@host/…" or an absolute URL: only the upstream is ever reached
            await _send(send, *_json(400, {"message": "the request target must be a path (/v1/Sims…)", "status": 400}))
        elif path.startswith(ROUTE):
            await _send(send, *await self._guarded(self._callback(scope, body)))
        elif path.startswith("/_proxy"):
            await _send(send, *self._control(scope))
        else:
            await _send(send, *await self._guarded(self._forward(scope, body)))

    async def _guarded(self, answer: Any) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """An error of the proxy itself is a 502 and a note, never a traceback nor the target's failure."""
        try:
            result: tuple[int, list[tuple[bytes, bytes]], bytes] = await answer
            return result
        except Exception as error:
            note = f"an error of the proxy itself ({type(error).__name__}): that request got a 502"
            self.journal.note(note)
            return _json(
                502, {"message": f"the proxy could not handle this request ({type(error).__name__})", "status": 502}
            )

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._client = httpx.AsyncClient(timeout=self.timeout, trust_env=False, follow_redirects=False)
                # callbacks go on with a client of their own: a receiver that is slow, or that calls
                # back through the proxy, never takes the connections forwarding needs
                self._onward = httpx.AsyncClient(
                    timeout=10.0, trust_env=False, follow_redirects=False, limits=httpx.Limits(max_connections=20)
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for client in (self._client, self._onward):
                    if client is not None:
                        await client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # --- control ----------------------------------------------------------------------------

    def _control(self, scope: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        path, method = scope["path"].rstrip("/"), scope["method"]
        client = str((scope.get("client") or ("",))[0])
        if not is_loopback(f"http://[{client}]/" if ":" in client else f"http://{client}/"):
            # what the traffic broke names its accounts and requests: for this machine only
            return _json(403, {"message": "the proxy's control routes answer this machine only", "status": 403})
        if path == "/_proxy/violations" and method == "GET":
            status, headers, body = _json(200, self.journal.snapshot())
            return status, headers, scrubber(self.journal.secrets)(body.decode()).encode()
        if path == "/_proxy/report" and method == "POST":
            written = self.session.write_reports()
            return _json(
                200,
                {"files": {k: str(v) for k, v in written.items()}, "exit_code": self.session.exit_code()},
            )
        if path == "/_proxy" and method == "GET":
            return _json(200, {"upstream": self.upstream, "exchanges": self.journal.exchanges})
        return _json(404, {"message": f"no proxy control route {method} {path}", "status": 404})

    # --- forwarding -------------------------------------------------------------------------

    async def _forward(self, scope: dict[str, Any], body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        method: str = scope["method"]
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        query: bytes = scope.get("query_string", b"")
        url = self.upstream + raw_path + ("?" + query.decode("latin-1") if query else "")
        raw_headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
        by_name = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw_headers}
        account, token = self._credentials(by_name.get("authorization"))
        exchange = Exchange(method=method, url=url, account_sid=account)
        client_found, pairs, sent_at = self.journal.judge_request(exchange, query, body, by_name.get("content-type"))
        exchange.form = list(pairs or [])
        sent, route = body, None
        router = self.session.router
        if router is not None and pairs and operation_of(method, exchange.path) == "UpdateSim":
            own = [base for base in (self.own_base, router.public_base) if base]
            routed, route = router.route(pairs, account, token, exchange.path.rsplit("/", 1)[-1], own=own)
            if route is not None:
                sent = urlencode(routed).encode()
        forwarded = [(k, v) for k, v in raw_headers if k.decode("latin-1").lower() not in HOP_BY_HOP]
        forwarded.append((b"accept-encoding", b"identity"))
        started = time.monotonic()
        answer = await self._send_upstream(method, url, forwarded, sent, exchange)
        exchange.elapsed = time.monotonic() - started
        self.journal.judge(exchange, client_found, dict(pairs or []), sent_at)
        if route is not None:
            self._routed(route, exchange)
        if self.session.recorder is not None:
            self.session.recorder.add(exchange, body, by_name)
        if answer is None:
            return _json(
                502,
                {"message": f"the upstream did not answer: {exchange.error}", "status": 502, "code": None},
            )
        status, answer_headers, content = answer
        base = self._client_base(by_name.get("host"))
        return status, self._to_client(answer_headers, base), self._rewrite(content, base)

    def _credentials(self, authorization: str | None) -> tuple[str | None, str | None]:
        """(Account SID, Auth Token) of HTTP Basic credentials; the token and the header's encoded form
        become secrets of the session. An API key (SK… and its secret) names no account, and the
        callbacks are signed with the account's Auth Token, which the proxy never sees: (None, None)."""
        credentials = basic_auth.decode(authorization)
        if not credentials:
            return None, None
        user, password = credentials
        if password:
            self.journal.secrets.add(password)
            self.journal.secrets.add(str(authorization).partition(" ")[2].strip())  # "AC…:token" in base64
        if not ACCOUNT_SID.match(user):
            note = (
                "requests authenticated with an API key (not an Account SID): the requesting account of a list, "
                "and the signature of callbacks (made with the account's Auth Token), are not judged for them"
            )
            self.journal.note(note)
            return None, None
        if password:
            self.journal.learn_token(user, password)
        return user, password or None

    def _client_base(self, host: str | None) -> str:
        """The base URL the client reached the proxy at (its Host), so rewritten links work from anywhere."""
        if host and _HOST.fullmatch(host):
            return f"http://{host}"
        return self.own_base

    async def _send_upstream(
        self, method: str, url: str, headers: list[tuple[bytes, bytes]], body: bytes, exchange: Exchange
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """The upstream's answer (status, headers, body), read to at most MAX_BODY_BYTES; None if none came."""
        assert self._client is not None, "the lifespan opened the client"
        try:
            request = self._client.build_request(method, url, headers=headers, content=body or None)
            response = await self._client.send(request, stream=True)
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as error:
            exchange.error = f"{type(error).__name__}: {error}"[:300]
            return None
        chunks, size = [], 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    exchange.oversize = True
                    break
                chunks.append(chunk)
        except httpx.HTTPError as error:
            exchange.error = f"{type(error).__name__} while reading the answer: {error}"[:300]
            return None
        finally:
            await response.aclose()
        content = b"".join(chunks)
        exchange.status = response.status_code
        exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
        exchange.text = content.decode("utf-8", "replace")
        if exchange.oversize:
            declared = response.headers.get("content-length")
            exchange.body_bytes = int(declared) if declared and declared.isdigit() else None
            return (
                502,
                [(b"content-type", b"application/json")],
                json.dumps(
                    {"message": f"the upstream's answer exceeded {MAX_BODY_BYTES} bytes; not forwarded", "status": 502}
                ).encode(),
            )
        return response.status_code, list(response.headers.raw), content

    def _to_client(self, headers: list[tuple[bytes, bytes]], base: str) -> list[tuple[bytes, bytes]]:
        out = []
        for name, value in headers:
            lowered = name.decode("latin-1").lower()
            if lowered in HOP_BY_HOP:
                continue
            out.append((name, self._rewrite(value, base) if lowered == "location" else value))
        return out

    def _rewrite(self, content: bytes, base: str) -> bytes:
        """The upstream's base URL in an answer replaced by the proxy's, so the client stays on the proxy.

        Only where it is a whole base: followed by a path, a query, a quote or the end (not
        ``:80801`` for ``:8080``); a URL on any other host is left as it is.
        """
        if not base or base == self.upstream:
            return content
        return re.sub(re.escape(self.upstream.encode()) + rb'(?=[/?"\\]|$)', base.encode(), content)

    def _routed(self, route: Route, exchange: Exchange) -> None:
        """What the update's answer says about the callback it routed."""
        body = exchange.json() if exchange.is_json else None
        if not (200 <= exchange.status < 300) or not isinstance(body, dict):
            route.scheduled = False
            return
        route.sim = body
        route.scheduled = body.get("status") == "scheduled"
        pending = self.journal.observer.pending_for(str(body.get("sid")))
        route.final_status = pending.final_status if pending else exchange.form_dict.get("Status")
        route.final_fleet = pending.final_fleet if pending else None

    # --- callbacks --------------------------------------------------------------------------

    async def _callback(self, scope: dict[str, Any], body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        router = self.session.router
        ident = scope["path"][len(ROUTE) :].strip("/")
        route = router.find(ident) if router is not None else None
        if router is None or route is None:
            return _json(404, {"message": "no routed callback here", "status": 404})
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        query = scope.get("query_string", b"").decode("latin-1")
        content_type = headers.get("content-type", "")
        form = (
            parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            if body and "x-www-form-urlencoded" in content_type
            else []
        )
        arrival = Arrival(
            method=scope["method"],
            url=f"{router.public_base}{scope['path']}" + (f"?{query}" if query else ""),
            query=parse_qsl(query, keep_blank_values=True),
            form=form,
            content_type=content_type,
            signature=headers.get("x-twilio-signature", ""),
        )
        route.arrivals += 1
        self.journal.callbacks += 1
        self.journal.add("server", router.judge(route, arrival))
        method, url, onward_body, onward_headers = router.onward(route, arrival)
        assert self._onward is not None, "the lifespan opened the client"
        try:
            answer = await self._onward.request(method, url, content=onward_body or None, headers=onward_headers)
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as error:
            note = f"a callback could not be sent on to its original receiver: {type(error).__name__}"
            self.journal.note(note)
            return _json(502, {"message": "the callback's original receiver did not answer", "status": 502})
        kept = [(b"content-type", answer.headers.get("content-type", "text/plain").encode("latin-1"))]
        return answer.status_code, kept, answer.content[:65536]


async def _read(receive: Any, limit: int) -> tuple[bytes, bool, bool]:
    """The request body (up to ``limit``), whether it was over, and whether it came whole."""
    chunks: list[bytes] = []
    size, too_large = 0, False
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), too_large, False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            too_large = True
        elif chunk:
            chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks), too_large, True


async def _send(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
