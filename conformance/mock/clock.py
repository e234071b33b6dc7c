"""The mock's clock: wall time plus an offset that tests can advance.

"Three months in ready" cannot be waited for, so every timestamp the mock produces and
every time-based rule it applies reads this clock, and ``POST /_mock/clock`` moves it
forward. Asynchronous-update delays are *not* read from here: they are short real-time
waits, so that advancing the clock never races the update queue.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """Current time in UTC, truncated to whole seconds (Twilio's timestamps have no fraction)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            offset = self._offset
        return (datetime.now(UTC) + offset).replace(microsecond=0)

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (never backward) and return the new time."""
        if seconds < 0:
            raise ValueError("the mock clock only moves forward")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    @property
    def offset_seconds(self) -> float:
        with self._lock:
            return self._offset.total_seconds()

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)


def iso(moment: datetime) -> str:
    """ISO 8601 in GMT with a Z, e.g. ``2026-11-29T05:19:08Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months later, clamping the day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=min(moment.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")
