"""Benign variations: harmless differences a correct Sim API may have, for proving the kit raises no false alarm.

A planted fault (``faults.py``) makes the mock wrong and a check must catch it. A variation
keeps the mock correct but unlike Twilio's own answers in a way the documentation allows:
the whole suite must still pass against it (``tests/test_variations.py``). Like faults, each is
one table entry; the code that implements it tests for its name in the same behaviour set
(``MockState.faults`` holds both, so render and store need no second parameter).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from conformance.mock.faults import known_names


@dataclass(frozen=True)
class Variation:
    name: str
    description: str
    acts_in: tuple[str, ...]
    """The mock modules whose code tests for the name."""
    why_correct: str
    """What in the documentation (or HTTP/JSON) allows it."""


BENIGN: tuple[Variation, ...] = (
    Variation(
        "dates-zero-offset",
        "date_created and date_updated are written with a +00:00 offset instead of Z",
        acts_in=("render",),
        why_correct="the page asks for 'GMT ... in ISO 8601 format'; RFC 3339 4.3: +00:00 and Z are both UTC",
    ),
    Variation(
        "extra-properties",
        "every Sim and every page's meta carry extra properties the contract does not name",
        acts_in=("render",),
        why_correct="Twilio adds properties over time; a client must ignore what it does not know",
    ),
    Variation(
        "reordered-keys",
        "the properties of every Sim, page and meta are written in reverse order",
        acts_in=("render",),
        why_correct="a JSON object is unordered (RFC 8259 section 4)",
    ),
)

VARIATIONS: dict[str, str] = {variation.name: variation.description for variation in BENIGN}


class UnknownVariationError(ValueError):
    """A variation name that is not in :data:`VARIATIONS`."""


def validate_variations(names: Iterable[str]) -> frozenset[str]:
    """The given names as a set; :class:`UnknownVariationError` naming the known ones for any other."""
    return known_names(names, VARIATIONS, "variation", UnknownVariationError)
