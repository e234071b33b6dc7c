"""What the mock answers with: encoded JSON, Twilio's error body, the last-resort 500.

Shared by the Twilio surface (``operations``, ``front``, ``app``) and the control endpoints
(``control``), which is why it lives below all of them: neither side imports the other.
"""

from __future__ import annotations

import random
from typing import Any

from starlette.responses import Response

from conformance.mock import render
from conformance.mock.errors import ApiError, more_info

_REQUEST_IDS = random.Random()  # seeded from os.urandom once


def request_id() -> str:
    """A fresh ``Twilio-Request-Id``: "RQ" and 32 hex digits.

    From a PRNG seeded once from the OS, not from ``secrets``: the id has to be unique in
    practice, not unguessable, and an ``os.urandom`` call per request was measurable.
    """
    return f"RQ{_REQUEST_IDS.getrandbits(128):032x}"


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


#: Planted faults: the neighbouring Super SIM codes that refusals carry instead of their own.
_SWAPPED_REGISTRATION_CODES = {83001: 83002, 83002: 83001, 83003: 83002}
_SHIFTED_UPDATE_CODES = {83006: 83007, 83007: 83008, 83008: 83007, 83010: 83011, 83011: 83010}


def error_response(error: ApiError, faults: frozenset[str] = frozenset()) -> Response:
    """Twilio's error body (or, for a planted fault, a wrong one)."""
    if faults:
        return _planted_error_response(error, faults)
    return json_response(error.status, error.body(), error.headers)


def _planted_error_response(error: ApiError, faults: frozenset[str]) -> Response:
    if error.status == 404 and "error-body-not-twilio" in faults:
        return json_response(404, {"error": "not found"}, error.headers)
    if "errors-as-text" in faults and 400 <= error.status < 500:
        text = Response("Not Found" if error.status == 404 else "Bad Request", error.status, error.headers)
        text.headers["content-type"] = "text/plain; charset=utf-8"
        return text
    status = 400 if error.status == 404 and "unknown-sid-answers-400" in faults else error.status
    body = error.body()
    if status != error.status:
        body.update(status=400, code=20001, more_info=more_info(20001))
    if "generic-error-codes" in faults and 83000 <= error.code < 84000:
        body["code"] = {404: 20404, 409: 20409}.get(error.status, 20001)
        body["more_info"] = more_info(body["code"])
    for fault, codes in (
        ("registration-error-codes-swapped", _SWAPPED_REGISTRATION_CODES),
        ("update-error-codes-shifted", _SHIFTED_UPDATE_CODES),
    ):
        if fault in faults and error.code in codes:
            body["code"] = codes[error.code]
            body["more_info"] = more_info(body["code"])
    if "error-status-field-mismatch" in faults:
        body["status"] = 400 if status != 400 else 404
    return json_response(status, body, error.headers)


def last_resort_response() -> Response:
    """Twilio's 500 body: what a bug in the mock answers instead of a traceback page."""
    return json_response(500, ApiError(500, 20500, "Internal error in the supersim-conformance mock").body())
