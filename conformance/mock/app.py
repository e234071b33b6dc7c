"""The mock as one Starlette app: routes, Twilio error bodies for Starlette's own errors, the front.

Routes::

    GET  /v1/Sims          ListSim      POST /v1/Sims          CreateSim
    GET  /v1/Sims/{Sid}    FetchSim     POST /v1/Sims/{Sid}    UpdateSim
    /_mock/...             control endpoints (conformance.mock.control)

Every answer of the Twilio surface is JSON: a Sim, a page, or Twilio's error body. Unknown
paths answer 404 and wrong methods 405, both with Twilio's body.

This module only assembles the parts, and is the top of the mock's HTTP layer (nothing in
the mock imports it but ``server``):

* :mod:`~conformance.mock.operations`: the four operations and what every request goes
  through (auth, parameters, contract check); the Starlette endpoints here call it;
* :mod:`~conformance.mock.front`: :class:`Front`, the ASGI wrapper around everything
  (request log, last resort, the fast way in for the two GETs);
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
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

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

_STATUS_CODES = {400: 20001, 401: 20003, 403: 20403, 404: 20404, 405: 20405, 409: 20409, 413: 20413, 429: 20429}


async def sims_collection(request: Request) -> Response:
    return await collection(Call.of(request))


async def sim_instance(request: Request) -> Response:
    return await instance(Call.of(request), request.path_params.get("sid", ""))


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 (unknown path) and 405 (wrong method) as Twilio error bodies."""
    assert isinstance(exc, HTTPException)
    state = request.app.state.mock
    path = request.scope.get("path", "")
    if exc.status_code == 404:
        error = not_found(f"The requested resource {path} was not found")
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


class MockApp(Starlette):
    """Starlette with :class:`Front` in front of its whole stack, not inside it.

    As an ordinary middleware the front sat behind ``Starlette.__call__`` and its
    ``ServerErrorMiddleware``, two more hops (and a wrapped ``send``) on every fast GET.
    """

    front: Front

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
    instance_route = Route("/v1/Sims/{sid:path}", sim_instance, methods=["GET", "POST"])
    app = MockApp(
        routes=[collection_route, instance_route, Mount("/_mock", routes=control.routes())],
        exception_handlers={HTTPException: http_exception, Exception: _server_error},
        lifespan=lifespan,
    )
    app.front = Front(app.stack, state=state, collection_route=collection_route, instance_route=instance_route)
    app.router.redirect_slashes = False
    app.state.mock = state
    return app
