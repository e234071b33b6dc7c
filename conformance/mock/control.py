"""Control endpoints under ``/_mock/``: drive what the real network would do, and inspect the mock.

They are not part of Twilio's API. Each takes the same HTTP Basic credentials as the
Twilio surface (any account of the profile) and acts on *that account's* Sims. Bodies are
JSON (``Content-Type: application/json``); answers are JSON; errors use Twilio's error body.
``app`` mounts these routes; they share credentials, answers and the body reader with the
Twilio surface through the modules below both (``auth``, ``responses``, ``operations``) and
never import ``app``, so the dependencies point one way.

=======================  ===========================================================
``GET    /_mock/``        ``{"account_sid", "faults", "strict", "async_delay", "now", "counts"}``
``POST   /_mock/usage``   in ``{"sim": "HS..."|unique name, "data_kb": 300, "sms_commands": 0,
                          "ready_seconds": 0}`` (ready_seconds ages only this Sim's time in ready)
                          out ``{"sim": <Sim>, "data_kb", "sms_commands", "auto_activated"}``
``GET    /_mock/clock``   ``{"now", "offset_seconds"}``
``POST   /_mock/clock``   in ``{"advance_seconds": 7776000}``;
                          out ``{"now", "offset_seconds", "auto_activated": ["HS...", ...]}``
``POST   /_mock/reset``   back to the profile's initial state (all accounts); ``{"reset": true}``
``POST   /_mock/flush``   finish every scheduled update now; ``{"completed": 3}``
``GET    /_mock/requests`` ``{"requests": [entry, ...]}``; ``?violations=1`` keeps entries with
                          violations. entry = ``{"id", "time", "method", "path", "query_string",
                          "query", "form", "headers" (no Authorization), "status", "account",
                          "operation", "violations": [{"rule", "parameter", "location", "message"}]}``
``DELETE /_mock/requests`` empty the log; ``{"cleared": true}``
``GET    /_mock/violations`` ``{"violations": [{"request_id", "method", "path", "rule", ...}]}``
``GET    /_mock/callbacks`` ``{"callbacks": [{"time", "sim_sid", "method", "url", "status", "error"}]}``
``POST   /_mock/seed``    in ``{"fleets": [{"unique_name": "f1"}], "sims": [{"count": 3,
                          "status": "ready", "fleet": "f1", "name_prefix": "dev-"}]}``;
                          out ``{"fleets": [{"sid", "unique_name", "account"}], "sims": ["HS...", ...]}``
``POST   /_mock/registrable`` in ``{"cards": [{"iccid", "registration_code"}], "count": 2}``
                          (given cards and/or ``count`` fresh ones); out ``{"cards": [...]}``
=======================  ===========================================================
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.mock import render
from conformance.mock.auth import authenticate
from conformance.mock.clock import iso
from conformance.mock.errors import ApiError, bad_request
from conformance.mock.operations import read_body
from conformance.mock.responses import json_response
from conformance.profile import RegistrableCard

Handler = Callable[[Request, str], Awaitable[Any]]


def _guarded(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, run, and turn ApiError into Twilio's error body."""

    async def endpoint(request: Request) -> Response:
        state = request.app.state.mock
        try:
            account = authenticate(request.headers.get("authorization"), state)
            state.settle()
            result = await handler(request, account)
            return json_response(200, result)
        except ApiError as error:
            return json_response(error.status, error.body(), error.headers)

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await read_body(request)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("control endpoints take a JSON object body") from None
    if not isinstance(data, dict):
        raise bad_request("control endpoints take a JSON object body")
    return data


def _number(data: dict[str, Any], name: str, *, integer: bool = False, default: float = 0) -> Any:
    value = data.get(name, default)
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < 0:
        raise bad_request(f"{name} must be a non-negative {'integer' if integer else 'number'}")
    return value


