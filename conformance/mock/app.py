"""The mock's HTTP layer: Starlette routes for the Twilio surface, auth, and error bodies.

Routes::

    GET  /v1/Sims          ListSim      POST /v1/Sims          CreateSim
    GET  /v1/Sims/{Sid}    FetchSim     POST /v1/Sims/{Sid}    UpdateSim
    /_mock/...             control endpoints (conformance.mock.control)

Every answer of the Twilio surface is JSON: a Sim, a page, or Twilio's error body. Unknown
paths answer 404 and wrong methods 405, both with Twilio's body. Two pure-ASGI wrappers sit
around the app: the request log (every Twilio-surface request with its contract
violations) and a last-resort handler that turns a bug into a one-line log and a Twilio
500 body - the fuzz test proves it is never needed.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any, Iterable
from urllib.parse import parse_qsl, unquote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.mock import control, forms, render
from conformance.mock.clock import Clock, iso
from conformance.mock.errors import ApiError, bad_request, not_found, unauthorized
from conformance.mock.state import MockState
from conformance.mock.violations import check_request
from conformance.profile import Profile

log = logging.getLogger("conformance.mock")

_STATUS_CODES = {400: 20001, 401: 20003, 403: 20403, 404: 20404, 405: 20405, 409: 20409, 413: 20413, 429: 20429}


# ---------------------------------------------------------------------------------------
# responses
# ---------------------------------------------------------------------------------------
def json_response(status: int, document: Any, headers: dict[str, str] | None = None) -> Response:
    all_headers = {"Twilio-Request-Id": "RQ" + secrets.token_hex(16), **(headers or {})}
    return JSONResponse(document, status_code=status, headers=all_headers)


def error_response(error: ApiError, faults: frozenset[str] = frozenset()) -> Response:
    """Twilio's error body (or, for the planted fault, a foreign one for 404s)."""
    if error.status == 404 and "error-body-not-twilio" in faults:
        return json_response(404, {"error": "not found"}, error.headers)
    return json_response(error.status, error.body(), error.headers)


def _state(request: Request) -> MockState:
    return request.app.state.mock


# ---------------------------------------------------------------------------------------
# the parts every Twilio-surface request goes through
# ---------------------------------------------------------------------------------------
def authenticate(request: Request, state: MockState) -> str:
    """The requesting account's SID from HTTP Basic; 401 (code 20003) otherwise."""
    account = _basic_account(request.headers.get("authorization"), state)
    if account is not None:
        return account
    if "accept-wrong-credentials" in state.faults:
        return state.profile.primary.sid
    raise unauthorized()


def _basic_account(header: str | None, state: MockState) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    sid, _, token = decoded.partition(":")
    return state.store.authenticate(sid, token)


async def read_body(request: Request, limit: int = forms.MAX_BODY_BYTES) -> bytes:
    """The request body, refusing (413, code 20413) anything over ``limit`` bytes."""
    too_large = ApiError(413, 20413, f"Request body is larger than {limit} bytes", rule="body-too-large")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass
class Prepared:
    """An authenticated, parsed request of one operation."""

    account: str
    query: dict[str, str]
    body: dict[str, str] | None
    base: str


def _entry(request: Request) -> dict[str, Any]:
    entry = request.scope.get("mock.entry")
    return entry if entry is not None else {"violations": []}


def _add_violation(entry: dict[str, Any], violation: dict[str, Any]) -> None:
    for known in entry["violations"]:
        if known["rule"] == violation["rule"] and known["parameter"] == violation["parameter"]:
            return
    entry["violations"].append(violation)


