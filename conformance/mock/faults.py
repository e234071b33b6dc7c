"""Planted faults: switches that make the reference mock break exactly one documented rule.

The kit must prove that each of its checks can fail. Rather than keep a zoo of broken
servers, the reference mock can be started with any set of these names
(``start_mock(faults=[...])``, ``supersim-conformance serve --fault NAME``); each one
changes only the behaviour its name and description say, and nothing is planted unless
asked for. The mock's modules test membership with ``"name" in faults``; a typo is caught
once, here, by :func:`validate_faults`.

Everything known about a fault is one :class:`Fault` in :data:`PLANTED`: what it breaks,
which of the mock's modules plant it, which checks must catch it and which tests of the
suite can (the zoo, ``tests/test_zoo.py``, runs exactly those against it). The fault table
of ``docs/mock.md`` is generated from it (:func:`markdown_table`; regenerate it with
:data:`REGENERATE`), and tests keep every entry true: the code that plants it is where
``acts_in`` says (``tests/mock/test_mock_fault_table.py``) and one of ``caught_by`` does
catch it (the zoo). Adding a fault is one entry here, the behaviour, and an effect test in
``tests/mock/test_mock_faults.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from conformance.mock.planted import callbacks, pages, rules, values
from conformance.mock.planted.model import Fault

__all__ = ["FAULTS", "PLANTED", "Fault", "UnknownFaultError", "validate_faults"]


#: The first faults, planted before the mutation analysis (issue 12); the later ones live by
#: area in :mod:`conformance.mock.planted`.
_FIRST: tuple[Fault, ...] = (
    Fault(
        "lowercase-sid-prefix",
        'the "sid" of every returned Sim starts with "hs" instead of "HS"',
        acts_in=("render",),
        caught_by=("RESP-PAGE-SCHEMA", "RESP-SIM-SCHEMA"),
        selection="test_response_check or test_fetch_by_sid",
        breaks=("SIM-PROP-001",),
        kind="wrong-value",
    ),
    Fault(
        "iccid-filter-returns-two",
        "an Iccid filter that matches a Sim returns that Sim and one more",
        acts_in=("pagination",),
        caught_by=("RESP-FILTER-ICCID", "SCN-FILTER-ICCID"),
        selection="iccid",
        breaks=("SIM-FILTER-005", "SIM-FILTER-006"),
        kind="off-by-one",
    ),
    Fault(
        "next-page-loops",
        "next_page_url points back at the page it is on",
        acts_in=("render",),
        caught_by=("SCN-PAGE-WALK",),
        selection="test_walk",
        breaks=("SIM-LIST-005", "SIM-PAGE-007"),
        kind="wrong-link",
    ),
    Fault(
        "page-repeats-item",
        "every page after the first starts with the last item of the page before",
        acts_in=("pagination",),
        caught_by=("SCN-PAGE-WALK",),
        selection="test_walk",
        breaks=("SIM-PAGE-007",),
        kind="off-by-one",
    ),
    Fault(
        "create-returns-200",
        "a successful registration answers 200 instead of 201",
        acts_in=("operations",),
        caught_by=("RESP-CREATE",),
        selection="test_register_card",
        breaks=("SIM-CREATE-006",),
        kind="wrong-status",
    ),
    Fault(
        "skip-scheduled",
        "asynchronous updates are applied at once and answer 200 with the final state",
        acts_in=("updates",),
        caught_by=("SCN-ASYNC-ACTIVATE", "SCN-ASYNC-DEACTIVATE", "SCN-ASYNC-REACTIVATE"),
        selection="asynchronous",
        breaks=("SIM-ASYNC-001", "SIM-ASYNC-002", "SIM-ASYNC-006", "SIM-ASYNC-007", "SIM-ASYNC-008"),
        kind="timing",
    ),
    Fault(
        "fleet-changes-while-scheduled",
        "a scheduled fleet change shows the new fleet_sid at once (in the 202)",
        acts_in=("updates",),
        caught_by=("SCN-ASYNC-FLEET",),
        selection="test_fleet_change_of_activated_sim",
        breaks=("SIM-ASYNC-004", "SIM-ASYNC-009"),
        kind="timing",
    ),
    Fault(
        "token-prefix-accepted",
        "an Auth Token that is a prefix of the right one, or the right one with characters added, is accepted",
        acts_in=("access",),
        caught_by=("SCN-AUTH-WRONG",),
        selection="test_wrong_token_is_401",
        breaks=("SIM-AUTH-002",),
        kind="loose-check",
    ),
    Fault(
        "token-case-insensitive",
        "the Auth Token is compared without regard to case",
        acts_in=("access",),
        caught_by=("SCN-AUTH-WRONG",),
        selection="test_wrong_token_is_401",
        breaks=("SIM-AUTH-002",),
        kind="partial-match",
    ),
    Fault(
        "any-accounts-token-accepted",
        "any account's Auth Token authenticates any Account SID of the mock",
        acts_in=("access",),
        caught_by=("SCN-AUTH-WRONG",),
        selection="test_wrong_token_is_401",
        breaks=("SIM-AUTH-001", "SIM-AUTH-002"),
        kind="wrong-scope",
    ),
    Fault(
        "activate-without-fleet",
        "a Sim without a Fleet is activated (Twilio refuses: error 83007, the Fleet resource page)",
        acts_in=("updates",),
        caught_by=("SCN-ACTIVATE-NEEDS-FLEET",),
        selection="test_activation_without_fleet_is_refused",
        breaks=("SIM-STATUS-001",),
        kind="loose-check",
    ),
    Fault(
        "activation-fleet-applied-at-once",
        "a Fleet sent with an activation shows at once, while the Sim is still scheduled (the page: the "
        "existing fleet_sid until the update completes)",
        acts_in=("updates",),
        caught_by=("SCN-ACTIVATE-WITH-FLEET",),
        selection="test_activation_with_fleet_in_the_same_request",
        breaks=("SIM-ASYNC-004",),
        kind="timing",
    ),
    Fault(
        "remove-fleet-while-active",
        "the Fleet of a ready or active Sim can be removed without deactivating it (Twilio error 83008)",
        acts_in=("updates",),
        caught_by=("SCN-FLEET-REQUIRED",),
        selection="test_activated_sim_keeps_its_fleet",
        breaks=("SIM-TRANS-007",),
        kind="loose-check",
    ),
    Fault(
        "generic-error-codes",
        "Super SIM refusals carry generic codes (20001, 20404, 20409) instead of Twilio's 830xx",
        acts_in=("responses",),
        caught_by=("SCN-ERROR-CODE",),
        selection="test_registration_errors or test_unique_name_is_set_and_unique or test_activation_without_fleet",
        level="SHOULD",
        breaks=(
            "SIM-ERR-008",
            "SIM-ERR-009",
            "SIM-ERR-010",
            "SIM-ERR-011",
            "SIM-ERR-012",
            "SIM-ERR-013",
            "SIM-ERR-014",
            "SIM-ERR-015",
        ),
        kind="wrong-value",
    ),
    Fault(
        "callback-as-json",
        "POST callbacks carry a JSON body instead of form parameters",
        acts_in=("callbacks",),
        caught_by=("SCN-CB-POST",),
        selection="test_post_callback",
        breaks=("SIM-CB-006",),
        kind="encoding",
    ),
    Fault(
        "callback-without-account-sid",
        "callbacks leave out the AccountSid parameter",
        acts_in=("callbacks",),
        caught_by=("SCN-CB-POST",),
        selection="test_post_callback",
        breaks=("SIM-CB-005",),
        kind="missing",
    ),
    Fault(
        "callback-get-as-form",
        "GET callbacks carry their parameters in a form body, not the query string",
        acts_in=("callbacks",),
        caught_by=("SCN-CB-GET",),
        selection="test_get_callback",
        breaks=("SIM-CB-007",),
        kind="encoding",
    ),
    Fault(
        "callback-bad-signature",
        "X-Twilio-Signature of callbacks is computed with the wrong key",
        acts_in=("callbacks",),
        caught_by=("SCN-CB-SIGNATURE",),
        selection="test_callback_signature",
        breaks=("SIM-CB-009",),
        kind="wrong-value",
    ),
    Fault(
        "callback-twice",
        "every callback is delivered twice",
        acts_in=("callbacks",),
        caught_by=("SCN-CB-POST",),
        selection="test_post_callback",
        breaks=("SIM-CB-001",),
        kind="timing",
    ),
    Fault(
        "no-callback",
        "callbacks are never delivered",
        acts_in=("callbacks",),
        caught_by=("SCN-CB-POST",),
        selection="test_post_callback",
        breaks=("SIM-CB-001",),
        kind="missing",
    ),
    Fault(
        "error-body-not-twilio",
        'every 404 answers {"error": "not found"} instead of Twilio\'s error body',
        acts_in=("responses",),
        caught_by=("RESP-ERROR-BODY",),
        selection="test_fetch_unknown or test_response_check",
        breaks=("SIM-ERR-002",),
        kind="wrong-value",
    ),
    Fault(
        "accept-wrong-credentials",
        "missing or wrong credentials are accepted (as the primary account)",
        acts_in=("auth",),
        caught_by=("SCN-AUTH-MISSING", "SCN-AUTH-WRONG"),
        selection="wrong_token or missing_credentials",
        breaks=("SIM-AUTH-001", "SIM-AUTH-002"),
        kind="loose-check",
    ),
    Fault(
        "other-account-visible",
        "a Sim of another account can be fetched and updated (200, not 404)",
        acts_in=("access",),
        caught_by=("SCN-AUTH-OTHER-ACCOUNT",),
        selection="other_accounts",
        breaks=("SIM-AUTH-003",),
        kind="wrong-scope",
    ),
    Fault(
        "relative-urls",
        "url, links and meta URLs are relative paths, not absolute URLs",
        acts_in=("render",),
        caught_by=("RESP-PAGE-HOST", "RESP-PAGE-SCHEMA", "RESP-SIM-SCHEMA", "RESP-SIM-URL"),
        selection="test_response_check or test_fetch_by_sid",
        breaks=("SIM-PROP-013", "SIM-PROP-014", "SIM-PAGE-010"),
        kind="wrong-link",
    ),
    Fault(
        "meta-key-wrong",
        'meta.key of a list page is "items" instead of "sims"',
        acts_in=("render",),
        caught_by=("RESP-PAGE-META", "RESP-PAGE-SCHEMA"),
        selection="test_response_check or test_plain_list",
        breaks=("SIM-LIST-002",),
        kind="wrong-value",
    ),
    Fault(
        "no-null-next-on-last-page",
        "the last page has a non-null next_page_url (to an empty page)",
        acts_in=("pagination",),
        caught_by=("SCN-PAGE-WALK",),
        selection="test_walk",
        breaks=("SIM-PAGE-008",),
        kind="off-by-one",
    ),
    Fault(
        "ignore-page-size",
        "PageSize is accepted but every page holds up to 50 Sims",
        acts_in=("pagination",),
        caught_by=("RESP-PAGE-META", "SCN-PAGE-SIZE-BOUNDS", "SCN-PAGE-WALK"),
        selection="test_walk or page_size",
        breaks=("SIM-PAGE-002", "SIM-LIST-009"),
        kind="loose-check",
    ),
    Fault(
        "ignore-status-filter",
        "the Status filter of a list is ignored",
        acts_in=("pagination",),
        caught_by=("RESP-FILTER-STATUS", "SCN-FILTER-STATUS"),
        selection="status_filter or test_response_check",
        breaks=("SIM-FILTER-001",),
        kind="loose-check",
    ),
    Fault(
        "allow-ready-from-active",
        "an active Sim can be set to ready (200)",
        acts_in=("updates",),
        caught_by=("SCN-TRANS-READY",),
        selection="test_ready_only_from_new",
        breaks=("SIM-TRANS-002",),
        kind="loose-check",
    ),
    Fault(
        "allow-return-to-new",
        "a Sim can be set back to new (200)",
        acts_in=("forms", "updates"),
        caught_by=("SCN-TRANS-NEW",),
        selection="test_never_back_to_new",
        breaks=("SIM-TRANS-001", "SIM-UPDATE-003"),
        kind="loose-check",
    ),
    Fault(
        "duplicate-unique-name-allowed",
        "two Sims of one account can have the same unique_name",
        acts_in=("updates",),
        caught_by=("SCN-UNIQUE-NAME",),
        selection="test_unique_name",
        breaks=("SIM-ERR-005",),
        kind="loose-check",
    ),
    Fault(
        "unknown-sid-returns-200-empty",
        "fetching an unknown Sim answers 200 with an empty JSON object",
        acts_in=("operations",),
        caught_by=("RESP-SIM-SCHEMA", "SCN-FETCH-404"),
        selection="test_fetch_unknown",
        breaks=("SIM-ERR-001",),
        kind="wrong-status",
    ),
    Fault(
        "date-updated-not-moving",
        "updates leave date_updated unchanged",
        acts_in=("tables",),
        caught_by=("SCN-DATES-LIFE", "SCN-ASYNC-ACTIVATE", "SCN-ASYNC-DEACTIVATE", "SCN-ASYNC-REACTIVATE"),
        selection="values_dates_over_updates",
        breaks=("SIM-PROP-012",),
        kind="stale",
    ),
    Fault(
        "next-page-other-host",
        "next_page_url points at http://evil.example.invalid",
        acts_in=("render",),
        caught_by=("RESP-PAGE-HOST", "SAFE-FOREIGN-HOST"),
        selection="test_walk or test_response_check",
        breaks=("SIM-PAGE-010",),
        kind="wrong-link",
    ),
    Fault(
        "forbidden-not-404",
        "a Sim of another account answers 403 instead of 404",
        acts_in=("access",),
        caught_by=("SCN-AUTH-OTHER-ACCOUNT",),
        selection="other_accounts",
        breaks=("SIM-AUTH-003",),
        kind="wrong-status",
    ),
    Fault(
        "page-size-over-max-accepted",
        "PageSize above 1000 is accepted (and honoured)",
        acts_in=("forms",),
        caught_by=("SCN-PAGE-SIZE-BOUNDS",),
        selection="page_size",
        breaks=("SIM-PAGE-002", "SIM-PAGE-003"),
        kind="loose-check",
    ),
    Fault(
        "move-non-new-allowed",
        "AccountSid moves are accepted for Sims that are not new",
        acts_in=("updates",),
        caught_by=("SCN-MOVE-RULES",),
        selection="test_only_new_sims_move",
        breaks=("SIM-MOVE-007",),
        kind="loose-check",
    ),
    Fault(
        "move-to-unrelated-allowed",
        "AccountSid moves to any known account (even unrelated) are accepted",
        acts_in=("updates",),
        caught_by=("SCN-MOVE-RULES",),
        selection="test_move_to_unrelated",
        breaks=("SIM-MOVE-006",),
        kind="wrong-scope",
    ),
    Fault(
        "no-auto-activate",
        "a ready Sim never becomes active by data use, SMS Commands or time",
        acts_in=("activation",),
        caught_by=("SCN-AUTO-ACTIVE",),
        selection="automatically",
        breaks=("SIM-TRANS-003", "SIM-TRANS-004", "SIM-TRANS-005"),
        kind="missing",
    ),
    Fault(
        "date-updated-before-created",
        "every Sim shows a date_updated one day before its date_created",
        acts_in=("render",),
        caught_by=("RESP-SIM-DATES",),
        selection="test_response_check or test_fetch_by_sid",
        breaks=("SIM-PROP-012",),
        kind="wrong-value",
    ),
    Fault(
        "ignore-fleet-filter",
        "the Fleet filter of a list is ignored",
        acts_in=("pagination",),
        caught_by=("RESP-FILTER-FLEET", "SCN-FILTER-COMBINED", "SCN-FILTER-FLEET"),
        selection="test_response_check or fleet_filter or combined",
        breaks=("SIM-FILTER-003",),
        kind="loose-check",
    ),
    Fault(
        "list-shows-other-accounts",
        "an unfiltered list also holds the Sims of every other account",
        acts_in=("pagination",),
        caught_by=("RESP-ACCOUNT",),
        selection="test_response_check or test_walk",
        breaks=("SIM-AUTH-004", "SIM-LIST-001"),
        kind="wrong-scope",
    ),
    Fault(
        "unique-name-not-addressable",
        "a unique name never addresses its Sim in the URL (404)",
        acts_in=("access",),
        caught_by=("SCN-FETCH-NAME", "SCN-UNIQUE-NAME"),
        selection="unique_name",
        breaks=("SIM-ADDR-002", "SIM-ADDR-003", "SIM-FETCH-002"),
        kind="missing",
    ),
    Fault(
        "default-page-size-20",
        "a list without PageSize answers pages of 20 (documented default: 50)",
        acts_in=("forms",),
        caught_by=("RESP-PAGE-META", "SCN-LIST-DEFAULT"),
        selection="test_plain_list",
        breaks=("SIM-PAGE-001",),
        kind="wrong-value",
    ),
    Fault(
        "json-body-accepted",
        "POST bodies sent as JSON are read as if they were form parameters",
        acts_in=("forms",),
        caught_by=("SCN-CREATE-JSON",),
        selection="test_json_body",
        breaks=("SIM-REQ-001",),
        kind="encoding",
    ),
    Fault(
        "move-keeps-foreign-fleet",
        "a Sim with a fleet moves to another account without a Fleet, keeping the old one",
        acts_in=("updates",),
        caught_by=("SCN-MOVE-FLEET",),
        selection="test_sim_with_fleet_needs_a_fleet",
        breaks=("SIM-MOVE-008",),
        kind="loose-check",
    ),
)

#: Every planted fault, in the order docs/mock.md lists them.
PLANTED: tuple[Fault, ...] = _FIRST + values.FAULTS + pages.FAULTS + callbacks.FAULTS + rules.FAULTS

#: Every planted fault: name -> one-line description of the rule it breaks.
FAULTS: dict[str, str] = {fault.name: fault.description for fault in PLANTED}

if len(FAULTS) != len(PLANTED):
    raise ValueError("duplicate fault name in PLANTED")


class UnknownFaultError(ValueError):
    """Raised for a fault name that is not in :data:`FAULTS`."""


def validate_faults(names: Iterable[str]) -> frozenset[str]:
    """Return the names as a frozenset, or raise :class:`UnknownFaultError` naming the bad one(s)."""
    return known_names(names, FAULTS, "fault", UnknownFaultError)


def known_names(names: Iterable[str], known: Mapping[str, str], kind: str, error: type[ValueError]) -> frozenset[str]:
    """``names`` as a frozenset, or ``error`` naming the unknown ones and every known ``kind``."""
    chosen = frozenset(names)
    unknown = sorted(chosen - known.keys())
    if unknown:
        raise error(f"unknown {kind}(s) {', '.join(map(repr, unknown))}; known {kind}s: {', '.join(sorted(known))}")
    return chosen


# ---------------------------------------------------------------------------------------
# the table in docs/mock.md
# ---------------------------------------------------------------------------------------
DOCS_START = "<!-- faults:start (generated from conformance/mock/faults.py: do not edit by hand) -->"
DOCS_END = "<!-- faults:end -->"
#: The one-line command that rewrites the table in docs/mock.md (run from the repository root).
REGENERATE = "python -c \"from conformance.mock.faults import write_docs; write_docs('docs/mock.md')\""


def markdown_table() -> str:
    """The fault table of docs/mock.md, one row per entry of :data:`PLANTED`."""

    def code(items: Iterable[str]) -> str:
        return ", ".join(f"`{item}`" for item in items)

    rows = [
        "| fault | effect | acts in (`conformance.mock.…`) | caught by | suite tests that catch it (`-k`) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for fault in PLANTED:
        cells = [
            code([fault.name]),
            fault.description,
            code(fault.acts_in),
            code(fault.caught_by) + (f" (a {fault.level}: a warning)" if fault.level != "MUST" else ""),
            code([fault.selection]),
        ]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def with_table(document: str) -> str:
    """``document`` with the text between the fault-table markers replaced by :func:`markdown_table`."""
    from conformance.mock.errors import between_markers

    return between_markers(document, DOCS_START, DOCS_END, markdown_table())


def write_docs(path: str | Path) -> bool:
    """Regenerate the fault table (and the error-code table) in the Markdown file at ``path``; True if it changed."""
    from conformance.mock import errors

    path = Path(path)
    old = path.read_text(encoding="utf-8")
    new = with_table(old)
    if errors.DOCS_START in new:
        new = errors.with_table(new)
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old
