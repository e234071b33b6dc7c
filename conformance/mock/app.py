"""The mock's HTTP layer: the Twilio surface's four operations, auth, error bodies and the request log.

Routes::

    GET  /v1/Sims          ListSim      POST /v1/Sims          CreateSim
    GET  /v1/Sims/{Sid}    FetchSim     POST /v1/Sims/{Sid}    UpdateSim
    /_mock/...             control endpoints (conformance.mock.control)

Every answer of the Twilio surface is JSON: a Sim, a page, or Twilio's error body. Unknown
paths answer 404 and wrong methods 405, both with Twilio's body.

One pure-ASGI wrapper, :class:`Front`, sits around the routes. It keeps the request log
(every Twilio-surface request with its contract violations), it is the last-resort handler
that turns a bug into a one-line log and a Twilio 500 body (the fuzz test proves it is never
needed), and it answers ``GET /v1/Sims`` and ``GET /v1/Sims/{Sid}`` itself. Reads are most
of a client's traffic, and Starlette's routing, request object and wrapper hops were about
half the CPU of a fetch. Both ways in run the same code: the operations take a :class:`Call`
(the request as read from the ASGI scope), so the front and the Starlette endpoints (POSTs,
HEAD) differ only in how a request reaches :func:`collection` or :func:`instance`.
"""

from __future__ import annotations

import contextlib
import logging
import random
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Iterable
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.contract import basic_auth
from conformance.mock import control, forms, render
from conformance.mock.clock import Clock
from conformance.mock.errors import ApiError, bad_request, not_found, unauthorized
from conformance.mock.state import LoggedRequest, MockState
from conformance.mock.violations import check_request
from conformance.profile import Profile

log = logging.getLogger("conformance.mock")

_STATUS_CODES = {400: 20001, 401: 20003, 403: 20403, 404: 20404, 405: 20405, 409: 20409, 413: 20413, 429: 20429}
_REQUEST_IDS = random.Random()  # seeded from os.urandom once

BodyReader = Callable[[], Awaitable[bytes]]


# ---------------------------------------------------------------------------------------
# responses
# ---------------------------------------------------------------------------------------
def request_id() -> str:
    """A fresh ``Twilio-Request-Id``: "RQ" and 32 hex digits.

    From a PRNG seeded once from the OS, not from ``secrets``: the id has to be unique in
    practice, not unguessable, and an ``os.urandom`` call per request was measurable.
    """
    return "RQ%032x" % _REQUEST_IDS.getrandbits(128)


class EncodedJSON(Response):
    """An answer whose JSON is already encoded (by :mod:`render`), with a fresh ``Twilio-Request-Id``.

    Status, headers and body are exactly those of Starlette's ``JSONResponse`` for the same
    document and headers (a test compares them). The common answer (a body, no extra
    headers) gets its three raw headers directly, because ``Response``'s generic header
    handling was a tenth of a fetch; anything else goes through that handling.
    """

    media_type = "application/json"

    def __init__(self, status: int, body: bytes, headers: dict[str, str] | None = None):
        if headers or status < 200 or status in (204, 304):
            super().__init__(body, status, {"Twilio-Request-Id": request_id(), **(headers or {})})
            return
        self.status_code = status
        self.body = body
        self.background = None
        self.raw_headers = [
            (b"twilio-request-id", request_id().encode("latin-1")),
            (b"content-length", b"%d" % len(body)),
            (b"content-type", b"application/json"),
        ]


def json_response(status: int, document: Any, headers: dict[str, str] | None = None) -> Response:
    return EncodedJSON(status, render.encode(document), headers)


def error_response(error: ApiError, faults: frozenset[str] = frozenset()) -> Response:
    """Twilio's error body (or, for the planted fault, a foreign one for 404s)."""
    if error.status == 404 and "error-body-not-twilio" in faults:
        return json_response(404, {"error": "not found"}, error.headers)
    return json_response(error.status, error.body(), error.headers)


