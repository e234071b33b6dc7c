"""How the suite reaches a target: any base URL plus a target profile.

The client here is deliberately defensive, because the target may be broken or hostile:
every request has a timeout, bodies are read up to a cap, credentials are only ever sent to
the target's own origin (an absolute URL on another host is refused before anything is sent),
429 answers are retried a bounded number of times honouring Retry-After, and an optional
minimum interval keeps the request rate polite for live accounts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

from conformance import LIVE_HOST
from conformance.checks import (
    Violation,
    fail,
    report_response_violations,
    run_response_checks,
)
from conformance.checks.scenarios import SAFE_FOREIGN_HOST
from conformance.contract import basic_auth
from conformance.contract.exchange import KEPT_BODY_CHARS, MAX_BODY_BYTES, Exchange


class TargetUnreachable(Exception):
    """Nothing answered at the target's base URL (exit code 3)."""


class CredentialsRejected(Exception):
    """The target answered 401 to the profile's primary credentials (exit code 3)."""


@dataclass
class Target:
    """A server under test: where it is, what data it holds, and how politely to talk to it."""

    base_url: str
    profile: Any
    """A ``conformance.profile.Profile``: the accounts, fleets, registrable SIMs and SIMs it holds."""
    timeout: float = 10.0
    max_body_bytes: int = MAX_BODY_BYTES
    min_interval: float = 0.0
    """Seconds between two requests (0: no limit); set for live accounts."""
    max_retries_429: int = 3
    max_retry_after: float = 10.0
    pace_file: str | None = None
    """A file every process of the run shares (pytest-xdist workers): ``min_interval`` is then
    kept between any two requests of the whole run, not of each worker (``--rate`` is the total)."""
    _http: httpx.Client | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _last_request: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")

    @property
    def is_live(self) -> bool:
        return urlsplit(self.base_url).hostname == LIVE_HOST

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=self.timeout, follow_redirects=False)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def fleet_sid_for(self, name: str) -> str | None:
        """The SID of the fleet with this unique name in the profile, if any."""
        for fleet in self.profile.fleets:
            if fleet.unique_name == name or fleet.sid == name:
                return fleet.sid
        return None

    def same_origin(self, url: str) -> bool:
        a, b = urlsplit(url), urlsplit(self.base_url)
        return (a.scheme.lower(), a.netloc.lower()) == (b.scheme.lower(), b.netloc.lower())

    def client(self, account_sid: str | None, token: str | None) -> TargetClient:
        return TargetClient(self, account_sid, token)

    def _pace(self) -> None:
        if self.min_interval <= 0:
            return
        with self._lock:
            if self.pace_file is not None and _pace_shared(self.pace_file, self.min_interval):
                return
            wait = self._last_request + self.min_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_request = time.monotonic()


