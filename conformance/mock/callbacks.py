"""Callbacks after asynchronous updates: the parameters, Twilio's signature, background delivery.

Twilio signs every webhook with ``X-Twilio-Signature``: HMAC-SHA1 keyed by the account's
Auth Token over the full URL followed (for a form POST) by each parameter name and value
sorted by name, base64-encoded. twilio-python's ``RequestValidator`` checks exactly this,
so the mock signs the same way and a receiver can verify it with the real library.

Delivery happens on a small thread pool with a short timeout: a receiver that refuses
connections or never answers costs the mock nothing, and the update itself is already
applied before delivery starts. Every attempt is recorded (``GET /_mock/callbacks``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import httpx

from conformance.mock.model import Completion

log = logging.getLogger("conformance.mock.callbacks")

#: Seconds a receiver gets to accept the connection and answer.
CALLBACK_TIMEOUT = 2.0


@dataclass(frozen=True)
class SignedCompletion(Completion):
    """A completion whose callback is signed for ``signer`` (planted: another account's Auth Token)."""

    signer: str = ""


def callback_params(completion: Completion, faults: frozenset[str] = frozenset()) -> dict[str, str]:
    """The documented parameters: SimSid, SimUniqueName (only if set), SimStatus, AccountSid.

    Under the ``extra-callback-params`` variation also :func:`extra_callback_params` (signed
    like the others: the signature is computed over whatever this returns).
    """
    sim = completion.sim
    params = {"Sid" if "callback-sim-sid-as-sid" in faults else "SimSid": sim.sid}
    if sim.unique_name and "callback-without-unique-name" not in faults:
        name = sim.unique_name
        if "callback-unique-name-double-encoded" in faults:
            name = quote(name, safe="")
        params["SimUniqueName"] = name
    elif not sim.unique_name and "callback-unique-name-none" in faults:
        params["SimUniqueName"] = str(sim.unique_name)
    params["SimStatus"] = "scheduled" if "callback-status-scheduled" in faults else sim.status
    if "callback-without-account-sid" not in faults:
        params["AccountSid"] = sim.account_sid
    if "extra-callback-params" in faults:  # a benign variation
        params.update(extra_callback_params(completion))
    return params


def extra_callback_params(completion: Completion) -> dict[str, str]:
    """Parameters a callback could carry beyond the documented ones (Twilio adds webhook parameters over time).

    ``ApiVersion`` as other Twilio webhooks send it, a SID-shaped ``EventSid`` (fresh per
    callback), the Sim's ``SimIccid`` and, when it has one, its ``FleetSid``; their names sort
    among the documented ones, so a signature over only those would not validate.
    """
    sim = completion.sim
    params = {"ApiVersion": "v1", "EventSid": "EV" + uuid.uuid4().hex, "SimIccid": sim.iccid}
    if sim.fleet_sid:
        params["FleetSid"] = sim.fleet_sid
    return params


def signature(auth_token: str, url: str, params: dict[str, str] | None = None) -> str:
    """Twilio's webhook signature of ``url`` (+ sorted POST params), as RequestValidator computes it."""
    payload = url + "".join(name + value for name, value in sorted((params or {}).items()))
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def with_query(url: str, params: dict[str, str], encoding: str = "utf-8") -> str:
    """``url`` with ``params`` appended to its query string."""
    parts = urlsplit(url)
    query = "&".join(part for part in (parts.query, urlencode(params, encoding=encoding)) if part)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def build_request(completion: Completion, auth_token: str, faults: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Method, URL, headers and body of one callback (pure: no I/O)."""
    params = callback_params(completion, faults)
    key = auth_token if "callback-bad-signature" not in faults else auth_token + "-wrong"
    headers = {"User-Agent": "TwilioProxy/1.1 (supersim-conformance mock)"}
    given = completion.callback_url
    if "callback-to-url-without-query" in faults:
        given = urlunsplit(urlsplit(given)._replace(query=""))
    encoding = "latin-1" if "callback-latin1-params" in faults else "utf-8"
    method = completion.callback_method
    if method == "POST" and "callback-default-get" in faults:
        method = "GET"
    if method == "GET":
        if "callback-get-as-form" in faults:
            url, body = given, urlencode(params, encoding=encoding).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-Twilio-Signature"] = signature(key, url, params)
        else:
            url, body = with_query(given, params, encoding), b""
            if "callback-get-with-body" in faults:
                body = urlencode(params, encoding=encoding).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            signed = given if "callback-signature-without-query" in faults else url
            headers["X-Twilio-Signature"] = signature(key, signed)
        return {"method": "GET", "url": url, "headers": headers, "content": body}
    url = given
    if "callback-post-with-query" in faults:
        url = with_query(given, params, encoding)
    if "callback-as-json" in faults:
        body = json.dumps(params).encode()
        headers["Content-Type"] = "application/json"
    else:
        body = urlencode(params, encoding=encoding).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["X-Twilio-Signature"] = signature(key, url, params)
    return {"method": "POST", "url": url, "headers": headers, "content": body}


class Dispatcher:
    """Sends callbacks in the background and remembers what happened to each."""

    def __init__(self, token_for: Callable[[str], str], faults: frozenset[str] = frozenset(), *, workers: int = 4):
        self._token_for = token_for
        self._faults = faults
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mock-callback")
        self._lock = threading.Lock()
        self._closed = False
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=1000)
        # One connection pool for every delivery (httpx transports are thread-safe): a client of
        # its own per callback built an SSL context each time, ~5 ms of CPU per asynchronous
        # update. Each delivery still gets a fresh client (no cookies carried between callbacks).
        self._transport = httpx.HTTPTransport()

    def dispatch(self, completion: Completion) -> None:
        """Queue the callback(s) for one completed update; never blocks the caller."""
        if "no-callback" in self._faults:
            return
        signer = getattr(completion, "signer", "") or completion.sim.account_sid
        request = build_request(completion, self._token_for(signer), self._faults)
        times = 2 if "callback-twice" in self._faults else 1
        with self._lock:
            if self._closed:
                return
            for _ in range(times):
                self._pool.submit(self._send, request, completion.sim.sid)

    def _send(self, request: dict[str, Any], sim_sid: str) -> None:
        record: dict[str, Any] = {
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sim_sid": sim_sid,
            "method": request["method"],
            "url": request["url"],
            "status": None,
            "error": None,
        }
        try:
            # Not closed: closing a client closes its transport, the pool the others share.
            client = httpx.Client(
                transport=self._transport, timeout=CALLBACK_TIMEOUT, follow_redirects=False, trust_env=False
            )
            response = client.request(
                request["method"], request["url"], headers=request["headers"], content=request["content"]
            )
            record["status"] = response.status_code
        except Exception as exc:  # a receiver's failure must never reach the mock
            record["error"] = f"{type(exc).__name__}: {exc}"[:300]
            log.info("callback to %s failed: %s", request["url"], record["error"])
        with self._lock:
            self.deliveries.append(record)

    def snapshot(self) -> list[dict[str, Any]]:
        """Every delivery attempt so far, oldest first."""
        with self._lock:
            return list(self.deliveries)

    def clear(self) -> None:
        with self._lock:
            self.deliveries.clear()

    def close(self) -> None:
        """Stop accepting callbacks; pending ones are dropped, running ones finish on their own."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        threading.Thread(target=self._close_client_when_idle, name="mock-callback-close", daemon=True).start()

    def _close_client_when_idle(self) -> None:
        """Close the shared pool once the deliveries already running have finished with it."""
        self._pool.shutdown(wait=True)
        self._transport.close()
