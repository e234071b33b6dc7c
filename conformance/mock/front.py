"""The one pure-ASGI wrapper around the mock: request log, last resort, fast way in for GETs.

Reads are most of a client's traffic, and Starlette's routing, request object and wrapper
hops were about half the CPU of a fetch, so :class:`Front` answers ``GET /v1/Sims`` and
``GET /v1/Sims/{Sid}`` itself, through the same :mod:`operations` the Starlette routes call.
It also logs every Twilio-surface request with its status as the answer starts, and turns
any exception that escapes into one log line and Twilio's 500 body (the fuzz test proves
no request needs it).
"""

from __future__ import annotations

import logging

from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.mock.operations import Call, collection, instance
from conformance.mock.responses import last_resort_response
from conformance.mock.state import LoggedRequest, MockState

log = logging.getLogger("conformance.mock")


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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        entry = None
        if path != "/_mock" and not path.startswith("/_mock/"):
            entry = scope["mock.entry"] = LoggedRequest(scope, self.state.clock.now())
        reply = Reply(send, entry, self.state)
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