# ---------------------------------------------------------------------------------------
# the request, as the operations see it
# ---------------------------------------------------------------------------------------
class Call:
    """One Twilio-surface request as the operations need it, read straight from the ASGI scope.

    The front builds it for GETs without any Starlette object; the Starlette endpoints build
    it from ``request.scope`` and give it a body reader. Headers are looked up by scanning the
    raw list: a request has a handful, and decoding all of them into a dict cost more.
    """

    __slots__ = ("scope", "state", "entry", "method", "read_body")

    def __init__(
        self, scope: Scope, state: MockState, entry: LoggedRequest | None, read_body: BodyReader | None = None
    ):
        self.scope = scope
        self.state = state
        # Without the front's entry (never in the app itself) violations go to a throwaway one.
        self.entry = entry if entry is not None else LoggedRequest(scope, state.clock.now())
        self.method: str = scope["method"]
        self.read_body = read_body

    @classmethod
    def of(cls, request: Request) -> "Call":
        """The call of a request that came through Starlette's routing."""
        return cls(request.scope, request.app.state.mock, request.scope.get("mock.entry"), lambda: read_body(request))

    def header(self, name: bytes) -> str | None:
        """The first value of a header, as Starlette's ``request.headers.get`` finds it."""
        for key, value in self.scope["headers"]:
            if key == name:
                return value.decode("latin-1")
        return None

    def base_url(self) -> str:
        """The base URL for the links of the answer (:func:`render.base_url`: the last value of a header wins)."""
        found = {b"x-forwarded-proto": "", b"x-forwarded-host": "", b"host": ""}
        for key, value in self.scope["headers"]:
            key = key.lower()
            if key in found:
                found[key] = value.decode("latin-1")
        server = self.scope.get("server")
        return render.base_url_of(
            self.scope.get("scheme", "http"), found[b"x-forwarded-proto"], found[b"x-forwarded-host"], found[b"host"],
            tuple(server) if server is not None else None,
        )


# ---------------------------------------------------------------------------------------
# the parts every Twilio-surface request goes through
# ---------------------------------------------------------------------------------------
def authenticate(authorization: str | None, state: MockState) -> str:
    """The requesting account's SID from an HTTP Basic ``Authorization`` value; 401 (code 20003) otherwise."""
    account = basic_account(authorization, state)
    if account is not None:
        return account
    if "accept-wrong-credentials" in state.faults:
        return state.profile.primary.sid
    raise unauthorized()


def basic_account(authorization: str | None, state: MockState) -> str | None:
    """The account whose credentials the header value carries, or None.

    Each distinct value is checked once and then remembered (:meth:`MockState.known_login`);
    a value that fails the check is never remembered.
    """
    if not authorization:
        return None
    account = state.known_login(authorization)
    if account is None:
        account = _check_basic(authorization, state)
        if account is not None:
            state.remember_login(authorization, account)
    return account


def _check_basic(authorization: str, state: MockState) -> str | None:
    credentials = basic_auth.decode(authorization)
    return state.store.authenticate(*credentials) if credentials else None


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


def _add_violation(entry: LoggedRequest, violation: dict[str, Any]) -> None:
    for known in entry.violations:
        if known["rule"] == violation["rule"] and known["parameter"] == violation["parameter"]:
            return
    entry.violations.append(violation)


async def prepare(call: Call, operation: str) -> Prepared:
    """Auth, parameter parsing, contract check (and strict mode), then settle due updates."""
    state, entry = call.state, call.entry
    account = authenticate(call.header(b"authorization"), state)
    entry.account = account
    query = forms.query_params(call.scope.get("query_string", b""))
    entry.query = query
    body = None
    if call.method == "POST":
        assert call.read_body is not None, "a POST reaches the operations through Starlette, with a body reader"
        raw = await call.read_body()
        content_type = call.header(b"content-type")
        if raw.strip() and not content_type:
            _add_violation(entry, {
                "rule": "form-encoding-required", "parameter": None, "location": "header",
                "message": "a request body without Content-Type (application/x-www-form-urlencoded expected)",
            })
        body = forms.body_params(raw, content_type, call.state.faults)
        entry.form = body
    for violation in check_request(operation, query, body):
        _add_violation(entry, violation.as_dict())
    if state.strict:
        for violation in entry.violations:
            if violation["rule"] in ("unknown-parameter", "parameter-casing"):
                raise bad_request(f"Unknown parameter {violation['parameter']} ({violation['message']})")
    state.settle()
    return Prepared(account=account, query=query, body=body, base=call.base_url())


async def answer(call: Call, operation: str, ref: str | None) -> Response:
    """Run one operation: its answer, or Twilio's error body (with the request's violation logged)."""
    state, entry = call.state, call.entry
    entry.operation = operation
    try:
        prepared = await prepare(call, operation)
        return _OPERATIONS[operation](state, prepared, ref)
    except ApiError as error:
        if error.rule:
            _add_violation(entry, {
                "rule": error.rule, "parameter": error.parameter,
                "location": "body" if call.method == "POST" else "query", "message": error.message,
            })
        return error_response(error, state.faults)


