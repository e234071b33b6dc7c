"""The mock as one Starlette app: routes, Twilio error bodies for Starlette's own errors, the front.

Routes::

    GET  /v1/Sims          ListSim      POST /v1/Sims          CreateSim
    GET  /v1/Sims/{Sid}    FetchSim     POST /v1/Sims/{Sid}    UpdateSim
    GET  /v1/Sims/{Sid}/BillingPeriods, /v1/Sims/{Sid}/IpAddresses   an empty list page (outside the contract)
    /_mock/...             control endpoints (conformance.mock.control)

Every answer of the Twilio surface is JSON: a Sim, a page, or Twilio's error body. Unknown
paths answer 404 and wrong methods 405, both with Twilio's body. The two sub-resources a Sim's
``links`` point at answer an empty page of Twilio's list shape (``operations.sub_resource``), so
a client that follows the links does not break; the kit tests only the Sim resource.

This module only assembles the parts, and is the top of the mock's HTTP layer (nothing in
the mock imports it but ``server``):

* :mod:`~conformance.mock.operations`: the four operations and what every request goes
  through (auth, parameters, contract check); the Starlette endpoints here call it;
* :mod:`~conformance.mock.front`: :class:`Front`, the ASGI wrapper around everything
  (request log, last resort, the fast way in for the two GETs); under the ``gzip``
  variation :class:`GzipWhenAccepted` (Starlette's ``GZipMiddleware``) is in front of it;
* :mod:`~conformance.mock.control`: the ``/_mock`` endpoints;
* :mod:`~conformance.mock.responses` and :mod:`~conformance.mock.auth`: answers and
  credentials, shared by the Twilio surface and the control endpoints.

The names those modules define that were defined here before (``Front``, ``EncodedJSON``,
``request_id``, ``authenticate``, ``read_body``, ...) stay importable from here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.mock import control
from conformance.mock.auth import authenticate, basic_account
from conformance.mock.clock import Clock
from conformance.mock.errors import ApiError, not_found
from conformance.mock.front import Front, Reply, log
from conformance.mock.operations import (
    BodyReader,
    Call,
    Prepared,
    answer,
    collection,
    instance,
    prepare,
    read_body,
    sim_reference,
)
from conformance.mock.responses import EncodedJSON, error_response, json_response, last_resort_response, request_id
from conformance.mock.state import MockState
from conformance.profile import Profile

__all__ = [
    "BodyReader",
    "Call",
    "EncodedJSON",
    "Front",
    "GzipWhenAccepted",
    "MockApp",
    "Prepared",
    "Reply",
    "answer",
    "authenticate",
    "basic_account",
    "collection",
    "create_app",
    "error_response",
    "http_exception",
    "instance",
    "json_response",
    "last_resort_response",
    "log",
    "prepare",
    "read_body",
    "request_id",
    "sim_instance",
    "sim_reference",
    "sims_collection",
]

#: Bodies of at least this many bytes are compressed under the ``gzip`` variation (a Sim is
#: about 500, Twilio's error body about 150).
GZIP_MINIMUM_SIZE = 64

_STATUS_CODES = {400: 20001, 401: 20003, 403: 20403, 404: 20404, 405: 20405, 409: 20409, 413: 20413, 429: 20429}


async def sims_collection(request: Request) -> Response:
    return await collection(Call.of(request))


async def sim_instance(request: Request) -> Response:
    if request.method == "DELETE":  # only routed with the planted fault delete-removes-sim
        return _planted_delete(request)
    return await instance(Call.of(request), request.path_params.get("sid", ""))


def _planted_delete(request: Request) -> Response:
    """The planted fault delete-removes-sim: 204, and the Sim is gone from its account."""
    state: MockState = request.app.state.mock
    try:
        account = authenticate(request.headers.get("authorization"), state)
        store = state.store
        with store.lock:
            sim = store.sims[store.fetch(account, request.path_params.get("sid", "")).sid]
            store.change(sim, account="AC" + "0" * 32)  # nobody's: it no longer shows anywhere
    except ApiError as error:
        return error_response(error, state.faults)
    return Response(status_code=204)


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 (unknown path) and 405 (wrong method) as Twilio error bodies."""
    assert isinstance(exc, HTTPException)
    state = request.app.state.mock
    path = request.scope.get("path", "")
    if exc.status_code == 404:
        error = not_found(f"The requested resource {path} was not found")
    elif exc.status_code == 405 and "unsupported-method-500" in state.faults:
        return last_resort_response()
    elif exc.status_code == 405:
        error = ApiError(
            405, 20405, f"Method {request.method} is not allowed on {path}", headers=dict(exc.headers or {})
        )
    else:
        code = _STATUS_CODES.get(exc.status_code, 20001 if exc.status_code < 500 else 20500)
        error = ApiError(exc.status_code, code, exc.detail or "Request failed", headers=dict(exc.headers or {}))
    return error_response(error, state.faults)


