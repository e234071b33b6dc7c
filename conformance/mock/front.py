"""The one pure-ASGI wrapper around the mock: request log, last resort, fast way in for GETs.

Reads are most of a client's traffic, and Starlette's routing, request object and wrapper
hops were about half the CPU of a fetch, so :class:`Front` answers ``GET /v1/Sims`` and
``GET /v1/Sims/{Sid}`` itself, through the same :mod:`operations` the Starlette routes call.
It also logs every Twilio-surface request with its status as the answer starts, and turns
any exception that escapes into one log line and Twilio's 500 body (the fuzz test proves
no request needs it).

The benign variations of the transport live here too, because every answer passes the
front (``conformance.mock.variations``): ``latency`` (each answer waits
:data:`LATENCY` seconds, asleep on the event loop), ``extra-headers`` (:data:`EXTRA_HEADERS`
on every answer) and ``chunked`` (a JSON body sent in :data:`CHUNKS` pieces without a
Content-Length, so the server frames it with ``Transfer-Encoding: chunked``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterable

from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.mock.errors import ApiError
from conformance.mock.operations import Call, collection, instance
from conformance.mock.responses import error_response, last_resort_response, request_id
from conformance.mock.state import LoggedRequest, MockState

log = logging.getLogger("conformance.mock")

#: Seconds every answer waits under the ``latency`` variation.
LATENCY = 0.03
#: Headers every answer carries under the ``extra-headers`` variation: ones Twilio sends (or
#: could), none of which the contract names. Twilio-Request-Id is added only where missing.
EXTRA_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"twilio-concurrent-requests", b"1"),
    (b"twilio-request-duration", b"0.021"),
    (b"x-powered-by", b"AT-5000"),
    (b"x-powered-at", b"Home"),
    (b"x-home-region", b"us1"),
    (b"x-api-domain", b"supersim.twilio.com"),
    (b"x-shenanigans", b"none"),
    (b"strict-transport-security", b"max-age=31536000"),
    (b"cache-control", b"no-cache"),
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"ETag"),
)
#: Pieces a JSON body is sent in under the ``chunked`` variation (fewer when it is shorter).
CHUNKS = 3


class Reply:
    """The ``send`` of one exchange: logs the request as its answer starts, and notes that it started.

    Logging before the answer leaves means a client that reads the log right after its
    response finds the entry there.
    """

    __slots__ = ("send", "entry", "state", "started")

    def __init__(self, send: Send, entry: LoggedRequest | None, state: MockState):
        self.send = send
        self.entry = entry
        self.state = state
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start" and not self.started:
            self.started = True
            self.finish(message["status"])
        await self.send(message)

    def finish(self, status: int) -> None:
        """Log the request with ``status``, unless it is logged already (or not logged at all: /_mock)."""
        entry = self.entry
        if entry is not None and entry.status is None:
            entry.status = status
            self.state.log_request(entry)


class VariedSend:
    """The ``send`` of one exchange under the ``extra-headers`` and/or ``chunked`` variations.

    ``chunked`` holds the start of the answer until its body: a whole JSON body (one message,
    not empty, not the answer to a HEAD) goes out without its Content-Length, in
    :data:`CHUNKS` body messages, which uvicorn frames as ``Transfer-Encoding: chunked``.
    Anything else (a streamed body, an empty one) is sent as it came.
    """

    __slots__ = ("send", "extra_headers", "chunked", "head", "start")

    def __init__(self, send: Send, *, extra_headers: bool, chunked: bool, method: str):
        self.send = send
        self.extra_headers = extra_headers
        self.chunked = chunked
        self.head = method == "HEAD"
        self.start: Message | None = None

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self.extra_headers:
                message = {**message, "headers": with_extra_headers(message.get("headers", ()))}
            if self.chunked:
                self.start = message
                return
        elif kind == "http.response.body" and self.start is not None:
            start, self.start = self.start, None
            body = message.get("body", b"")
            if body and not message.get("more_body", False) and not self.head and _is_json(start):
                headers = [(name, value) for name, value in start["headers"] if name.lower() != b"content-length"]
                await self.send({**start, "headers": headers})
                size = -(-len(body) // CHUNKS)
                for offset in range(0, len(body), size):
                    await self.send(
                        {"type": "http.response.body", "body": body[offset : offset + size], "more_body": True}
                    )
                await self.send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await self.send(start)
        await self.send(message)


def with_extra_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` (raw ASGI pairs) plus :data:`EXTRA_HEADERS`, and a Twilio-Request-Id if it has none."""
    raw = [(bytes(name), bytes(value)) for name, value in headers]
    names = {name.lower() for name, _ in raw}
    if b"twilio-request-id" not in names:
        raw.append((b"twilio-request-id", request_id().encode("latin-1")))
    return raw + [(name, value) for name, value in EXTRA_HEADERS if name not in names]


