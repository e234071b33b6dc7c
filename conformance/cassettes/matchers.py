"""vcrpy matchers that explain a mismatch: method, path, query pairs, form body, credentials label."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from vcr.request import Request

from conformance.cassettes.filters import _header, body_bytes
from conformance.cassettes.layout import CREDENTIALS_HEADER, FORM, MATCH_ON

# --- matchers ------------------------------------------------------------------------------------


def _form_pairs(request: Request) -> Any:
    data = body_bytes(request.body)
    if not data:
        return []
    content_type = (_header(request, "Content-Type") or "").lower()
    if FORM in content_type:
        try:
            return sorted(parse_qsl(data.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            pass
    return ("raw", content_type, data)


def form_body(r1: Request, r2: Request) -> None:
    """Form bodies as sorted (name, value) pairs, so field order does not matter."""
    a, b = _form_pairs(r1), _form_pairs(r2)
    if a != b:
        raise AssertionError(f"{_show(a)} != {_show(b)}")


def query_pairs(r1: Request, r2: Request) -> None:
    """Query strings as sorted (name, value) pairs; blank values count (``Fleet=``)."""
    a = sorted(parse_qsl(r1.parsed_uri.query, keep_blank_values=True))
    b = sorted(parse_qsl(r2.parsed_uri.query, keep_blank_values=True))
    if a != b:
        raise AssertionError(f"{a} != {b}")


def credentials(r1: Request, r2: Request) -> None:
    """Who asked (see :data:`CREDENTIALS_HEADER`)."""
    a, b = _header(r1, CREDENTIALS_HEADER), _header(r2, CREDENTIALS_HEADER)
    if a != b:
        raise AssertionError(f"{a!r} != {b!r}")


def method(r1: Request, r2: Request) -> None:
    if r1.method.upper() != r2.method.upper():
        raise AssertionError(f"{r1.method} != {r2.method}")


def path(r1: Request, r2: Request) -> None:
    if r1.path != r2.path:
        raise AssertionError(f"{r1.path} != {r2.path}")


def _show(pairs: Any) -> str:
    if isinstance(pairs, tuple):
        return f"{len(pairs[2])}-byte {pairs[1] or 'untyped'} body"
    return repr(pairs)


MATCHERS: dict[str, Callable[[Request, Request], None]] = {
    "method": method,
    "path": path,
    "query_pairs": query_pairs,
    "form_body": form_body,
    "credentials": credentials,
}


def matchers() -> list[Callable[[Request, Request], None]]:
    """The matcher functions of :data:`MATCH_ON`, for ``Cassette(match_on=...)``."""
    return [MATCHERS[name] for name in MATCH_ON]


def failed_matchers(r1: Request, r2: Request) -> list[tuple[str, str]]:
    """``(matcher, difference)`` for each of our matchers the two requests fail."""
    failed = []
    for name in MATCH_ON:
        try:
            MATCHERS[name](r1, r2)
        except AssertionError as error:
            failed.append((name, str(error)))
    return failed
