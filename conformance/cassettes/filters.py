"""vcrpy filters: credentials replaced by a label, every URL moved onto the canonical origin, bodies decoded."""

from __future__ import annotations

import base64
import binascii
import copy
import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from vcr.request import Request

from conformance.cassettes.layout import CANONICAL_BASE, CREDENTIALS_HEADER
from conformance.profile import Profile, ProfileError

# --- credentials --------------------------------------------------------------------------------


def credentials_label(authorization: str | None, profile: Profile | None) -> str:
    """Who sent a request, without the secret: the account SID when the token is the profile's."""
    if authorization is None:
        return "none"
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return "not HTTP Basic"
    try:
        user, sep, token = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "not HTTP Basic"
    if not sep or not user:
        return "not HTTP Basic"
    if profile is None:
        return user
    try:
        known = profile.token_for(user)
    except ProfileError:
        return f"{user} (not an account of the profile)"
    return user if hmac.compare_digest(known.encode(), token.encode()) else f"{user} with another token"


def _header(request: Request, name: str) -> str | None:
    for key, value in request.headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _without(headers: Any, *names: str) -> dict[str, str]:
    lowered = {n.lower() for n in names}
    return {k: v for k, v in headers.items() if k.lower() not in lowered}


def label_credentials(request: Request, profile: Profile | None) -> Request:
    """Replace ``Authorization`` by :data:`CREDENTIALS_HEADER` (a stored label is kept)."""
    authorization = _header(request, "Authorization")
    stored = _header(request, CREDENTIALS_HEADER)
    headers = _without(request.headers, "Authorization", CREDENTIALS_HEADER, "Host")  # Host: the URI says it
    if authorization is not None or stored is None:
        stored = credentials_label(authorization, profile)
    headers[CREDENTIALS_HEADER] = stored
    request.headers = headers
    return request


# --- host normalisation --------------------------------------------------------------------------


def _origin_and_prefix(base_url: str) -> str:
    parts = urlsplit(base_url.rstrip("/"))
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def request_filter(base_url: str, profile: Profile | None) -> Callable[[Request], Request | None]:
    """``before_record_request``: host onto CANONICAL_BASE, Authorization replaced by its label.

    Requests that are not under ``base_url`` (a callback receiver, another service) return
    None: vcrpy then neither records nor matches them.
    """
    base = _origin_and_prefix(base_url)

    def before_record_request(request: Request) -> Request | None:
        uri = request.uri
        if base != CANONICAL_BASE:
            if not (uri == base or uri.startswith(base + "/") or uri.startswith(base + "?")):
                if not uri.startswith(CANONICAL_BASE):
                    return None
            else:
                uri = CANONICAL_BASE + uri[len(base) :]
        elif not uri.startswith(CANONICAL_BASE):
            return None
        request = copy.deepcopy(request)
        request.uri = uri
        return label_credentials(request, profile)

    return before_record_request


def body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        return body.read()
    if isinstance(body, (list, tuple)):
        return b"".join(body)
    return bytes(body)


def _set_body(response: dict[str, Any], data: bytes) -> None:
    response["body"] = {"string": data}
    headers = response.get("headers") or {}
    for key in list(headers):
        if key.lower() == "content-length":
            headers[key] = [str(len(data))]


def _decode(response: dict[str, Any]) -> None:
    """Store bodies decoded: a gzip/deflate/br body cannot be normalised or redacted."""
    headers = response.get("headers") or {}
    encodings = [k for k in headers if k.lower() == "content-encoding"]
    if not encodings:
        return
    value = ", ".join(headers[encodings[0]]) if isinstance(headers[encodings[0]], list) else headers[encodings[0]]
    raw = body_bytes(response.get("body", {}).get("string"))
    if value.strip().lower() not in ("", "identity"):
        raw = httpx.Response(200, headers={"content-encoding": value}, content=raw).read()
    for key in encodings:
        del headers[key]
    _set_body(response, raw)


def response_filter(base_url: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``before_record_response``: decoded body, every ``base_url`` in it on CANONICAL_BASE."""
    base = _origin_and_prefix(base_url).encode()
    canonical = CANONICAL_BASE.encode()

    def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
        response = copy.deepcopy(response)  # never the dict the client is about to read
        _decode(response)
        data = body_bytes(response.get("body", {}).get("string"))
        if base != canonical and base in data:
            _set_body(response, data.replace(base, canonical))
        return response

    return before_record_response
