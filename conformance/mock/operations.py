"""The Twilio surface's four operations, and what every request goes through to reach them.

The two sub-resources a Sim's ``links`` point at (``/v1/Sims/{Sid}/BillingPeriods`` and
``/IpAddresses``) answer an empty list page of Twilio's shape, so a client that follows the
links does not break; they are outside the contract (the kit tests only the Sim resource).

ListSim, FetchSim, CreateSim and UpdateSim each take a :class:`Call` (the request as read
from the ASGI scope), so the two ways in, the front's fast path for GETs (``front``) and
Starlette's routes (``app``), run exactly the same code and differ only in how a request
reaches :func:`collection` or :func:`instance`. On the way every request is authenticated,
its parameters parsed and checked against the contract (violations go to the request log;
``strict`` refuses unknown parameters), and due asynchronous updates are settled first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from conformance.mock import access, forms, misrender, render
from conformance.mock.auth import authenticate
from conformance.mock.errors import ApiError, bad_request, not_found
from conformance.mock.model import UNSET, UpdateRequest
from conformance.mock.responses import EncodedJSON, error_response, json_response
from conformance.mock.state import LoggedRequest, MockState
from conformance.mock.violations import check_request
from conformance.profile.model import SIM_SID

BodyReader = Callable[[], Awaitable[bytes]]


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
    def of(cls, request: Request) -> Call:
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
            self.scope.get("scheme", "http"),
            found[b"x-forwarded-proto"],
            found[b"x-forwarded-host"],
            found[b"host"],
            tuple(server) if server is not None else None,
        )


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


# ---------------------------------------------------------------------------------------
# the parts every Twilio-surface request goes through
# ---------------------------------------------------------------------------------------
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
            _add_violation(
                entry,
                {
                    "rule": "form-encoding-required",
                    "parameter": None,
                    "location": "header",
                    "message": "a request body without Content-Type (application/x-www-form-urlencoded expected)",
                },
            )
        planted = None
        if operation == "UpdateSim" and "json-update-accepted" in call.state.faults:
            planted = _planted_json_update(raw, content_type)
        body = planted if planted is not None else forms.body_params(raw, content_type, call.state.faults)
        entry.form = body
    for violation in check_request(operation, query, body):
        _add_violation(entry, violation.as_dict())
    if state.strict:
        for logged in entry.violations:
            if logged["rule"] in ("unknown-parameter", "parameter-casing"):
                raise bad_request(f"Unknown parameter {logged['parameter']} ({logged['message']})")
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
            _add_violation(
                entry,
                {
                    "rule": error.rule,
                    "parameter": error.parameter,
                    "location": "body" if call.method == "POST" else "query",
                    "message": error.message,
                },
            )
        return error_response(error, state.faults)


# ---------------------------------------------------------------------------------------
# the four operations
# ---------------------------------------------------------------------------------------
def _list(state: MockState, p: Prepared, ref: str | None) -> Response:
    query = forms.list_query(p.query, state.faults)
    result = state.store.list_page(p.account, query)
    body = render.page_bytes(result, query, p.base, state.faults)
    if misrender.planted(state.faults):
        body = misrender.page(body, state.faults, state.profile.primary.sid)
        return misrender.content_type(EncodedJSON(200, body), state.faults)
    return EncodedJSON(200, body)


def _create(state: MockState, p: Prepared, ref: str | None) -> Response:
    params = dict(p.body or {})
    if state.faults:
        params = _planted_registration_params(state, params)
        if "missing-parameter-500" in state.faults and not {"Iccid", "RegistrationCode"} <= params.keys():
            raise RuntimeError("planted fault missing-parameter-500")
    iccid, code = forms.create_params(params)
    sim = state.store.register(p.account, iccid, code)
    status = 200 if "create-returns-200" in state.faults else 201
    return _sim_answer(state, status, render.sim_bytes(sim, p.base, state.faults), created=True, p=p)


def _fetch(state: MockState, p: Prepared, ref: str | None) -> Response:
    assert ref is not None
    try:
        sim = state.store.fetch(p.account, ref)
    except ApiError as error:
        if error.status == 404 and "unknown-sid-returns-200-empty" in state.faults:
            return json_response(200, {})
        if error.status == 404 and "unknown-name-500" in state.faults and not SIM_SID.match(ref):
            raise RuntimeError(f"planted fault unknown-name-500: no Sim named {ref!r}") from error
        raise
    return _sim_answer(state, 200, render.sim_bytes(sim, p.base, state.faults), p=p)


def _update(state: MockState, p: Prepared, ref: str | None) -> Response:
    assert ref is not None
    params = dict(p.body or {})
    status_value = params.get("Status")
    if status_value is not None and status_value not in forms.UPDATE_STATUSES:
        if "invalid-status-ignored" in state.faults:
            del params["Status"]
        if "invalid-status-500" in state.faults:
            raise RuntimeError(f"planted fault invalid-status-500: Status {status_value!r}")
    request = forms.update_request(params, state.faults)
    if state.faults and request.account_sid is not UNSET:
        planted = _planted_move_answer(state, p, ref, request)
        if planted is not None:
            return planted
    try:
        sim, status, completions = state.store.update(p.account, ref, request)
    except ApiError as error:
        if error.status == 404 and "other-account-update-applied" in state.faults:
            with state.store.lock:
                owner = access.anywhere(state.store, ref)
            if owner is not None:
                state.store.update(owner.account, ref, request)
        raise
    for completion in completions:
        state.dispatcher.dispatch(completion)
    return _sim_answer(state, status, render.sim_bytes(sim, p.base, state.faults), p=p)


def _planted_json_update(raw: bytes, content_type: str | None) -> dict[str, str] | None:
    """The planted fault json-update-accepted: an update's JSON object read as its parameters."""
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        return None
    try:
        document = json.loads(raw)
    except ValueError:
        return None
    return {str(k): str(v) for k, v in document.items()} if isinstance(document, dict) else None