async def prepare(request: Request, operation: str) -> Prepared:
    """Auth, parameter parsing, contract check (and strict mode), then settle due updates."""
    state = _state(request)
    entry = _entry(request)
    account = authenticate(request, state)
    entry["account"] = account
    query = forms.query_params(request.scope.get("query_string", b""))
    entry["query"] = query
    body = None
    if request.method == "POST":
        raw = await read_body(request)
        content_type = request.headers.get("content-type")
        if raw.strip() and not content_type:
            _add_violation(entry, {
                "rule": "form-encoding-required", "parameter": None, "location": "header",
                "message": "a request body without Content-Type (application/x-www-form-urlencoded expected)",
            })
        body = forms.body_params(raw, content_type)
        entry["form"] = body
    for violation in check_request(operation, query, body):
        _add_violation(entry, violation.as_dict())
    if state.strict:
        for violation in entry["violations"]:
            if violation["rule"] in ("unknown-parameter", "parameter-casing"):
                raise bad_request(f"Unknown parameter {violation['parameter']} ({violation['message']})")
    state.settle()
    base = render.base_url(
        request.scope.get("scheme", "http"),
        {k.lower(): v for k, v in request.headers.items()},
        request.scope.get("server"),
    )
    return Prepared(account=account, query=query, body=body, base=base)


async def _answer(request: Request, operation: str, ref: str | None) -> Response:
    state = _state(request)
    entry = _entry(request)
    entry["operation"] = operation
    try:
        prepared = await prepare(request, operation)
        return _OPERATIONS[operation](state, prepared, ref)
    except ApiError as error:
        if error.rule:
            _add_violation(entry, {
                "rule": error.rule, "parameter": error.parameter,
                "location": "body" if request.method == "POST" else "query", "message": error.message,
            })
        return error_response(error, state.faults)


# ---------------------------------------------------------------------------------------
# the four operations
# ---------------------------------------------------------------------------------------
def _list(state: MockState, p: Prepared, ref: str | None) -> Response:
    query = forms.list_query(p.query, state.faults)
    result = state.store.list_page(p.account, query)
    return json_response(200, render.page_json(result, query, p.base, state.faults))


def _create(state: MockState, p: Prepared, ref: str | None) -> Response:
    iccid, code = forms.create_params(p.body or {})
    sim = state.store.register(p.account, iccid, code)
    status = 200 if "create-returns-200" in state.faults else 201
    return json_response(status, render.sim_json(sim, p.base, state.faults))


def _fetch(state: MockState, p: Prepared, ref: str | None) -> Response:
    assert ref is not None
    try:
        sim = state.store.fetch(p.account, ref)
    except ApiError as error:
        if error.status == 404 and "unknown-sid-returns-200-empty" in state.faults:
            return json_response(200, {})
        raise
    return json_response(200, render.sim_json(sim, p.base, state.faults))


def _update(state: MockState, p: Prepared, ref: str | None) -> Response:
    assert ref is not None
    request = forms.update_request(p.body or {}, state.faults)
    sim, status, completions = state.store.update(p.account, ref, request)
    for completion in completions:
        state.dispatcher.dispatch(completion)
    return json_response(status, render.sim_json(sim, p.base, state.faults))


_OPERATIONS = {"ListSim": _list, "CreateSim": _create, "FetchSim": _fetch, "UpdateSim": _update}


async def sims_collection(request: Request) -> Response:
    return await _answer(request, "CreateSim" if request.method == "POST" else "ListSim", None)


async def sim_instance(request: Request) -> Response:
    try:
        ref = sim_reference(request)
    except ApiError as error:
        return error_response(error, _state(request).faults)
    return await _answer(request, "UpdateSim" if request.method == "POST" else "FetchSim", ref)


