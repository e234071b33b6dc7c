"""HTTP Basic credentials (Account SID : Auth Token), both ways, in one place.

The client writes them, the mock reads them, and the generated phase reads the user name
back out of a request to name the account in reports (never the token).
"""

from __future__ import annotations

import base64
import binascii


def encode(user: str, password: str) -> str:
    """The ``Authorization`` header value for HTTP Basic."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def decode(authorization: str | None) -> tuple[str, str] | None:
    """``(user, password)`` of an HTTP Basic ``Authorization`` value, or None if it is not one."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, _, password = decoded.partition(":")
    return user, password
