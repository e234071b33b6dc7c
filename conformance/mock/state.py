"""One running mock's state: the store, the update scheduler, the callback dispatcher, the request log.

This is the "handle" a test gets as ``RunningMock.state``: everything the control
endpoints can do over HTTP is a plain method here (reset, seed, usage, clock, logs), so
an in-process test never has to go through HTTP to set up or inspect the mock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from conformance.mock.callbacks import Dispatcher
from conformance.mock.clock import Clock, iso
from conformance.mock.faults import validate_faults
from conformance.mock.store import Store
from conformance.mock.variations import validate_variations
from conformance.profile import Fleet, Profile, RegistrableCard, default_profile

log = logging.getLogger("conformance.mock")

#: Requests kept in the log (oldest dropped first).
REQUEST_LOG_SIZE = 10_000
#: Distinct verified Authorization header values remembered (the cache is emptied when full).
LOGIN_CACHE_SIZE = 1024
#: Seconds between sweeps for the three-months rule when nothing else wakes the scheduler.
SWEEP_INTERVAL = 30.0
#: Seconds an asynchronous update takes at least under the ``slow-async`` variation.
SLOW_ASYNC_DELAY = 1.5


class LoggedRequest:
    """One request-log entry, kept raw until the log is read.

    Decoding every header, parsing the query string and formatting the time on every request
    cost a fifth of a fetch, and most entries are never read. So an entry keeps the request's
    header list and query bytes as they arrived, and :meth:`as_dict` formats them the first
    time the log is read; the contents are those the entry would have had if formatted at once.
    The operations fill in ``account``, ``query`` (the parsed parameters), ``form``,
    ``operation`` and ``violations`` as they go; ``status`` and ``id`` are set when it is logged.
    """

    __slots__ = (
        "moment",
        "method",
        "path",
        "raw_query",
        "raw_headers",
        "query",
        "form",
        "status",
        "account",
        "operation",
        "violations",
        "id",
        "_formatted",
    )

    def __init__(self, scope: Mapping[str, Any], moment: datetime):
        self.moment = moment
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.raw_query: bytes = scope.get("query_string", b"")
        self.raw_headers: tuple[tuple[bytes, bytes], ...] = tuple(scope.get("headers", ()))
        self.query: dict[str, str] | None = None
        """None until the operation has parsed the query (then the log shows what it parsed)."""
        self.form: dict[str, str] | None = None
        self.status: int | None = None
        self.account: str | None = None
        self.operation: str | None = None
        self.violations: list[dict[str, Any]] = []
        self.id: int | None = None
        self._formatted: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The entry as ``GET /_mock/requests`` shows it (Authorization left out); built once."""
        if self._formatted is None:
            headers = {}
            for name, value in self.raw_headers:
                key = name.decode("latin-1").lower()
                if key != "authorization":
                    headers[key] = value.decode("latin-1")
            query = self.query
            if query is None:  # never parsed (e.g. refused before): the lenient reading of the raw bytes
                query = dict(parse_qsl(self.raw_query.decode("utf-8", "replace"), keep_blank_values=True))
            self._formatted = {
                "time": iso(self.moment),
                "method": self.method,
                "path": self.path,
                "query_string": self.raw_query.decode("latin-1"),
                "query": query,
                "form": self.form,
                "headers": headers,
                "status": self.status,
                "account": self.account,
                "operation": self.operation,
                "violations": self.violations,
                "id": self.id,
            }
        return self._formatted


