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
from typing import Any, Iterable

from conformance.mock.callbacks import Dispatcher
from conformance.mock.clock import Clock
from conformance.mock.faults import validate_faults
from conformance.mock.store import Store
from conformance.profile import Profile, RegistrableCard, default_profile

log = logging.getLogger("conformance.mock")

#: Requests kept in the log (oldest dropped first).
REQUEST_LOG_SIZE = 10_000
#: Seconds between sweeps for the three-months rule when nothing else wakes the scheduler.
SWEEP_INTERVAL = 30.0


class MockState:
    """Store + scheduler + dispatcher + request log of one mock instance."""

    def __init__(
        self,
        profile: Profile | None = None,
        *,
        async_delay: float = 0.2,
        strict: bool = False,
        faults: Iterable[str] = (),
        clock: Clock | None = None,
    ):
        if async_delay < 0:
            raise ValueError("async_delay must be >= 0")
        self.profile = profile or default_profile()
        self.faults = validate_faults(faults)
        self.strict = strict
        self.async_delay = async_delay
        self.clock = clock or Clock()
        self.store = Store(self.profile, clock=self.clock, faults=self.faults, async_delay=async_delay)
        self.dispatcher = Dispatcher(self.store.token_for, self.faults)
        self._log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)
        self._log_lock = threading.Lock()
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
        """Back to the profile's initial state; empties the request and callback logs."""
        self.store.reset()
        self.clear_requests()
        self.dispatcher.clear()

    def flush(self) -> int:
        """Finish every scheduled update now (without waiting for the delay)."""
        return self.settle(everything=True)

    def set_async_delay(self, seconds: float) -> None:
        """Change the delay of asynchronous updates queued from now on."""
        if seconds < 0:
            raise ValueError("async_delay must be >= 0")
        self.async_delay = seconds
        with self.store.lock:
            self.store.async_delay = seconds

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

    def seed_fleet(self, account_sid: str, unique_name: str | None = None):
        return self.store.seed_fleet(account_sid, unique_name)

    def add_card(self, iccid: str | None = None, registration_code: str | None = None) -> RegistrableCard:
        """Register one more registrable card (a fresh one when no ICCID is given)."""
        if iccid is None:
            return self.store.new_card()
        return self.store.add_cards([RegistrableCard(iccid=iccid, registration_code=registration_code or "")])[0]

    # ------------------------------------------------------------------ request log
    def log_request(self, entry: dict[str, Any]) -> None:
        with self._log_lock:
            entry["id"] = next(self._ids)
            self._log.append(entry)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every logged request to the Twilio surface, oldest first."""
        with self._log_lock:
            return list(self._log)

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
