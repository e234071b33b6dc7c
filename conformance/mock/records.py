"""What the store keeps per Sim: the mutable record, and the asynchronous update it may wait for.

These are the store's private, mutable rows. Everything outside the store sees a Sim only as
a :class:`~conformance.mock.model.SimView` snapshot, taken under the store's lock, so a
request can never observe a record half-way through a change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from conformance.mock.model import SimView


@dataclass
class Pending:
    """A queued asynchronous update; the Sim shows status "scheduled" while it exists."""

    status: str
    fleet: object  # fleet SID, None (remove), or UNSET (unchanged)
    callback_url: str | None
    callback_method: str
    due: float
    ticket: int


@dataclass
class SimRecord:
    """One Sim as stored: what the API shows, plus usage counters and the pending update."""

    seq: int
    sid: str
    account: str
    iccid: str
    status: str
    unique_name: str | None
    fleet: str | None
    date_created: datetime
    date_updated: datetime
    ready_since: datetime | None = None
    data_kb: float = 0.0
    sms_commands: int = 0
    pending: Pending | None = None
    snapshot: SimView | None = field(default=None, repr=False, compare=False)
    """The last :meth:`view`, until a shown field changes (``Tables.change`` and ``Tables.touch`` drop it)."""

    @property
    def shown_status(self) -> str:
        return "scheduled" if self.pending else self.status

    def view(self) -> SimView:
        """What the API shows of this Sim now.

        Kept between changes: most reads (every list page) see Sims that did not change, and
        building the snapshot was a large part of a page; an unchanged snapshot also lets
        ``render.sim_bytes`` find its encoding at once.
        """
        if self.snapshot is None:
            self.snapshot = SimView(
                sid=self.sid,
                account_sid=self.account,
                iccid=self.iccid,
                status=self.shown_status,
                unique_name=self.unique_name,
                fleet_sid=self.fleet,
                date_created=self.date_created,
                date_updated=self.date_updated,
            )
        return self.snapshot
