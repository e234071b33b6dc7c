"""Scenario checks: rules that take several requests to observe (walks, transitions, callbacks).

Only the IDs, titles and requirements live here (one registry, one place to read them); the
scenarios in ``conformance/suite/`` raise them through ``fail``/``expect``.
"""

from __future__ import annotations

from conformance.checks import scenario_check as _c

# --- addressing and fetch -----------------------------------------------------------------
FETCH_BY_SID = _c(
    "SCN-FETCH-SID",
    requirements=["SIM-FETCH-001", "SIM-ADDR-001", "SIM-PROP-002"],
    title="Fetching a Sim by its SID answers 200 with that Sim",
)
FETCH_BY_NAME = _c(
    "SCN-FETCH-NAME",
    requirements=["SIM-ADDR-002", "SIM-ADDR-003", "SIM-FETCH-002"],
    title="Fetching by unique name answers the same Sim as fetching by SID",
)
FETCH_UNKNOWN = _c(
    "SCN-FETCH-404",
    requirements=["SIM-ERR-001", "SIM-ERR-002"],
    title="An unknown SID or unique name answers 404 with Twilio error 20404",
)

STEP = _c(
    "SCN-STEP",
    requirements=["SIM-FETCH-001", "SIM-ADDR-001"],
    title="A Sim a scenario holds can be fetched by its SID (a step every stateful scenario rests on)",
)

# --- lists, pagination, filters -----------------------------------------------------------
LIST_DEFAULT = _c(
    "SCN-LIST-DEFAULT",
    requirements=["SIM-LIST-001", "SIM-PAGE-001", "SIM-PAGE-009", "SIM-LIST-008"],
    title="A plain list answers page 0 of 50 with previous_page_url null",
)
PAGE_WALK = _c(
    "SCN-PAGE-WALK",
    requirements=[
        "SIM-PAGE-007",
        "SIM-PAGE-008",
        "SIM-PAGE-009",
        "SIM-LIST-004",
        "SIM-LIST-005",
        "SIM-LIST-006",
        "SIM-LIST-007",
        "SIM-PAGE-006",
        "SIM-PAGE-005",
    ],
    title="Walking next_page_url visits every Sim exactly once; next/previous null exactly at the ends",
)
PAGE_SIZE_BOUNDS = _c(
    "SCN-PAGE-SIZE-BOUNDS",
    requirements=["SIM-PAGE-002", "SIM-PAGE-003", "SIM-ERR-003"],
    title="PageSize 1 and 1000 are honoured; 0, 1001 and non-integers answer 400",
)
PAGE_INDEX_BOUNDS = _c(
    "SCN-PAGE-INDEX-BOUNDS", requirements=["SIM-PAGE-004", "SIM-ERR-003"], title="A negative Page answers 400"
)
FILTER_STATUS = _c(
    "SCN-FILTER-STATUS",
    requirements=["SIM-FILTER-001", "SIM-FILTER-002"],
    title="Each Status filter answers exactly the Sims in that status",
)
FILTER_FLEET = _c(
    "SCN-FILTER-FLEET",
    requirements=["SIM-FILTER-003", "SIM-FILTER-004"],
    title="The Fleet filter by SID and by unique name answer the same Sims, all of that fleet",
)
FILTER_ICCID = _c(
    "SCN-FILTER-ICCID",
    requirements=["SIM-FILTER-005", "SIM-FILTER-006", "SIM-FILTER-007"],
    title="The Iccid filter answers exactly the one Sim with that ICCID, or an empty list",
)
FILTER_COMBINED = _c(
    "SCN-FILTER-COMBINED",
    requirements=["SIM-FILTER-001", "SIM-FILTER-003", "SIM-LIST-010"],
    title="Status and Fleet filters combine (intersection) and stay in the page URLs",
)

# --- auth ---------------------------------------------------------------------------------
AUTH_MISSING = _c(
    "SCN-AUTH-MISSING",
    requirements=["SIM-AUTH-001", "SIM-AUTH-002"],
    title="A request without credentials answers 401 with Twilio error 20003",
)
AUTH_WRONG = _c(
    "SCN-AUTH-WRONG",
    requirements=["SIM-AUTH-001", "SIM-AUTH-002"],
    title="A wrong Auth Token answers 401 with Twilio error 20003",
)
AUTH_OTHER_ACCOUNT = _c(
    "SCN-AUTH-OTHER-ACCOUNT",
    requirements=["SIM-AUTH-003", "SIM-AUTH-004", "SIM-FILTER-007"],
    title="Another account's Sim is invisible: 404 (never 403), absent from lists and filters",
)

