"""The secret scan every written cassette passes: no token, no Basic credentials, no Authorization header."""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterable
from pathlib import Path

from conformance.cassettes.layout import PLACEHOLDER_TOKEN

# --- secrets ------------------------------------------------------------------------------------

_AUTH_HEADER = re.compile(r"(?im)^\s*-?\s*['\"]?authorization['\"]?\s*:")
_BASIC = re.compile(r"Basic [A-Za-z0-9+/=]{8,}")


def scan_for_secrets(paths: Iterable[str | os.PathLike[str]], tokens: Iterable[str]) -> list[str]:
    """One line per problem found in these files: a token, an Authorization header, Basic credentials."""
    tokens = [t for t in tokens if t and t != PLACEHOLDER_TOKEN]
    problems = []
    for file in paths:
        text = Path(file).read_text(encoding="utf-8", errors="replace")
        for token in tokens:
            if token in text:
                problems.append(f"{file}: contains an Auth Token ({token[:4]}…)")
        if _AUTH_HEADER.search(text):
            problems.append(f"{file}: contains an Authorization header")
        if _BASIC.search(text):
            problems.append(f"{file}: contains HTTP Basic credentials")
        for encoded in re.findall(r"[A-Za-z0-9+/]{40,}={0,2}", text):
            try:
                decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8", "ignore")
            except (binascii.Error, ValueError):
                continue
            if any(token in decoded for token in tokens):
                problems.append(f"{file}: contains a base64-encoded Auth Token")
    return problems