# ---------------------------------------------------------------------------------------
# the four operations
# ---------------------------------------------------------------------------------------
def _list(state: MockState, p: Prepared, ref: str | None) -> Response:
    query = forms.list_query(p.query, state.faults)
    result = state.store.list_page(p.account, query)
    return EncodedJSON(200, render.page_bytes(result, query, p.base, state.faults))


def _create(state: MockState, p: Prepared, ref: str | None) -> Response:
    iccid, code = forms.create_params(p.body or {})
    sim = state.store.register(p.account, iccid, code)
    status = 200 if "create-returns-200" in state.faults else 201
    return EncodedJSON(status, render.sim_bytes(sim, p.base, state.faults))


def _fetch(state: MockState, p: Prepared, ref: str | None) -> Response:
    assert ref is not None
    try:
        sim = state.store.fetch(p.account, ref)
    except ApiError as error:
        if error.status == 404 and "unknown-sid-returns-200-empty" in state.faults:
            return json_response(200, {})
        raise
    return EncodedJSON(200, render.sim_bytes(sim, p.base, state.faults))


def _update(state: MockState, p: Prepared, ref: str | None) -> Response:
    assert ref is not None
    request = forms.update_request(p.body or {}, state.faults)
    sim, status, completions = state.store.update(p.account, ref, request)
    for completion in completions:
        state.dispatcher.dispatch(completion)
    return EncodedJSON(status, render.sim_bytes(sim, p.base, state.faults))


_OPERATIONS = {"ListSim": _list, "CreateSim": _create, "FetchSim": _fetch, "UpdateSim": _update}


# ---------------------------------------------------------------------------------------
# the two resources (reached from the front for GET, from Starlette's routes otherwise)
# ---------------------------------------------------------------------------------------
async def collection(call: Call) -> Response:
    """``/v1/Sims``: ListSim (GET, HEAD) or CreateSim (POST)."""
    return await answer(call, "CreateSim" if call.method == "POST" else "ListSim", None)


async def instance(call: Call, matched: str) -> Response:
    """``/v1/Sims/{Sid}``: FetchSim (GET, HEAD) or UpdateSim (POST); ``matched`` is the route's {sid}."""
    try:
        ref = sim_reference(call.scope, matched)
    except ApiError as error:
        return error_response(error, call.state.faults)
    return await answer(call, "UpdateSim" if call.method == "POST" else "FetchSim", ref)


async def sims_collection(request: Request) -> Response:
    return await collection(Call.of(request))


async def sim_instance(request: Request) -> Response:
    return await instance(Call.of(request), request.path_params.get("sid", ""))


def sim_reference(scope: Scope, matched: str) -> str:
    """The {Sid} path segment, decoded from the raw path (so an encoded "/" stays in a unique name).

    ``matched`` (the route's decoded {sid} parameter) is used only when the raw path does not
    start with ``/v1/Sims/`` literally (e.g. ``/v1/%53ims/...``).
    """
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    prefix = b"/v1/Sims/"
    if raw_path.startswith(prefix):
        segment = raw_path[len(prefix):]
        if b"/" in segment or not segment:
            raise not_found(f"The requested resource {scope['path']} was not found")
        try:
            ref = unquote(segment.decode("ascii"), errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise bad_request("The path is not valid UTF-8 after percent-decoding", rule="invalid-encoding") from None
    else:
        ref = matched
        if not ref or "/" in ref:
            raise not_found(f"The requested resource {scope['path']} was not found")
    if len(ref) > 256:
        raise not_found("The requested resource was not found")
    return ref


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 (unknown path) and 405 (wrong method) as Twilio error bodies."""
    assert isinstance(exc, HTTPException)
    state = request.app.state.mock
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
# the front
# ---------------------------------------------------------------------------------------
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
                await send({"type": "http.response.start", "status": response.status_code,
                            "headers": response.raw_headers})
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


def last_resort_response() -> Response:
    """Twilio's 500 body: what a bug in the mock answers instead of a traceback page."""
    return json_response(500, ApiError(500, 20500, "Internal error in the supersim-conformance mock").body())


async def _server_error(request: Request, exc: Exception) -> Response:
    """Starlette's handler of last resort, inside the front: the same Twilio 500 body.

    Starlette then re-raises, and the front logs the bug (one line) and sends nothing more.
    """
    return last_resort_response()


# ---------------------------------------------------------------------------------------
# the app
# ---------------------------------------------------------------------------------------
class MockApp(Starlette):
    """Starlette with :class:`Front` in front of its whole stack, not inside it.

    As an ordinary middleware the front sat behind ``Starlette.__call__`` and its
    ``ServerErrorMiddleware``, two more hops (and a wrapped ``send``) on every fast GET.
    """

    front: "Front"

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