def _pace_shared(path: str, interval: float) -> bool:
    """Wait until ``interval`` has passed since the last request of any process sharing ``path``.

    The file holds the wall-clock time of the last request; an exclusive lock on it makes the
    processes take turns (the one waiting holds the lock, so the others queue behind it). False
    when the file cannot be used (the caller then paces this process alone).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        return False
    try:
        with open(path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            try:
                last = float(handle.read().decode() or 0.0)
            except ValueError:
                last = 0.0
            wait = last + interval - time.time()
            if wait > 0:
                time.sleep(min(wait, interval))
            handle.seek(0)
            handle.truncate()
            handle.write(repr(time.time()).encode())
            handle.flush()
    except OSError:
        return False
    return True


@dataclass
class TargetClient:
    """Requests as one account (or as nobody: ``account_sid=None``)."""

    target: Target
    account_sid: str | None
    token: str | None = field(repr=False)

    def get(self, url: str, params: dict[str, Any] | None = None, **kw: Any) -> Exchange:
        return self.request("GET", url, params=params, **kw)

    def post(self, url: str, form: Iterable[tuple[str, str]] | dict[str, str] | None = None, **kw: Any) -> Exchange:
        return self.request("POST", url, form=form, **kw)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        form: Iterable[tuple[str, str]] | dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        check: bool = True,
    ) -> Exchange:
        """Send one request; run every response check on the answer unless ``check=False``.

        A violation is raised at once, or, inside a scenario, collected and raised when the
        scenario ends (see ``deferring_response_violations``). A non-JSON body always raises
        at once: nothing after it could be judged.

        ``url`` is a path (``/v1/Sims``) or an absolute URL the target handed out; an absolute
        URL on another origin is refused (a ``SAFE-FOREIGN-HOST`` violation) without sending.
        """
        absolute = (
            urljoin(self.target.base_url + "/", url.lstrip("/")) if not url.startswith(("http://", "https://")) else url
        )
        pairs = list(form.items()) if isinstance(form, dict) else list(form or [])
        if params:
            query = httpx.QueryParams({k: str(v) for k, v in params.items()})
            absolute = str(httpx.URL(absolute).copy_merge_params(query))
        exchange = Exchange(
            method=method,
            url=absolute,
            account_sid=self.account_sid,
            form=pairs,
            request_headers={k: v for k, v in (headers or {}).items() if k.lower() != "authorization"},
        )
        if not self.target.same_origin(absolute):
            fail(
                SAFE_FOREIGN_HOST,
                "the target handed out a URL on another origin; it was not requested",
                expected=f"a URL under {self.target.base_url}",
                received=absolute,
            )
        self._send(exchange, headers, content)
        if check:
            violations = run_response_checks(self.target, exchange)
            if any(v.check_id == "RESP-JSON" for v in violations):
                raise next(v for v in violations if v.check_id == "RESP-JSON")
            report_response_violations(violations)
        return exchange

    def _send(self, exchange: Exchange, headers: dict[str, str] | None, content: bytes | None) -> None:
        auth = (self.account_sid, self.token) if self.account_sid and self.token is not None else None
        data = exchange.form if exchange.form else None
        for attempt in range(self.target.max_retries_429 + 1):
            self.target._pace()
            started = time.monotonic()
            try:
                request = self.target.http.build_request(
                    exchange.method,
                    exchange.url,
                    headers=headers,
                    content=content if content is not None else (urlencode(data).encode() if data else None),
                )
                if data and content is None:
                    request.headers["Content-Type"] = "application/x-www-form-urlencoded"
                if auth:
                    request.headers["Authorization"] = basic_auth.encode(*auth)
                response = self.target.http.send(request, stream=True)
            except httpx.TimeoutException:
                exchange.error = f"no answer within {self.target.timeout:g} s"
                return
            except httpx.HTTPError as error:
                exchange.error = f"{type(error).__name__}: {error}"
                return
            exchange.status = response.status_code
            exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
            try:
                body, complete = _read_capped(response, self.target.max_body_bytes)
            except httpx.HTTPError as error:
                exchange.error = f"the answer broke off: {type(error).__name__}: {error}"
                exchange.status = 0
                return
            finally:
                response.close()
            exchange.elapsed = time.monotonic() - started
            exchange._json = None
            if not complete:
                _mark_oversize(exchange, body, self.target.max_body_bytes)
                return
            exchange.text = body.decode("utf-8", errors="replace")
            if response.status_code != 429 or attempt == self.target.max_retries_429:
                return
            exchange.rate_limited.append(response.headers.get("retry-after"))
            time.sleep(retry_after_seconds(response.headers.get("retry-after"), self.target.max_retry_after))


def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """The body, read as it streams in, and whether it ended within ``limit`` bytes.

    Reading stops at the first chunk past the limit: a 20 MB answer costs the kit one chunk
    beyond ``limit``, never 20 MB, and the connection is closed unread.
    """
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            return b"".join(chunks), False
    return b"".join(chunks), True


def declared_length(headers: Any) -> int | None:
    """The Content-Length a response declared, if it is a number."""
    value = headers.get("content-length") if headers is not None else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _mark_oversize(exchange: Exchange, start: bytes, limit: int) -> None:
    """A body past the read cap: keep its start for the report, note its size, never parse it."""
    exchange.oversize = True
    exchange.body_bytes = declared_length(exchange.response_headers)
    exchange.text = start[:KEPT_BODY_CHARS].decode("utf-8", errors="replace")
    exchange.error = f"body of {exchange.size_note()} is larger than the {limit:,} bytes the kit reads"


def retry_after_seconds(value: str | None, cap: float) -> float:
    """How long to wait before retrying a 429: its Retry-After in seconds, at most ``cap`` (1 s if absent or unreadable)."""
    try:
        return max(0.0, min(float(value), cap)) if value is not None else 1.0
    except ValueError:
        return 1.0


def probe(target: Target, account_sid: str, token: str) -> Exchange:
    """Fail fast, before any check: raise TargetUnreachable or CredentialsRejected; else the answer."""
    exchange = target.client(account_sid, token).get("/v1/Sims", params={"PageSize": 1}, check=False)
    if exchange.error and exchange.status == 0:
        raise TargetUnreachable(f"{target.base_url} is unreachable: {exchange.error}")
    if exchange.status == 401:
        raise CredentialsRejected(
            f"{target.base_url} rejected the credentials of account {account_sid} (401); check the profile or "
            "TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN"
        )
    return exchange


__all__ = ["Target", "TargetClient", "TargetUnreachable", "CredentialsRejected", "probe", "Violation"]
