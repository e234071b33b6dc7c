"""Twilio-style errors: one exception type and the table of codes the mock answers with.

Every 4xx/5xx the mock sends has Twilio's error body
``{"code", "message", "more_info", "status"}``; raising :class:`ApiError` anywhere below
the HTTP layer is the only way to produce one, so no module has to know how the body
looks and no answer can drift from the contract's ``error`` schema.
"""

from __future__ import annotations

from typing import Any

#: Every error code the mock uses, with its HTTP status and meaning (also in docs/mock.md).
ERROR_CODES: dict[int, tuple[int, str]] = {
    20001: (400, "invalid, malformed or missing parameter, or a change the Sim's state does not allow"),
    20003: (401, "missing or wrong credentials (HTTP Basic: Account SID and Auth Token)"),
    20403: (403, "forbidden (only ever sent by the planted fault forbidden-not-404)"),
    20404: (404, "no such resource in the requesting account (Sim, Fleet, ICCID) or unknown path"),
    20405: (405, "method not allowed on this path"),
    20409: (409, "conflict: ICCID already registered, unique name taken, Sim currently scheduled"),
    20413: (413, "request body larger than the mock accepts (64 KiB)"),
    20429: (429, "too many requests (reserved; the mock never rate-limits)"),
    20500: (500, "internal error (last resort; a test proves no request produces it)"),
}


def more_info(code: int) -> str:
    """The documentation link Twilio puts in every error body."""
    return f"https://www.twilio.com/docs/errors/{code}"


class ApiError(Exception):
    """A request the mock refuses; carries everything needed for Twilio's error body."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        rule: str | None = None,
        parameter: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.rule = rule
        """When set, the request itself broke the contract: the request log records a violation."""
        self.parameter = parameter

    def body(self) -> dict[str, Any]:
        """Twilio's error body for this error."""
        return {"code": self.code, "message": self.message, "more_info": more_info(self.code), "status": self.status}


def bad_request(message: str, *, rule: str | None = None, parameter: str | None = None) -> ApiError:
    """400 / 20001: the message must name the offending parameter."""
    return ApiError(400, 20001, message, rule=rule, parameter=parameter)


def not_found(message: str = "The requested resource was not found") -> ApiError:
    """404 / 20404."""
    return ApiError(404, 20404, message)


def conflict(message: str) -> ApiError:
    """409 / 20409."""
    return ApiError(409, 20409, message)


def unauthorized(message: str = "Authenticate: your Account SID or Auth Token was incorrect") -> ApiError:
    """401 / 20003, with the challenge header a browser or curl expects."""
    return ApiError(401, 20003, message, headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})
