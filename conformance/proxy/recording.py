"""``--record DIR``: the proxied traffic as a redacted vcrpy cassette, and its offline re-judging.

What reaches the file is what ``supersim-conformance record`` writes (``conformance.cassettes``):
every URL on https://supersim.twilio.com, ``Authorization`` replaced by a credentials label (the
account SID), bodies decoded, and, unless ``--keep-pii``, every SID and ICCID the traffic showed
replaced by a same-shaped placeholder (an HMAC under a key that never leaves memory). The file
is then scanned for every token the session saw and for any ``Authorization``/``Basic`` header;
a file with one is deleted and the session says so.

The directory holds ``traffic.yaml`` (one interaction per exchange, in the order they happened)
and ``recording.json`` (``"kind": "proxy-traffic"``). ``run --target cassette:DIR`` on it re-judges
the recorded exchanges with the kit's current checks (:func:`judge_recording`): the same
verdicts as the live session for the answers' rules and the client's, without the upstream.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from vcr.request import Request as VcrRequest
from vcr.serialize import serialize
from vcr.serializers import yamlserializer

from conformance import __version__
from conformance.cassettes import (
    CANONICAL_BASE,
    CREDENTIALS_HEADER,
    Redactor,
    body_bytes,
    request_filter,
    response_filter,
    scan_for_secrets,
)
from conformance.contract.exchange import MAX_BODY_BYTES, Exchange
from conformance.profile import Account, Profile

TRAFFIC_FILE = "traffic.yaml"
RECORDING_FILE = "recording.json"
KIND = "proxy-traffic"
#: Interactions and answer bytes kept at most (later ones are counted, not recorded): memory stays bounded.
MAX_INTERACTIONS = 20000
MAX_RECORDED_BYTES = 100_000_000
#: The request headers a recording keeps (an application's Cookie, tokens of other services… are not the
#: contract's and never reach the file; Authorization becomes the credentials label).
KEPT_REQUEST_HEADERS = {"authorization", "content-type", "accept", "user-agent", "x-twilio-client"}
DROPPED_RESPONSE_HEADERS = {"set-cookie"}


class RecordingError(Exception):
    """A recording that could not be written safely (it was deleted)."""


class Recorder:
    """The interactions of one session, written at its end."""

    def __init__(self, directory: Path, upstream: str, *, keep_pii: bool = False) -> None:
        self.directory = directory
        self.upstream = upstream.rstrip("/")
        self.keep_pii = keep_pii
        self._requests: list[VcrRequest] = []
        self._responses: list[dict[str, Any]] = []
        self._accounts: dict[str, None] = {}
        self.skipped = 0
        self._bytes = 0
        self._lock = threading.Lock()
        self._to_canonical = request_filter(self.upstream, None)
        self._answer_filter = response_filter(self.upstream)

    def add(self, exchange: Exchange, body: bytes, request_headers: dict[str, str]) -> None:
        """One exchange: the request as the client sent it (``body``), the answer as the upstream gave it."""
        if exchange.error:
            return
        kept = {k: v for k, v in request_headers.items() if k.lower() in KEPT_REQUEST_HEADERS}
        request = VcrRequest(exchange.method, exchange.url, body or None, kept)
        canonical = self._to_canonical(request)
        if canonical is None:
            return
        headers = {
            name: [value] for name, value in exchange.response_headers.items() if name not in DROPPED_RESPONSE_HEADERS
        }
        response = {
            "status": {"code": exchange.status, "message": ""},
            "headers": headers,
            "body": {"string": exchange.text.encode("utf-8")},
        }
        with self._lock:
            if len(self._requests) >= MAX_INTERACTIONS or self._bytes > MAX_RECORDED_BYTES:
                self.skipped += 1
                return
            self._bytes += len(exchange.text) + len(body)
            if exchange.account_sid:
                self._accounts.setdefault(exchange.account_sid, None)
            self._requests.append(canonical)
            self._responses.append(self._answer_filter(response))

    def write(self, tokens: set[str]) -> Path:
        """Write ``traffic.yaml`` and ``recording.json``; raise RecordingError if a secret got in."""
        with self._lock:
            requests, responses = list(self._requests), list(self._responses)
            accounts = list(self._accounts)
        if not self.keep_pii:
            profile = Profile(accounts=tuple(Account(sid=sid, role="recorded") for sid in accounts))
            redactor = Redactor(profile)
            redactor.learn(responses)
            pairs = [
                redactor.interaction(request, response) for request, response in zip(requests, responses, strict=True)
            ]
            requests, responses = [p[0] for p in pairs], [p[1] for p in pairs]
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / TRAFFIC_FILE
        path.write_text(serialize({"requests": requests, "responses": responses}, yamlserializer), encoding="utf-8")
        meta = {
            "kind": KIND,
            "tool": "supersim-conformance",
            "version": __version__,
            "upstream": CANONICAL_BASE,
            "interactions": len(requests),
            "not_recorded": self.skipped,
            "pii": "kept" if self.keep_pii else "redacted",
        }
        (self.directory / RECORDING_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        problems = scan_for_secrets([path, self.directory / RECORDING_FILE], tokens)
        if problems:
            path.unlink(missing_ok=True)
            raise RecordingError(f"the recording was deleted: {'; '.join(problems)}")
        return path


# --- replay: the recorded traffic judged again ---------------------------------------------------


def is_proxy_recording(directory: Path) -> bool:
    """True when ``directory`` holds a proxy's recording (its recording.json says so)."""
    meta = directory / RECORDING_FILE
    if not meta.is_file() or not (directory / TRAFFIC_FILE).is_file():
        return False
    try:
        return json.loads(meta.read_text(encoding="utf-8")).get("kind") == KIND
    except (ValueError, OSError, AttributeError):
        return False


def exchanges_of(directory: Path) -> list[tuple[Exchange, bytes, str | None]]:
    """The recorded exchanges, each with its request body and Content-Type, in recorded order."""
    with (directory / TRAFFIC_FILE).open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    interactions = data.get("interactions") if isinstance(data, dict) else None
    if not isinstance(interactions, list):
        raise ValueError(f"{directory / TRAFFIC_FILE}: not a vcrpy cassette (no interactions list)")
    out = []
    for item in interactions:
        request, response = item.get("request") or {}, item.get("response") or {}
        headers = {str(k).lower(): _first(v) for k, v in (request.get("headers") or {}).items()}
        body = body_bytes(request.get("body"))
        label = headers.get(CREDENTIALS_HEADER.lower(), "")
        account = label.split()[0] if label.startswith("AC") else None
        text = body_bytes((response.get("body") or {}).get("string"))
        answer_headers = {str(k).lower(): _first(v) for k, v in (response.get("headers") or {}).items()}
        form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True) if body else []
        exchange = Exchange(
            method=str(request.get("method", "GET")).upper(),
            url=str(request.get("uri", "")),
            account_sid=account,
            form=form,
            status=int((response.get("status") or {}).get("code", 0)),
            response_headers=answer_headers,
            text=text[:MAX_BODY_BYTES].decode("utf-8", "replace"),
            oversize=len(text) > MAX_BODY_BYTES,
        )
        out.append((exchange, body, headers.get("content-type")))
    return out


def _first(value: Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value)


def query_bytes(url: str) -> bytes:
    return urlsplit(url).query.encode("utf-8")