def _planted_move_answer(state: MockState, p: Prepared, ref: str, request: UpdateRequest) -> Response | None:
    """The planted faults where a move's answer and what was done disagree; None when none applies."""
    faults = state.faults
    with state.store.lock:
        before = access.for_update(state.store, p.account, ref, request)
        status, account = before.status, before.account
    not_applied = "move-answered-not-applied" in faults
    not_applied = not_applied or (status == "inactive" and "inactive-move-answered-not-applied" in faults)
    if not_applied:  # everything but the move is done; the answer claims the move
        sim, code, _ = state.store.update(p.account, ref, replace(request, account_sid=UNSET, fleet=UNSET))
        shown = request.account_sid
    elif "move-answer-shows-old-account" in faults:
        sim, code, _ = state.store.update(p.account, ref, request)
        shown = account
    else:
        return None
    document = json.loads(render.sim_bytes(sim, p.base, faults))
    document["account_sid"] = shown
    return EncodedJSON(code, render.encode(document))


def _planted_registration_params(state: MockState, params: dict[str, str]) -> dict[str, str]:
    """A registration's parameters, with the missing one filled in from the registrable cards
    for the planted faults that register without it."""
    with state.store.lock:
        cards = list(state.store.cards.values())
    if "Iccid" not in params and "missing-iccid-registers-by-code" in state.faults:
        for card in cards:
            if card.registration_code == params.get("RegistrationCode"):
                params["Iccid"] = card.iccid
    if "RegistrationCode" not in params and "missing-code-registers" in state.faults:
        for card in cards:
            if card.iccid == params.get("Iccid"):
                params["RegistrationCode"] = card.registration_code
    return params


def _sim_answer(
    state: MockState, status: int, body: bytes, *, created: bool = False, p: Prepared | None = None
) -> Response:
    """One Sim's answer; with a planted fault of :mod:`misrender`, as that fault writes it."""
    if "account-sid-from-credentials" in state.faults and p is not None:
        document = json.loads(body)
        document["account_sid"] = p.account  # planted: the requester's SID, not the Sim's account
        body = render.encode(document)
    if not misrender.planted(state.faults):
        return EncodedJSON(status, body)
    body = misrender.sim(body, state.faults, state.profile.primary.sid)
    if created:
        body = misrender.created(body, state.faults)
    return misrender.content_type(EncodedJSON(status, body), state.faults)


_OPERATIONS = {"ListSim": _list, "CreateSim": _create, "FetchSim": _fetch, "UpdateSim": _update}


# ---------------------------------------------------------------------------------------
# the two resources (reached from the front for GET, from Starlette's routes otherwise)
# ---------------------------------------------------------------------------------------
async def collection(call: Call) -> Response:
    """``/v1/Sims``: ListSim (GET, HEAD) or CreateSim (POST)."""
    return await answer(call, "CreateSim" if call.method == "POST" else "ListSim", None)


async def instance(call: Call, matched: str) -> Response:
    """``/v1/Sims/{Sid}``: FetchSim (GET, HEAD) or UpdateSim (POST); ``matched`` is the route's {sid}.

    ``/v1/Sims/{Sid}/BillingPeriods`` and ``/IpAddresses`` (the same route) go to :func:`sub_resource`.
    """
    sub = sub_resource_reference(call.scope, matched)
    if sub is not None:
        return await sub_resource(call, *sub)
    try:
        ref = sim_reference(call.scope, matched)
    except ApiError as error:
        return error_response(error, call.state.faults)
    return await answer(call, "UpdateSim" if call.method == "POST" else "FetchSim", ref)