def sim_reference(request: Request) -> str:
    """The {Sid} path segment, decoded from the raw path (so an encoded "/" stays in a unique name)."""
    raw_path: bytes = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    prefix = b"/v1/Sims/"
    if raw_path.startswith(prefix):
        segment = raw_path[len(prefix):]
        if b"/" in segment or not segment:
            raise not_found(f"The requested resource {request.scope['path']} was not found")
        try:
            ref = unquote(segment.decode("ascii"), errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise bad_request("The path is not valid UTF-8 after percent-decoding", rule="invalid-encoding") from None
    else:
        ref = request.path_params.get("sid", "")
        if not ref or "/" in ref:
            raise not_found(f"The requested resource {request.scope['path']} was not found")
    if len(ref) > 256:
        raise not_found("The requested resource was not found")
    return ref


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 (unknown path) and 405 (wrong method) as Twilio error bodies."""
    assert isinstance(exc, HTTPException)
    state = _state(request)
    path = request.scope.get("path", "")
    if exc.status_code == 404:
        error = not_found(f"The requested resource {path} was not found")
    elif exc.status_code == 405:
        error = ApiError(405, 20405, f"Method {request.method} is not allowed on {path}", headers=dict(exc.headers or {}))
    else:
        code = _STATUS_CODES.get(exc.status_code, 20001 if exc.status_code < 500 else 20500)
        error = ApiError(exc.status_code, code, exc.detail or "Request failed", headers=dict(exc.headers or {}))
    return error_response(error, state.faults)


# ---------------------------------------------------------------------------------------
# ASGI wrappers
# ---------------------------------------------------------------------------------------
class RequestLogMiddleware:
    """Records every request to the Twilio surface (not /_mock) with its status and violations."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_mock/") or scope["path"] == "/_mock":
            await self.app(scope, receive, send)
            return
        state: MockState = scope["app"].state.mock
        headers = {}
        for name, value in scope.get("headers", []):
            key = name.decode("latin-1").lower()
            if key != "authorization":
                headers[key] = value.decode("latin-1")
        raw_query = scope.get("query_string", b"")
        entry: dict[str, Any] = {
            "time": iso(state.clock.now()),
            "method": scope["method"],
            "path": scope["path"],
            "query_string": raw_query.decode("latin-1"),
            "query": dict(parse_qsl(raw_query.decode("utf-8", "replace"), keep_blank_values=True)),
            "form": None,
            "headers": headers,
            "status": None,
            "account": None,
            "operation": None,
            "violations": [],
        }
        scope["mock.entry"] = entry

        async def logged_send(message: Message) -> None:
            # Log before the answer leaves: a client that reads the log right after its
            # response must find the entry there.
            if message["type"] == "http.response.start" and entry["status"] is None:
                entry["status"] = message["status"]
                state.log_request(entry)
            await send(message)

        try:
            await self.app(scope, receive, logged_send)
        finally:
            if entry["status"] is None:
                entry["status"] = 500
                state.log_request(entry)


class LastResortMiddleware:
    """Any exception that escapes the app: one log line and a Twilio 500 body, never a traceback page."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # last resort by design; the bug itself must be fixed
            log.error("mock bug: %s: %s on %s %s", type(exc).__name__, exc, scope.get("method"), scope.get("path"))
            if not started:
                error = ApiError(500, 20500, "Internal error in the supersim-conformance mock")
                await json_response(500, error.body())(scope, receive, send)


# ---------------------------------------------------------------------------------------
# the app
# ---------------------------------------------------------------------------------------
def create_app(
    profile: Profile | None = None,
    *,
    async_delay: float = 0.2,
    strict: bool = False,
    faults: Iterable[str] = (),
    clock: Clock | None = None,
) -> Starlette:
    """The reference mock as a Starlette app (``app.state.mock`` is its :class:`MockState`).

    The update scheduler runs while the app's lifespan is active; without a lifespan (for
    example under a bare ASGI test transport) queued updates still complete, lazily, on the
    next request.
    """
    state = MockState(profile, async_delay=async_delay, strict=strict, faults=faults, clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        state.start()
        try:
            yield
        finally:
            state.stop()

    app = Starlette(
        routes=[
            Route("/v1/Sims", sims_collection, methods=["GET", "POST"]),
            Route("/v1/Sims/{sid:path}", sim_instance, methods=["GET", "POST"]),
            Mount("/_mock", routes=control.routes()),
        ],
        middleware=[Middleware(LastResortMiddleware), Middleware(RequestLogMiddleware)],
        exception_handlers={HTTPException: http_exception},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.mock = state
    return app