class MockState:
    """Store + scheduler + dispatcher + request log of one mock instance."""

    def __init__(
        self,
        profile: Profile | None = None,
        *,
        async_delay: float = 0.2,
        strict: bool = False,
        faults: Iterable[str] = (),
        variations: Iterable[str] = (),
        clock: Clock | None = None,
    ):
        if async_delay < 0:
            raise ValueError("async_delay must be >= 0")
        self.profile = profile or default_profile()
        self.planted_faults = validate_faults(faults)
        self.variations = validate_variations(variations)
        # One behaviour set: the code of a fault or a benign variation tests for its name here.
        self.faults = self.planted_faults | self.variations
        self.strict = strict
        self.async_delay = self._delay(async_delay)
        # planted: local time (GMT+1) written as GMT, in every date the mock stamps
        self.clock = clock or Clock(timedelta(hours=1) if "dates-an-hour-ahead" in self.faults else timedelta(0))
        self.store = Store(self.profile, clock=self.clock, faults=self.faults, async_delay=self.async_delay)
        self.dispatcher = Dispatcher(self.store.token_for, self.faults)
        self._log: deque[LoggedRequest] = deque(maxlen=REQUEST_LOG_SIZE)
        self._log_lock = threading.Lock()
        self._logins: dict[str, str] = {}
        self._ids = iter(range(1, 1 << 62))
        self._thread: threading.Thread | None = None
        self._stopping = False

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the background thread that completes queued updates on time."""
        if self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="mock-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self.store.changed:
            self._stopping = True
            self.store.changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.dispatcher.close()

    def _run(self) -> None:
        last_sweep = time.monotonic()
        while True:
            with self.store.changed:
                if self._stopping:
                    return
                due = self.store.next_due()
                wait = SWEEP_INTERVAL if due is None else max(0.0, due - time.monotonic())
                if wait > 0:
                    self.store.changed.wait(timeout=min(wait, SWEEP_INTERVAL))
                if self._stopping:
                    return
            try:
                self.settle()
                if time.monotonic() - last_sweep >= SWEEP_INTERVAL:
                    self.store.sweep_auto_activation()
                    last_sweep = time.monotonic()
            except Exception:  # the scheduler must survive anything
                log.exception("mock scheduler error")

    def settle(self, *, everything: bool = False) -> int:
        """Complete due updates (all queued ones with ``everything``) and send their callbacks."""
        finished, done = self.store.complete_due(everything=everything)
        for completion in done:
            self.dispatcher.dispatch(completion)
        return finished

    # ------------------------------------------------------------------ convenience for tests
    def reset(self) -> None:
        """Back to the profile's initial state; empties the request and callback logs and the login cache."""
        self.store.reset()
        self.forget_logins()
        self.clear_requests()
        self.dispatcher.clear()

    def flush(self) -> int:
        """Finish every scheduled update now (without waiting for the delay)."""
        return self.settle(everything=True)

    def set_async_delay(self, seconds: float) -> None:
        """Change the delay of asynchronous updates queued from now on."""
        if seconds < 0:
            raise ValueError("async_delay must be >= 0")
        self.async_delay = self._delay(seconds)
        with self.store.lock:
            self.store.async_delay = self.async_delay

    def _delay(self, seconds: float) -> float:
        """The delay asynchronous updates take: ``seconds``, at least :data:`SLOW_ASYNC_DELAY` under ``slow-async``."""
        return max(seconds, SLOW_ASYNC_DELAY) if "slow-async" in self.faults else seconds

    def advance_clock(self, seconds: float) -> list[str]:
        return self.store.advance_clock(seconds)

    def record_usage(
        self, account_sid: str, sim: str, *, data_kb: float = 0, sms_commands: int = 0, ready_seconds: float = 0
    ) -> dict:
        return self.store.record_usage(
            account_sid, sim, data_kb=data_kb, sms_commands=sms_commands, ready_seconds=ready_seconds
        )

    def seed_sims(self, account_sid: str, count: int = 1, **options: Any) -> list[str]:
        return self.store.seed_sims(account_sid, count, **options)

    def seed_fleet(self, account_sid: str, unique_name: str | None = None) -> Fleet:
        return self.store.seed_fleet(account_sid, unique_name)

    def add_card(self, iccid: str | None = None, registration_code: str | None = None) -> RegistrableCard:
        """Register one more registrable card (a fresh one when no ICCID is given)."""
        if iccid is None:
            return self.store.new_card()
        return self.store.add_cards([RegistrableCard(iccid=iccid, registration_code=registration_code or "")])[0]

    # ------------------------------------------------------------------ login cache
    def known_login(self, authorization: str) -> str | None:
        """The account an Authorization header value was already verified for, or None.

        Checking Basic credentials (base64 + a constant-time compare) on every request cost
        as much as finding the Sim. Only values that passed the check are remembered, under
        the exact header value, so a hit means those very credentials were accepted before;
        a wrong token is never remembered and is checked (and refused) every time. The
        accounts' tokens come from the profile and never change during the state's life;
        :meth:`reset` empties the cache all the same.
        """
        return self._logins.get(authorization)

    def remember_login(self, authorization: str, account: str) -> None:
        """Remember a header value that passed the credentials check (see :meth:`known_login`)."""
        if len(self._logins) >= LOGIN_CACHE_SIZE:
            self._logins.clear()
        self._logins[authorization] = account

    def forget_logins(self) -> None:
        """Empty the login cache (on reset: credentials are always checked afresh afterwards)."""
        self._logins.clear()

    # ------------------------------------------------------------------ request log
    def log_request(self, entry: LoggedRequest) -> None:
        with self._log_lock:
            entry.id = next(self._ids)
            self._log.append(entry)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every logged request to the Twilio surface, oldest first (formatted now, see :class:`LoggedRequest`)."""
        with self._log_lock:
            entries = list(self._log)
        return [entry.as_dict() for entry in entries]

    @property
    def violations(self) -> list[dict[str, Any]]:
        """Every request violation, each with the method and path of its request."""
        out = []
        for entry in self.requests:
            for violation in entry["violations"]:
                out.append({"request_id": entry["id"], "method": entry["method"], "path": entry["path"], **violation})
        return out

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    @property
    def callbacks(self) -> list[dict[str, Any]]:
        """Every callback delivery attempt (url, method, status or error)."""
        return self.dispatcher.snapshot()
