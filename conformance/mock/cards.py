"""Registrable SIM cards: registering one (``POST /v1/Sims``) and making more registrable.

Only a card the mock knows can be registered, once, with its code: the profile's
``registrable`` list plus whatever ``/_mock/registrable`` added. An ICCID is unique across
cards and Sims of every account. Twilio's error dictionary names the refusals: a card the
requesting account already holds is 83003 (https://www.twilio.com/docs/api/errors/83003);
anything else that is not a registrable card - an unknown ICCID, a wrong code, a card another
account holds - is 83002 (https://www.twilio.com/docs/api/errors/83002), which tells a caller
nothing about other accounts' cards.

Plain functions over :class:`~conformance.mock.tables.Tables`; the caller holds the lock.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable

from conformance.mock.errors import bad_request, conflict, twilio_error
from conformance.mock.model import SimView
from conformance.mock.records import SimRecord
from conformance.mock.tables import Tables
from conformance.profile import ICCID, REGISTRATION_CODE, RegistrableCard

#: Letters and digits of generated registration codes (no 0/O, 1/I look-alikes).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def register(t: Tables, account: str, iccid: str, code: str) -> SimView:
    """Claim a registrable card for ``account``: a new Sim with status new and no fleet."""
    holder_sid = t.by_iccid.get(iccid)
    if holder_sid is not None and t.sims[holder_sid].account == account:
        raise twilio_error(83003, f"The Super SIM with Iccid {iccid} already belongs to this Account: {holder_sid}")
    card = t.cards.get(iccid) if holder_sid is None else None
    if card is None or not _code_matches(t.faults, card.registration_code, code):
        raise twilio_error(83002, f"Iccid {iccid} and this RegistrationCode do not belong to a registrable Super SIM")
    del t.cards[iccid]
    now = t.clock.now()
    sim = SimRecord(
        seq=next(t.seq),
        sid=t.new_sid(),
        account=account,
        iccid=iccid,
        status="ready" if "registered-sim-ready" in t.faults else "new",
        unique_name=None,
        fleet=_first_fleet(t, account) if "registered-sim-in-first-fleet" in t.faults else None,
        date_created=now,
        date_updated=now,
    )
    if "registration-not-persisted" in t.faults:
        return sim.view()
    t.insert(sim)
    if "registered-sim-not-indexed" in t.faults:
        t.by_iccid.pop(iccid, None)
    return sim.view()


def _code_matches(faults: frozenset[str], expected: str, given: str) -> bool:
    """The code check (constant time), or one of the planted faults that check it loosely."""
    if "registration-code-not-checked" in faults:
        return True
    if "registration-code-prefix-checked" in faults:
        return hmac.compare_digest(expected[:9], given[:9])
    return hmac.compare_digest(expected, given)


def _first_fleet(t: Tables, account: str) -> str | None:
    fleets = sorted(fleet.sid for fleet in t.fleets.values() if fleet.account == account)
    return fleets[0] if fleets else None


def add_cards(t: Tables, cards: Iterable[RegistrableCard]) -> list[RegistrableCard]:
    """Make more SIM cards registrable (all or none)."""
    cards = list(cards)
    seen: set[str] = set()
    for card in cards:
        if not ICCID.match(card.iccid) or not REGISTRATION_CODE.match(card.registration_code):
            raise bad_request(
                f"card {card.iccid!r}: iccid must be letters and digits and registration_code 10 letters or digits"
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
