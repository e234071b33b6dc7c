"""Planted faults in how an answer is written: patterns, enums, nulls, URLs and the content type.

Each is a mistake of the last step of an implementation, after the state is right: a SID cut
by one digit, an enum value capitalised, an empty string for null, a URL built from the unique
name. They act here, on the encoded answer, so the renderer (``render``) stays the one faithful
writer, and they cost nothing unless planted (:func:`planted` is one set intersection). The
operations call :func:`sim` and :func:`page` on what ``render`` wrote, :func:`created` on a
registration's answer and :func:`content_type` on the response.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

#: The faults of this module (what :func:`planted` looks for).
HERE = frozenset(
    {
        "sid-one-digit-short",
        "account-sid-lowercase-prefix",
        "account-sid-one-digit-long",
        "status-scheduled-as-pending",
        "subaccount-sims-show-parent-account",
        "status-capitalized",
        "fleet-sid-empty-string",
        "fleet-sid-lowercase-prefix",
        "sim-url-by-unique-name",
        "links-without-sim-sid",
        "create-answers-empty-body",
        "content-type-text-html",
    }
)


def planted(faults: frozenset[str]) -> bool:
    """Whether any fault of this module is planted (the operations' fast path skips it otherwise)."""
    return not HERE.isdisjoint(faults)


def _sim(document: dict[str, Any], faults: frozenset[str], primary: str) -> dict[str, Any]:
    sid = document.get("sid")
    if not isinstance(sid, str):
        return document
    sim = dict(document)
    if "sid-one-digit-short" in faults:
        sim["sid"] = sid[:-1]
    if "account-sid-lowercase-prefix" in faults and isinstance(sim.get("account_sid"), str):
        sim["account_sid"] = "ac" + sim["account_sid"][2:]
    if "account-sid-one-digit-long" in faults and isinstance(sim.get("account_sid"), str):
        sim["account_sid"] = sim["account_sid"] + "0"
    if "subaccount-sims-show-parent-account" in faults:
        sim["account_sid"] = primary
    if "status-capitalized" in faults and isinstance(sim.get("status"), str):
        sim["status"] = sim["status"].capitalize()
    if "status-scheduled-as-pending" in faults and sim.get("status") == "scheduled":
        sim["status"] = "pending"
    if "fleet-sid-empty-string" in faults and sim.get("fleet_sid") is None:
        sim["fleet_sid"] = ""
    if "fleet-sid-lowercase-prefix" in faults and isinstance(sim.get("fleet_sid"), str):
        sim["fleet_sid"] = "hf" + sim["fleet_sid"][2:]
    if "sim-url-by-unique-name" in faults and sim.get("unique_name") and isinstance(sim.get("url"), str):
        sim["url"] = sim["url"].rsplit("/", 1)[0] + "/" + sim["unique_name"]
    if "links-without-sim-sid" in faults and isinstance(sim.get("links"), dict):
        sim["links"] = {name: str(link).replace(f"/{sid}/", "/") for name, link in sim["links"].items()}
    return sim


def sim(body: bytes, faults: frozenset[str], primary: str) -> bytes:
    """A Sim's encoded answer with this module's planted faults applied."""
    document = json.loads(body)
    return json.dumps(_sim(document, faults, primary)).encode()


def page(body: bytes, faults: frozenset[str], primary: str) -> bytes:
    """A list page's encoded answer with this module's planted faults applied to each Sim."""
    document = json.loads(body)
    document["sims"] = [_sim(item, faults, primary) for item in document.get("sims", [])]
    return json.dumps(document).encode()


def created(body: bytes, faults: frozenset[str]) -> bytes:
    """A registration's answer: an empty object for the planted fault, else as written."""
    return b"{}" if "create-answers-empty-body" in faults else body


def content_type(response: Response, faults: frozenset[str]) -> Response:
    """The response, with ``Content-Type: text/html`` for the planted fault."""
    if "content-type-text-html" in faults:
        response.raw_headers = [
            (name, b"text/html; charset=utf-8" if name == b"content-type" else value)
            for name, value in response.raw_headers
        ]
    return response