# ---------------------------------------------------------------------------------------
# the Sim's sub-resources (outside the contract): an empty list page each
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubResource:
    """A list a Sim's ``links`` point at, as Twilio's published OpenAPI describes it."""

    path: str
    """The path segment after ``/v1/Sims/{Sid}/``."""
    operation: str
    """Its operationId in Twilio's spec (shown in the request log)."""
    key: str
    """The list's property, also ``meta.key``."""


SUB_RESOURCES: dict[str, SubResource] = {
    item.path: item
    for item in (
        SubResource("BillingPeriods", "ListBillingPeriod", "billing_periods"),
        SubResource("IpAddresses", "ListSimIpAddress", "ip_addresses"),
    )
}
#: The parameters Twilio's spec gives both lists.
SUB_RESOURCE_PARAMETERS = ("PageSize", "Page", "PageToken")
_PAGE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")


def sub_resource_reference(scope: Scope, matched: str) -> tuple[str, SubResource] | None:
    """(the Sim reference, the sub-resource) for ``/v1/Sims/{Sid}/BillingPeriods`` or ``/IpAddresses``, else None."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    prefix = b"/v1/Sims/"
    if raw_path.startswith(prefix):
        head, slash, tail = raw_path[len(prefix) :].partition(b"/")
        if not slash or not head or b"/" in tail:
            return None
        sub = SUB_RESOURCES.get(tail.decode("latin-1"))
        try:
            ref = unquote(head.decode("ascii"), errors="strict")
        except (UnicodeDecodeError, ValueError):
            return None  # sim_reference refuses it, as for the Sim itself
    else:
        ref, separator, name = matched.rpartition("/")
        sub = SUB_RESOURCES.get(name)
        if not separator or not ref or "/" in ref:
            return None
    return (ref, sub) if sub is not None else None


async def sub_resource(call: Call, ref: str, sub: SubResource) -> Response:
    """GET ``/v1/Sims/{Sid}/<sub>``: an empty page for a Sim of the requesting account, else 404."""
    state, entry = call.state, call.entry
    entry.operation = sub.operation
    try:
        if call.method not in ("GET", "HEAD"):
            raise ApiError(
                405, 20405, f"Method {call.method} is not allowed on {call.scope['path']}", headers={"Allow": "GET"}
            )
        account = authenticate(call.header(b"authorization"), state)
        entry.account = account
        query = forms.query_params(call.scope.get("query_string", b""))
        entry.query = query
        if state.strict:
            for name in query:
                if name not in SUB_RESOURCE_PARAMETERS:
                    raise bad_request(
                        f"Unknown parameter {name} (this list takes {', '.join(SUB_RESOURCE_PARAMETERS)})"
                    )
        page_size = _page_number(query, "PageSize", 50, 1, 1000)
        page = _page_number(query, "Page", 0, 0, None)
        sim = state.store.fetch(account, ref)
    except ApiError as error:
        return error_response(error, state.faults)
    return json_response(200, sub_resource_page(sub, call.base_url(), sim.sid, page_size, page, query.get("PageToken")))


def sub_resource_page(
    sub: SubResource, base: str, sid: str, page_size: int, page: int, token: str | None = None
) -> dict[str, Any]:
    """The empty list page, meta as in the examples of Twilio's spec (``readEmpty``)."""
    root = f"{base}/v1/Sims/{sid}/{sub.path}"
    here = [("PageSize", str(page_size)), ("Page", str(page))] + ([("PageToken", token)] if token else [])
    return {
        sub.key: [],
        "meta": {
            "page": page,
            "page_size": page_size,
            "first_page_url": f"{root}?{urlencode([('PageSize', str(page_size)), ('Page', '0')])}",
            "previous_page_url": None,
            "url": f"{root}?{urlencode(here)}",
            "next_page_url": None,
            "key": sub.key,
        },
    }


def _page_number(query: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not _PAGE_NUMBER.fullmatch(raw.strip()):
        raise bad_request(f"{name} {raw[:100]!r} is not an integer", parameter=name)
    value = int(raw)
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise bad_request(f"{name} {value} is out of range: must be {bounds}", parameter=name)
    return value


def sim_reference(scope: Scope, matched: str) -> str:
    """The {Sid} path segment, decoded from the raw path (so an encoded "/" stays in a unique name).

    ``matched`` (the route's decoded {sid} parameter) is used only when the raw path does not
    start with ``/v1/Sims/`` literally (e.g. ``/v1/%53ims/...``).
    """
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    prefix = b"/v1/Sims/"
    if raw_path.startswith(prefix):
        segment = raw_path[len(prefix) :]
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
