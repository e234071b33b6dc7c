"""Comparing two recordings: interactions with volatile values (timestamps, SIDs, request IDs) normalised."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from typing import Any

import yaml

from conformance.cassettes.filters import body_bytes
from conformance.cassettes.layout import CREDENTIALS_HEADER, VOLATILE_HEADERS

# --- comparing two recordings -------------------------------------------------------------------

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")
_ANY_SID = re.compile(r"\b(HS|HF|AC)[0-9a-fA-F]{32}\b")


def load_interactions(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The interactions of a vcrpy YAML cassette, as plain data."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return list(data.get("interactions") or [])


def normalised(interactions: list[dict[str, Any]], known_sids: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Interactions with what changes on every recording taken out, for comparing recordings.

    Timestamps become ``<time>``; SIDs not in ``known_sids`` (the profile's) become ``<HS-1>``,
    ``<HS-2>``… in order of first appearance; volatile headers (Date, request IDs) are dropped.
    """
    known = set(known_sids)
    fresh: dict[str, str] = {}

    def sid(match: re.Match[str]) -> str:
        value = match.group(0)
        if value in known:
            return value
        if value not in fresh:
            fresh[value] = f"<{match.group(1)}-{sum(1 for k in fresh if k[:2] == value[:2]) + 1}>"
        return fresh[value]

    def clean(text: str) -> str:
        return _ANY_SID.sub(sid, _TIMESTAMP.sub("<time>", text))

    def body(value: Any) -> Any:
        text = body_bytes(value.get("string") if isinstance(value, dict) else value).decode("utf-8", "replace")
        text = clean(text)
        try:
            return json.loads(text)
        except ValueError:
            return text

    result = []
    for interaction in interactions:
        request, response = interaction["request"], interaction["response"]
        headers = {
            k.lower(): [clean(str(v)) for v in (vs if isinstance(vs, list) else [vs])]
            for k, vs in (response.get("headers") or {}).items()
        }
        for name in VOLATILE_HEADERS:
            headers.pop(name, None)
        result.append(
            {
                "method": request["method"],
                "uri": clean(request["uri"]),
                "credentials": clean(str((request.get("headers") or {}).get(CREDENTIALS_HEADER, [""])[0])),
                "body": body(request.get("body")),
                "status": response["status"]["code"],
                "headers": headers,
                "response": body(response.get("body")),
            }
        )
    return result
