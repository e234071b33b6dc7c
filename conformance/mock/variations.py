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
    Variation(
        "latency",
        "every answer waits 30 ms before it is sent (an asyncio sleep: other requests are served meanwhile)",
        acts_in=("front",),
        why_correct="neither the Sim page nor HTTP (RFC 9110) bounds how long an answer takes; "
        "Twilio's own answers take tens to hundreds of milliseconds",
    ),
    Variation(
        "gzip",
        "answers of 64 bytes or more are gzip-compressed (Content-Encoding: gzip, Vary: Accept-Encoding) "
        "when the request's Accept-Encoding allows gzip",
        acts_in=("app",),
        why_correct="RFC 9110 section 8.4 (Content-Encoding) and 12.5.3 (Accept-Encoding): a server may "
        "apply a content coding the request accepts; the representation is the decoded JSON",
    ),
    Variation(
        "chunked",
        "JSON bodies are sent in a few chunks with Transfer-Encoding: chunked and no Content-Length",
        acts_in=("front",),
        why_correct="RFC 9112 section 6.3 and 7.1: a message body's length is given by Content-Length or by "
        "the chunked transfer coding, which every HTTP/1.1 recipient must be able to parse",
    ),
    Variation(
        "extra-headers",
        "every answer carries headers Twilio sends or could (Twilio-Concurrent-Requests, X-Powered-By, "
        "X-Powered-AT, X-Home-Region, Strict-Transport-Security, Cache-Control: no-cache, CORS, ...) "
        "and a Twilio-Request-Id where it had none",
        acts_in=("front",),
        why_correct="RFC 9110 section 5.1: recipients ignore header fields they do not recognise; "
        "Cache-Control: no-cache (RFC 9111 5.2.2.4) and HSTS (RFC 6797) change nothing a client must check",
    ),
    Variation(
        "extra-callback-params",
        "the asynchronous-update callback also carries ApiVersion=v1, an EventSid (EV + 32 hex), SimIccid "
        "and FleetSid (when set); X-Twilio-Signature covers every parameter sent",
        acts_in=("callbacks",),
        why_correct="the Sim page says the callback 'will contain the following parameters', not only them; "
        "Twilio's webhook security page: webhook parameters can change and Twilio occasionally adds "
        "parameters, and the signature is over all request parameters",
    ),
    Variation(
        "slow-async",
        "asynchronous updates take at least 1.5 s to complete (the status stays scheduled that long)",
        acts_in=("state",),
        why_correct="the Sim page says such updates complete asynchronously and gives no bound on how long "
        "that takes (the kit waits up to 15 s for one)",
    ),
    Variation(
        "opaque-page-tokens",
        "PageToken in next_page_url/previous_page_url is a sealed 50-character base64url blob, fresh on every "
        "issue, instead of PA/PB + the position in hex; Page and PageSize stay in the URL",
        acts_in=("pagination",),
        why_correct="the Sim page: PageToken is 'provided by the API'; Twilio error 21481 (Invalid PageToken): "
        "clients request the paging URLs the response provides, never build tokens",
    ),
    Variation(
        "out-of-range-clamped",
        "an out-of-range PageSize or Page (0, 1001, -1) is clamped into range (1..1000, >= 0) instead of refused",
        acts_in=("forms",),
        why_correct="the Sim page gives PageSize's 'Minimum: 1Maximum: 1000' and Page's 'Minimum: 0' but not "
        "the answer outside them; Twilio answers 400, which the kit expects only as a SHOULD (SIM-ERR-003)",
    ),
    Variation(
        "inactive-move-allowed",
        "an inactive Sim can be moved between the account and its subaccounts, as on an account with the "
        "Private Beta unlocked",
        acts_in=("updates",),
        why_correct="the Sim page: 'It is possible to move inactive SIMs between your accounts; however that "
        "feature is currently in Private Beta' (SIM-MOVE-010, a MAY)",
    ),
)

VARIATIONS: dict[str, str] = {variation.name: variation.description for variation in BENIGN}


class UnknownVariationError(ValueError):
    """A variation name that is not in :data:`VARIATIONS`."""


def validate_variations(names: Iterable[str]) -> frozenset[str]:
    """The given names as a set; :class:`UnknownVariationError` naming the known ones for any other."""
    return known_names(names, VARIATIONS, "variation", UnknownVariationError)
