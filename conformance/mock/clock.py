"""The mock's clock: wall time plus an offset that tests can advance.

"Three months in ready" cannot be waited for, so every timestamp the mock produces and
every time-based rule it applies reads this clock, and ``POST /_mock/clock`` moves it
forward. Asynchronous-update delays are *not* read from here: they are short real-time
waits, so that advancing the clock never races the update queue.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from functools import lru_cache

#: Distinct timestamps :func:`iso` remembers (a 1,000-Sim page rarely holds more than a few).
ISO_CACHE_SIZE = 4096


class Clock:
    """Current time in UTC, truncated to whole seconds (Twilio's timestamps have no fraction)."""

    def __init__(self, skew: timedelta = timedelta(0)) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()
        #: A constant error of the clock that :meth:`reset` keeps (only a planted fault sets it).
        self.skew = skew

    def now(self) -> datetime:
        with self._lock:
            offset = self._offset
        return (datetime.now(UTC) + offset + self.skew).replace(microsecond=0)

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


@lru_cache(maxsize=ISO_CACHE_SIZE)
def iso(moment: datetime) -> str:
    """ISO 8601 in GMT with a Z, e.g. ``2026-11-29T05:19:08Z``.

    Memoised: ``astimezone`` + ``strftime`` cost about 3 us, and every rendered Sim needs two of
    them, mostly for the same few instants (Sims seeded or created together share them).
    Datetimes are immutable and equal ones name the same instant, so a hit is always right.
    """
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