def _is_json(start: Message) -> bool:
    for name, value in start.get("headers", ()):
        if name.lower() == b"content-type":
            return bytes(value).split(b";")[0].strip().lower() == b"application/json"
    return False


class Front:
    """The one ASGI wrapper: request log, last resort, and the fast way in for the two GETs.

    * Every request to the Twilio surface (not /_mock) gets a :class:`LoggedRequest`, logged
      with its status as the answer starts.
    * An exception that escapes: one log line and a Twilio 500 body, never a traceback page.
    * ``GET /v1/Sims`` and ``GET /v1/Sims/{Sid}`` go straight to :func:`collection` and
      :func:`instance`, which the Starlette endpoints call too; which requests those are is
      decided with the Starlette routes' own patterns, so the routing cannot differ.
      Everything else (POST, HEAD, /_mock, unknown paths) goes through Starlette.

    One wrapper rather than three because every ASGI hop (a coroutine and a wrapped ``send``)
    is paid on every request.
    """

    def __init__(self, app: ASGIApp, *, state: MockState, collection_route: Route, instance_route: Route):
        self.app = app
        self.state = state
        self.collection_path = collection_route.path_regex
        self.instance_path = instance_route.path_regex
        # The benign variations of the transport, decided once (nothing is paid without them).
        self.latency = LATENCY if "latency" in state.faults else 0.0
        self.extra_headers = "extra-headers" in state.faults
        self.chunked = "chunked" in state.faults
        # planted faults: every 25th request of the Twilio surface is rate limited, badly
        self.retry_after: str | None = None
        if "rate-limit-retry-after-unreadable" in state.faults:
            self.retry_after = "soon"
        self.rate_limited = self.retry_after is not None or "rate-limit-without-retry-after" in state.faults
        self.requests = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.latency:
            await asyncio.sleep(self.latency)  # the event loop serves other requests meanwhile
        if self.extra_headers or self.chunked:
            send = VariedSend(send, extra_headers=self.extra_headers, chunked=self.chunked, method=scope["method"])
        path = scope["path"]
        entry = None
        if path != "/_mock" and not path.startswith("/_mock/"):
            entry = scope["mock.entry"] = LoggedRequest(scope, self.state.clock.now())
        reply = Reply(send, entry, self.state)
        if entry is not None and self.rate_limited and next(self.requests) % 25 == 0:
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            limited = error_response(ApiError(429, 20429, "Too Many Requests", headers=headers), self.state.faults)
            reply.finish(429)
            await limited(scope, receive, send)
            return
        try:
            response = await self.read(scope, entry) if scope["method"] == "GET" else None
            if response is None:
                await self.app(scope, receive, reply)
            else:
                # The answer is one encoded body: log it, then send it without a wrapped ``send``
                # (what ``Response.__call__`` sends, minus two coroutine hops per request).
                reply.started = True
                reply.finish(response.status_code)
                await send(
                    {"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers}
                )
                await send({"type": "http.response.body", "body": response.body})
        except Exception as exc:  # last resort by design; the bug itself must be fixed
            log.error("mock bug: %s: %s on %s %s", type(exc).__name__, exc, scope.get("method"), scope.get("path"))
            reply.finish(500)
            if not reply.started:
                await last_resort_response()(scope, receive, send)
        finally:
            reply.finish(500)

    async def read(self, scope: Scope, entry: LoggedRequest | None) -> Response | None:
        """The answer to a GET of ``/v1/Sims`` or ``/v1/Sims/{Sid}``; None for anything else."""
        if entry is None or scope.get("root_path"):  # Starlette strips a root path before matching
            return None
        path = scope["path"]
        if self.collection_path.match(path):
            return await collection(Call(scope, self.state, entry))
        match = self.instance_path.match(path)
        if match:
            return await instance(Call(scope, self.state, entry), match["sid"])
        return None