# --- registration -------------------------------------------------------------------------
CREATE = _c(
    "SCN-CREATE",
    requirements=["SIM-CREATE-001", "SIM-CREATE-005", "SIM-CREATE-006", "SIM-FILTER-006"],
    title="Registering a card answers 201 with a new Sim that can then be fetched and found by ICCID",
)
CREATE_FORM_ONLY = _c(
    "SCN-CREATE-JSON",
    requirements=["SIM-REQ-001"],
    title="Registration parameters sent as JSON instead of a form body are not accepted",
)
CREATE_ERRORS = _c(
    "SCN-CREATE-ERRORS",
    requirements=["SIM-CREATE-002", "SIM-CREATE-003", "SIM-CREATE-004"],
    title="Registration without Iccid or RegistrationCode, with a wrong code, or twice, is rejected",
)

# --- updates and transitions --------------------------------------------------------------
UNIQUE_NAME = _c(
    "SCN-UNIQUE-NAME",
    requirements=["SIM-UPDATE-002", "SIM-ERR-005", "SIM-ADDR-003"],
    title="UniqueName is set synchronously, addresses the Sim, and is unique within the account",
)
UPDATE_FLEET_SYNC = _c(
    "SCN-UPDATE-FLEET-SYNC",
    requirements=["SIM-UPDATE-001", "SIM-UPDATE-004", "SIM-UPDATE-005", "SIM-ASYNC-011", "SIM-PROP-010"],
    title="A fleet change of a new Sim is synchronous; Fleet by unique name sets that fleet's SID",
)
UPDATE_INVALID = _c(
    "SCN-UPDATE-INVALID",
    requirements=["SIM-UPDATE-003", "SIM-UPDATE-007", "SIM-ERR-004"],
    title="Status outside ready/active/inactive and CallbackMethod outside GET/POST answer 400",
)
READY_ONLY_FROM_NEW = _c(
    "SCN-TRANS-READY", requirements=["SIM-TRANS-002"], title="Status ready is refused for a Sim that is not new"
)
NO_RETURN_TO_NEW = _c(
    "SCN-TRANS-NEW",
    requirements=["SIM-TRANS-001", "SIM-UPDATE-003"],
    title="A Sim that left new can never be set back to new",
)
ASYNC_ACTIVATE = _c(
    "SCN-ASYNC-ACTIVATE",
    requirements=["SIM-ASYNC-001", "SIM-ASYNC-002", "SIM-ASYNC-003", "SIM-ASYNC-006", "SIM-TRANS-006", "SIM-PROP-012"],
    title="Activating a new Sim answers scheduled, then reaches the requested status",
)
ASYNC_DEACTIVATE = _c(
    "SCN-ASYNC-DEACTIVATE",
    requirements=["SIM-ASYNC-001", "SIM-ASYNC-002", "SIM-ASYNC-003", "SIM-ASYNC-007", "SIM-TRANS-006", "SIM-PROP-012"],
    title="Deactivating an active Sim answers scheduled, then reaches inactive",
)
ASYNC_REACTIVATE = _c(
    "SCN-ASYNC-REACTIVATE",
    requirements=["SIM-ASYNC-001", "SIM-ASYNC-002", "SIM-ASYNC-003", "SIM-ASYNC-008", "SIM-TRANS-006", "SIM-PROP-012"],
    title="Reactivating an inactive Sim answers scheduled, then reaches active",
)
ASYNC_FLEET = _c(
    "SCN-ASYNC-FLEET",
    requirements=["SIM-ASYNC-001", "SIM-ASYNC-004", "SIM-ASYNC-005", "SIM-ASYNC-009", "SIM-ASYNC-010"],
    title="A fleet change of an active Sim is scheduled with the existing fleet_sid, then shows the new one",
)
ACTIVATE_NEEDS_FLEET = _c(
    "SCN-ACTIVATE-NEEDS-FLEET",
    requirements=["SIM-STATUS-001"],
    title="Activating a Sim that has no Fleet, and gets none in the request, is refused and changes nothing",
)
ACTIVATE_WITH_FLEET = _c(
    "SCN-ACTIVATE-WITH-FLEET",
    requirements=["SIM-STATUS-001", "SIM-ASYNC-004", "SIM-ASYNC-005", "SIM-ASYNC-006", "SIM-UPDATE-004"],
    title="Status and Fleet in one request: scheduled with the existing fleet_sid, then active in the new fleet",
)
FLEET_REQUIRED = _c(
    "SCN-FLEET-REQUIRED",
    requirements=["SIM-TRANS-007"],
    title="A ready or active Sim cannot lose its Fleet, unless it is deactivated in the same request",
)
ERROR_CODE = _c(
    "SCN-ERROR-CODE",
    requirements=[f"SIM-ERR-{n:03d}" for n in range(8, 16)],
    title="Refusals carry the Super SIM error code Twilio's error dictionary gives for them",
)
AUTO_ACTIVE = _c(
    "SCN-AUTO-ACTIVE",
    requirements=["SIM-TRANS-003", "SIM-TRANS-004", "SIM-TRANS-005"],
    title="A ready Sim becomes active after 250 KB, five SMS Commands or three months",
)

