"""Planted faults: switches that make the reference mock break exactly one documented rule.

The kit must prove that each of its checks can fail. Rather than keep a zoo of broken
servers, the reference mock can be started with any set of these names
(``start_mock(faults=[...])``, ``supersim-conformance serve --fault NAME``); each one
changes only the behaviour its name and description say, and nothing is planted unless
asked for. The mock's modules test membership with ``"name" in faults``; a typo is caught
once, here, by :func:`validate_faults`.
"""

from __future__ import annotations

from typing import Iterable

#: Every planted fault: name -> one-line description of the rule it breaks.
FAULTS: dict[str, str] = {
    "lowercase-sid-prefix": 'the "sid" of every returned Sim starts with "hs" instead of "HS"',
    "iccid-filter-returns-two": "an Iccid filter that matches a Sim returns that Sim and one more",
    "next-page-loops": "next_page_url points back at the page it is on",
    "page-repeats-item": "every page after the first starts with the last item of the page before",
    "create-returns-200": "a successful registration answers 200 instead of 201",
    "skip-scheduled": "asynchronous updates are applied at once and answer 200 with the final state",
    "fleet-changes-while-scheduled": "a scheduled fleet change shows the new fleet_sid at once (in the 202)",
    "callback-as-json": "POST callbacks carry a JSON body instead of form parameters",
    "callback-without-account-sid": "callbacks leave out the AccountSid parameter",
    "callback-get-as-form": "GET callbacks carry their parameters in a form body, not the query string",
    "callback-bad-signature": "X-Twilio-Signature of callbacks is computed with the wrong key",
    "callback-twice": "every callback is delivered twice",
    "no-callback": "callbacks are never delivered",
    "error-body-not-twilio": 'every 404 answers {"error": "not found"} instead of Twilio\'s error body',
    "accept-wrong-credentials": "missing or wrong credentials are accepted (as the primary account)",
    "other-account-visible": "a Sim of another account can be fetched and updated (200, not 404)",
    "relative-urls": "url, links and meta URLs are relative paths, not absolute URLs",
    "meta-key-wrong": 'meta.key of a list page is "items" instead of "sims"',
    "no-null-next-on-last-page": "the last page has a non-null next_page_url (to an empty page)",
    "ignore-page-size": "PageSize is accepted but every page holds up to 50 Sims",
    "ignore-status-filter": "the Status filter of a list is ignored",
    "allow-ready-from-active": "an active Sim can be set to ready (200)",
    "allow-return-to-new": "a Sim can be set back to new (200)",
    "duplicate-unique-name-allowed": "two Sims of one account can have the same unique_name",
    "unknown-sid-returns-200-empty": "fetching an unknown Sim answers 200 with an empty JSON object",
    "date-updated-not-moving": "updates leave date_updated unchanged",
    "next-page-other-host": "next_page_url points at http://evil.example.invalid",
    "forbidden-not-404": "a Sim of another account answers 403 instead of 404",
    "page-size-over-max-accepted": "PageSize above 1000 is accepted (and honoured)",
    "move-non-new-allowed": "AccountSid moves are accepted for Sims that are not new",
    "move-to-unrelated-allowed": "AccountSid moves to any known account (even unrelated) are accepted",
    "no-auto-activate": "a ready Sim never becomes active by data use, SMS Commands or time",
    "date-updated-before-created": "every Sim shows a date_updated one day before its date_created",
    "ignore-fleet-filter": "the Fleet filter of a list is ignored",
    "list-shows-other-accounts": "an unfiltered list also holds the Sims of every other account",
    "unique-name-not-addressable": "a unique name never addresses its Sim in the URL (404)",
    "default-page-size-20": "a list without PageSize answers pages of 20 (documented default: 50)",
    "json-body-accepted": "POST bodies sent as JSON are read as if they were form parameters",
    "move-keeps-foreign-fleet": "a Sim with a fleet moves to another account without a Fleet, keeping the old one",
}


class UnknownFaultError(ValueError):
    """Raised for a fault name that is not in :data:`FAULTS`."""


def validate_faults(names: Iterable[str]) -> frozenset[str]:
    """Return the names as a frozenset, or raise :class:`UnknownFaultError` naming the bad one(s)."""
    chosen = frozenset(names)
    unknown = sorted(chosen - FAULTS.keys())
    if unknown:
        raise UnknownFaultError(
            f"unknown fault(s) {', '.join(map(repr, unknown))}; known faults: {', '.join(sorted(FAULTS))}"
        )
    return chosen