async def _server_error(request: Request, exc: Exception) -> Response:
    """Starlette's handler of last resort, inside the front: the same Twilio 500 body.

    Starlette then re-raises, and the front logs the bug (one line) and sends nothing more.
    """
    return last_resort_response()


def accepts_gzip(scope: Scope) -> bool:
    """Whether the request's Accept-Encoding allows gzip (or x-gzip) with a non-zero q (RFC 9110 12.5.3)."""
    values = [value.decode("latin-1") for name, value in scope.get("headers", ()) if name.lower() == b"accept-encoding"]
    for item in ",".join(values).split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        if coding.lower() not in ("gzip", "x-gzip"):
            continue
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0:
            return True
    return False


class GzipWhenAccepted:
    """The ``gzip`` variation: Starlette's ``GZipMiddleware`` for requests whose Accept-Encoding allows gzip.

    ``GZipMiddleware`` alone compresses whenever "gzip" appears in the header, also for
    ``gzip;q=0`` (which refuses it); everything else goes to the app untouched.
    """

    def __init__(self, app: ASGIApp, minimum_size: int = GZIP_MINIMUM_SIZE):
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and accepts_gzip(scope):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class MockApp(Starlette):
    """Starlette with :class:`Front` in front of its whole stack, not inside it.

    As an ordinary middleware the front sat behind ``Starlette.__call__`` and its
    ``ServerErrorMiddleware``, two more hops (and a wrapped ``send``) on every fast GET.
    """

    front: ASGIApp
    """The :class:`Front` (behind :class:`GzipWhenAccepted` under the ``gzip`` variation)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        await self.front(scope, receive, send)

    async def stack(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Starlette's own way in (middleware, routing): what the front hands everything else to."""
        await Starlette.__call__(self, scope, receive, send)


def create_app(
    profile: Profile | None = None,
    *,
    async_delay: float = 0.2,
    strict: bool = False,
    faults: Iterable[str] = (),
    clock: Clock | None = None,
    variations: Iterable[str] = (),
) -> Starlette:
    """The reference mock as a Starlette app (``app.state.mock`` is its :class:`MockState`).

    The update scheduler runs while the app's lifespan is active; without a lifespan (for
    example under a bare ASGI test transport) queued updates still complete, lazily, on the
    next request.
    """
    state = MockState(
        profile, async_delay=async_delay, strict=strict, faults=faults, clock=clock, variations=variations
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        state.start()
        try:
            yield
        finally:
            state.stop()

    collection_route = Route("/v1/Sims", sims_collection, methods=["GET", "POST"])
    planted_delete = ["DELETE"] if "delete-removes-sim" in state.faults else []
    instance_route = Route("/v1/Sims/{sid:path}", sim_instance, methods=["GET", "POST", *planted_delete])
    app = MockApp(
        routes=[collection_route, instance_route, Mount("/_mock", routes=control.routes())],
        exception_handlers={HTTPException: http_exception, Exception: _server_error},
        lifespan=lifespan,
    )
    front = Front(app.stack, state=state, collection_route=collection_route, instance_route=instance_route)
    app.front = GzipWhenAccepted(front) if "gzip" in state.faults else front  # a benign variation
    app.router.redirect_slashes = False
    app.state.mock = state
    return app