# --- callbacks ----------------------------------------------------------------------------
CALLBACK_POST = _c(
    "SCN-CB-POST",
    requirements=[
        "SIM-CB-001",
        "SIM-CB-002",
        "SIM-CB-003",
        "SIM-CB-004",
        "SIM-CB-005",
        "SIM-CB-006",
        "SIM-UPDATE-006",
        "SIM-UPDATE-008",
    ],
    title="One POST callback per asynchronous update, form-encoded, with the four parameters",
)
CALLBACK_GET = _c(
    "SCN-CB-GET",
    requirements=["SIM-CB-001", "SIM-CB-007", "SIM-CB-002", "SIM-CB-003", "SIM-CB-004", "SIM-CB-005", "SIM-UPDATE-006"],
    title="With CallbackMethod GET the parameters arrive in the query string",
)
CALLBACK_SIGNATURE = _c(
    "SCN-CB-SIGNATURE",
    requirements=["SIM-CB-009"],
    title="Callbacks carry an X-Twilio-Signature valid for the account's Auth Token",
)

# --- moving between accounts --------------------------------------------------------------
MOVE_TO_SUB = _c(
    "SCN-MOVE-TO-SUB",
    requirements=["SIM-MOVE-001", "SIM-MOVE-002", "SIM-MOVE-003", "SIM-MOVE-009"],
    title="The primary moves a new Sim to its subaccount; it then belongs to the subaccount",
)
MOVE_FROM_SUB = _c(
    "SCN-MOVE-FROM-SUB",
    requirements=["SIM-MOVE-004", "SIM-MOVE-005", "SIM-MOVE-009"],
    title="The primary moves a subaccount's new Sim to another subaccount and back to itself",
)
MOVE_RULES = _c(
    "SCN-MOVE-RULES",
    requirements=["SIM-MOVE-006", "SIM-MOVE-007", "SIM-MOVE-002"],
    title="Moves to an unrelated account, or of a Sim that is not new, are refused",
)
MOVE_INACTIVE = _c(
    "SCN-MOVE-INACTIVE",
    requirements=["SIM-MOVE-010", "SIM-MOVE-009"],
    title="Moving an inactive Sim is refused or, with the private beta, done (both are right)",
)
MOVE_FLEET = _c(
    "SCN-MOVE-FLEET",
    requirements=["SIM-MOVE-008"],
    title="A Sim with a fleet moves only with a fleet of the new account or an empty Fleet",
)
SAFE_FOREIGN_HOST = _c(
    "SAFE-FOREIGN-HOST",
    requirements=["SIM-PAGE-010", "SIM-PROP-013"],
    title="URLs the target hands out stay on the target (credentials are never sent elsewhere)",
)

