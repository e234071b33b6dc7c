"""Registrable SIM cards: registering one (``POST /v1/Sims``) and making more registrable.

Only a card the mock knows can be registered, once, with its code: the profile's
``registrable`` list plus whatever ``/_mock/registrable`` added. An ICCID is unique across
cards and Sims of every account, so "already registered" is a 409 whoever holds it.

Plain functions over :class:`~conformance.mock.tables.Tables`; the caller holds the lock.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable

from conformance.mock.errors import bad_request, conflict, not_found
from conformance.mock.model import SimView
from conformance.mock.records import SimRecord
from conformance.mock.tables import Tables
from conformance.profile import ICCID, REGISTRATION_CODE, RegistrableCard

#: Letters and digits of generated registration codes (no 0/O, 1/I look-alikes).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def register(t: Tables, account: str, iccid: str, code: str) -> SimView:
    """Claim a registrable card for ``account``: a new Sim with status new and no fleet."""
    if iccid in t.by_iccid:
        raise conflict(f"Iccid {iccid} is already registered to a Sim")
    card = t.cards.get(iccid)
    if card is None:
        raise not_found(f"No registrable SIM card has Iccid {iccid}")
    if not hmac.compare_digest(card.registration_code, code):
        raise bad_request(f"RegistrationCode does not match the SIM card with Iccid {iccid}")
    del t.cards[iccid]
    now = t.clock.now()
    sim = SimRecord(
        seq=next(t.seq),
        sid=t.new_sid(),
        account=account,
        iccid=iccid,
        status="new",
        unique_name=None,
        fleet=None,
        date_created=now,
        date_updated=now,
    )
    t.insert(sim)
    return sim.view()


def add_cards(t: Tables, cards: Iterable[RegistrableCard]) -> list[RegistrableCard]:
    """Make more SIM cards registrable (all or none)."""
    cards = list(cards)
    seen: set[str] = set()
    for card in cards:
        if not ICCID.match(card.iccid) or not REGISTRATION_CODE.match(card.registration_code):
            raise bad_request(
                f"card {card.iccid!r}: iccid must be 18-22 digits and registration_code 10 letters or digits"
            )
        if card.iccid in t.by_iccid or card.iccid in t.cards or card.iccid in seen:
            raise conflict(f"Iccid {card.iccid} is already known to the mock")
        seen.add(card.iccid)
    for card in cards:
        t.cards[card.iccid] = card
    return cards


def new_card(t: Tables) -> RegistrableCard:
    """A fresh registrable card with a random 10-character code."""
    iccid = t.fresh_iccid()
    card = RegistrableCard(iccid=iccid, registration_code="".join(secrets.choice(CODE_ALPHABET) for _ in range(10)))
    t.cards[iccid] = card
    return card