def _text(data: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise bad_request(f"{name} must be a non-empty string")
    return value


async def info(request: Request, account: str) -> dict[str, Any]:
    """What this mock is: faults, mode, delay, clock and sizes."""
    state = request.app.state.mock
    return {
        "account_sid": account,
        "faults": sorted(state.faults),
        "strict": state.strict,
        "async_delay": state.async_delay,
        "now": iso(state.clock.now()),
        "counts": state.store.counts(),
    }


async def usage(request: Request, account: str) -> dict[str, Any]:
    """Record data use (kB) and SMS Commands for one of the account's Sims."""
    state = request.app.state.mock
    data = await _json_body(request)
    sim = _text(data, "sim", required=True)
    result = state.record_usage(
        account,
        sim,
        data_kb=_number(data, "data_kb"),
        sms_commands=_number(data, "sms_commands", integer=True),
        ready_seconds=_number(data, "ready_seconds"),
    )
    base = render.base_url(
        request.url.scheme, {k.lower(): v for k, v in request.headers.items()}, request.scope.get("server")
    )
    return {**result, "sim": render.sim_json(result["sim"], base, state.faults)}


async def clock(request: Request, account: str) -> dict[str, Any]:
    """Read the mock clock (GET) or move it forward (POST)."""
    state = request.app.state.mock
    activated: list[str] = []
    if request.method == "POST":
        data = await _json_body(request)
        activated = state.advance_clock(_number(data, "advance_seconds"))
    out: dict[str, Any] = {"now": iso(state.clock.now()), "offset_seconds": state.clock.offset_seconds}
    if request.method == "POST":
        out["auto_activated"] = activated
    return out


async def reset(request: Request, account: str) -> dict[str, Any]:
    """Back to the profile's initial state."""
    request.app.state.mock.reset()
    return {"reset": True}


async def flush(request: Request, account: str) -> dict[str, Any]:
    """Complete every scheduled update now."""
    return {"completed": request.app.state.mock.flush()}


async def requests_log(request: Request, account: str) -> dict[str, Any]:
    """The request log (GET) or empty it (DELETE)."""
    state = request.app.state.mock
    if request.method == "DELETE":
        state.clear_requests()
        return {"cleared": True}
    entries = state.requests
    if request.query_params.get("violations") in ("1", "true", "yes"):
        entries = [e for e in entries if e["violations"]]
    return {"requests": entries}


async def violations(request: Request, account: str) -> dict[str, Any]:
    """Every request violation, flattened."""
    return {"violations": request.app.state.mock.violations}


async def callbacks(request: Request, account: str) -> dict[str, Any]:
    """Every callback delivery attempt."""
    return {"callbacks": request.app.state.mock.callbacks}


async def seed(request: Request, account: str) -> dict[str, Any]:
    """Add fleets and Sims to the requesting account."""
    state = request.app.state.mock
    data = await _json_body(request)
    fleets_in, sims_in = data.get("fleets", []), data.get("sims", [])
    if not isinstance(fleets_in, list) or not isinstance(sims_in, list):
        raise bad_request("fleets and sims must be lists")
    fleets = []
    for item in fleets_in:
        if not isinstance(item, dict):
            raise bad_request("each fleet must be an object")
        fleet = state.store.seed_fleet(account, _text(item, "unique_name"), _text(item, "sid"))
        fleets.append({"sid": fleet.sid, "unique_name": fleet.unique_name, "account": fleet.account})
    sims: list[str] = []
    for item in sims_in:
        if not isinstance(item, dict):
            raise bad_request("each sims entry must be an object")
        count = _number(item, "count", integer=True, default=1)
        if count > 200_000:
            raise bad_request("count must be at most 200000")
        sims += state.seed_sims(
            account,
            count,
            status=_text(item, "status") or "new",
            fleet=_text(item, "fleet"),
            name_prefix=_text(item, "name_prefix"),
        )
    return {"fleets": fleets, "sims": sims}


async def registrable(request: Request, account: str) -> dict[str, Any]:
    """Make more SIM cards registrable: the given ones and/or ``count`` fresh ones."""
    state = request.app.state.mock
    data = await _json_body(request)
    given = data.get("cards", [])
    if not isinstance(given, list) or not all(isinstance(c, dict) for c in given):
        raise bad_request("cards must be a list of objects")
    cards = [
        RegistrableCard(
            iccid=_text(c, "iccid", required=True) or "",
            registration_code=_text(c, "registration_code", required=True) or "",
        )
        for c in given
    ]
    added = state.store.add_cards(cards)
    count = _number(data, "count", integer=True)
    if count > 1000:
        raise bad_request("count must be at most 1000")
    added += [state.store.new_card() for _ in range(count)]
    return {"cards": [{"iccid": c.iccid, "registration_code": c.registration_code} for c in added]}


def routes() -> list[Route]:
    """The control routes, to be mounted at /_mock."""
    return [
        Route("/", _guarded(info), methods=["GET"]),
        Route("/usage", _guarded(usage), methods=["POST"]),
        Route("/clock", _guarded(clock), methods=["GET", "POST"]),
        Route("/reset", _guarded(reset), methods=["POST"]),
        Route("/flush", _guarded(flush), methods=["POST"]),
        Route("/requests", _guarded(requests_log), methods=["GET", "DELETE"]),
        Route("/violations", _guarded(violations), methods=["GET"]),
        Route("/callbacks", _guarded(callbacks), methods=["GET"]),
        Route("/seed", _guarded(seed), methods=["POST"]),
        Route("/registrable", _guarded(registrable), methods=["POST"]),
    ]
