"""Plain value types passed between the mock's layers (forms -> store -> render).

Keeping them here, apart from the store, means the form parser and the renderer never
import the store and the store never sees an HTTP object.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Final


class _Unset(enum.Enum):
    """Marker for "parameter not given" (distinct from an empty value, which means "clear").

    An enum member, so that ``value is not UNSET`` narrows ``str | _Unset`` to ``str`` for mypy.
    """

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = _Unset.UNSET


@dataclass(frozen=True)
class UpdateRequest:
    """A validated POST /v1/Sims/{Sid} body. ``None`` for unique_name/fleet means "clear it"."""

    unique_name: str | None | _Unset = UNSET
    status: str | _Unset = UNSET
    fleet: str | None | _Unset = UNSET
    callback_url: str | None = None
    callback_method: str = "POST"
    account_sid: str | _Unset = UNSET


@dataclass(frozen=True)
class ListQuery:
    """A validated GET /v1/Sims query: filters exactly as given, plus paging."""

    status: str | None = None
    fleet: str | None = None
    iccid: str | None = None
    page_size: int = 50
    page: int = 0
    page_token: str | None = None


@dataclass(frozen=True, slots=True)
class SimView:
    """One Sim as it was at one instant (taken under the store's lock), ready to render.

    Immutable and hashable: the store keeps each Sim's latest one and ``render`` memoises
    encodings by it (slots keep the 100,000 kept snapshots of a big store small).
    """

    sid: str
    account_sid: str
    iccid: str
    status: str
    unique_name: str | None
    fleet_sid: str | None
    date_created: datetime
    date_updated: datetime

    def __hash__(self) -> int:
        """The SID's (cached) string hash: cheap for ``render.sim_bytes``'s memo, and consistent
        with ``==`` (equal views have equal SIDs; two versions of one Sim differ under ``==``)."""
        return hash(self.sid)


@dataclass(frozen=True)
class PageResult:
    """One list page: the Sims and the opaque tokens for the pages around it (None: no page)."""

    sims: list[SimView]
    next_token: str | None
    previous_token: str | None


@dataclass(frozen=True)
class Completion:
    """A finished asynchronous update whose requester asked for a callback."""

    sim: SimView
    callback_url: str
    callback_method: str