# --- values: invariants across requests (issue 12) ----------------------------------------
VALUE_ROUNDTRIP = _c(
    "SCN-VALUE-ROUNDTRIP",
    requirements=[
        "SIM-PROP-003",
        "SIM-UPDATE-001",
        "SIM-UPDATE-002",
        "SIM-ADDR-002",
        "SIM-ADDR-003",
        "SIM-FETCH-002",
        "SIM-PROP-002",
        "SIM-FETCH-001",
        "SIM-ADDR-001",
    ],
    title="A value the suite writes reads back identical: in the update's answer, by SID, by name and in a list",
)
ADDR_EXACT = _c(
    "SCN-ADDR-EXACT",
    requirements=["SIM-ADDR-003", "SIM-FETCH-002", "SIM-PROP-003", "SIM-ADDR-001", "SIM-PROP-002"],
    title="Only the exact unique name or SID addresses a Sim (not a prefix, one character more, a trailing space)",
)
DATES_LIFE = _c(
    "SCN-DATES-LIFE",
    requirements=["SIM-PROP-011", "SIM-PROP-012", "SIM-FETCH-001", "SIM-ADDR-001"],
    title="date_created never changes; date_updated follows the target's clock on every update, never on reads",
)
ONE_REPRESENTATION = _c(
    "SCN-ONE-REPRESENTATION",
    requirements=[
        "SIM-PROP-002",
        "SIM-PROP-003",
        "SIM-PROP-006",
        "SIM-PROP-011",
        "SIM-PROP-012",
        "SIM-ADDR-003",
        "SIM-FETCH-001",
        "SIM-FETCH-002",
    ],
    title="Fetch by SID, fetch by unique name and a list page answer the same representation of a Sim",
)

# --- asynchronous updates and callbacks: invariants across requests (issue 12) -------------
CALLBACK_ARRIVAL = _c(
    "SCN-CB-ARRIVAL",
    requirements=[
        "SIM-CB-001",
        "SIM-CB-004",
        "SIM-UPDATE-006",
        "SIM-ASYNC-003",
        "SIM-ASYNC-005",
        "SIM-ASYNC-010",
        "SIM-TRANS-006",
    ],
    title="When a callback arrives the Sim already shows the final state it reports, and keeps it",
)
ASYNC_SYNC = _c(
    "SCN-ASYNC-SYNC",
    requirements=["SIM-ASYNC-011"],
    title="Updates outside the four asynchronous scenarios (a UniqueName, a CallbackUrl alone) are not scheduled",
)

# --- pages: invariants across requests (issue 12) ---
PAGE_LINKS = _c(
    "SCN-PAGE-LINKS",
    requirements=[
        "SIM-LIST-004",
        "SIM-LIST-005",
        "SIM-LIST-006",
        "SIM-LIST-007",
        "SIM-LIST-008",
        "SIM-LIST-009",
        "SIM-LIST-010",
        "SIM-PAGE-005",
        "SIM-PAGE-006",
    ],
    title="Every link of every page of a walk leads where it says, keeping the filters and PageSize",
)
PAGE_COMPLETE = _c(
    "SCN-PAGE-COMPLETE",
    requirements=["SIM-PAGE-007", "SIM-PAGE-008", "SIM-LIST-001"],
    title="A walk at any page size visits every Sim of the account exactly once and ends on a non-empty last page",
)
FILTER_EXACT = _c(
    "SCN-FILTER-EXACT",
    requirements=["SIM-FILTER-003", "SIM-FILTER-005", "SIM-FILTER-006", "SIM-FILTER-007"],
    title="Filters match exactly: an altered ICCID or Fleet, or another account's ICCID, matches nothing",
)
FILTER_PAGES = _c(
    "SCN-FILTER-PAGES",
    requirements=["SIM-FILTER-001", "SIM-FILTER-002", "SIM-LIST-010"],
    title="Each Status filter, walked page by page, answers exactly the account's Sims in that status",
)
LIST_SCOPE = _c(
    "SCN-LIST-SCOPE",
    requirements=["SIM-AUTH-004", "SIM-LIST-001"],
    title="Every page of every list (any filter), of the primary and of a subaccount, holds only that account's Sims",
)
LIST_ITEM = _c(
    "SCN-LIST-ITEM",
    requirements=["SIM-LIST-003"],
    title="A Sim on a list page is the Sim fetched by its SID, field for field",
)

# --- rules: properties, registration, moves, errors, methods (issue 12) ---------------------
METHODS = _c(
    "SCN-METHODS",
    requirements=["SIM-ERR-007", "SIM-ERR-002"],
    title="PUT, PATCH and DELETE on the Sim endpoints answer a 4xx (never 2xx or 5xx) and change nothing",
)
