"""Planted faults: values (see :mod:`conformance.mock.planted`).

Values written and read back, timestamps, addressing by SID and by name. Each fault is a way a
mock written under deadline gets one of these wrong, and each is caught by an invariant of
``conformance/suite/test_values.py`` that would catch its siblings too: a value written reads
back identical everywhere (SCN-VALUE-ROUNDTRIP), one Sim has one representation
(SCN-ONE-REPRESENTATION), only the exact key addresses a Sim (SCN-ADDR-EXACT), and the dates
follow the target's own clock (SCN-DATES-LIFE).
"""

from __future__ import annotations

from conformance.mock.planted.model import Fault

FAULTS: tuple[Fault, ...] = (
    # --- form decoding of the values written ---------------------------------------------------
    Fault(
        "form-plus-as-space",
        'a "+" in a form value (sent as %2B) is read as a space: decoded once more after percent-decoding',
        acts_in=("forms",),
        caught_by=("SCN-VALUE-ROUNDTRIP",),
        selection="values_name_roundtrip_characters",
        breaks=("SIM-PROP-003", "SIM-UPDATE-001", "SIM-UPDATE-002"),
        kind="encoding",
    ),
    Fault(
        "form-decoded-twice",
        'form values are percent-decoded twice (a name "conf%41%25" is stored as "confA%")',
        acts_in=("forms",),
        caught_by=("SCN-VALUE-ROUNDTRIP",),
        selection="values_name_roundtrip_characters",
        breaks=("SIM-PROP-003", "SIM-UPDATE-001", "SIM-UPDATE-002"),
        kind="encoding",
    ),
    Fault(
        "form-utf8-read-as-latin1",
        'percent-encoded UTF-8 in form values is decoded as Latin-1 ("Zürich" is stored as "ZÃ¼rich")',
        acts_in=("forms",),
        caught_by=("SCN-VALUE-ROUNDTRIP",),
        selection="values_name_roundtrip_characters",
        breaks=("SIM-PROP-003", "SIM-UPDATE-002"),
        kind="encoding",
    ),
    Fault(
        "unique-name-cut-to-63",
        "a UniqueName of the longest accepted length (64) is answered 200 but stored without its last character",
        acts_in=("forms",),
        caught_by=("SCN-VALUE-ROUNDTRIP",),
        selection="values_name_roundtrip_lengths",
        breaks=("SIM-PROP-003", "SIM-UPDATE-002"),
        kind="off-by-one",
    ),
    Fault(
        "unique-name-lowercased",
        "unique names are stored lower-cased (an application-defined string changed by the server)",
        acts_in=("forms",),
        caught_by=("SCN-VALUE-ROUNDTRIP",),
        selection="values_name_roundtrip_characters",
        breaks=("SIM-PROP-003", "SIM-UPDATE-002"),
        kind="wrong-value",
    ),
    # --- addressing ----------------------------------------------------------------------------
    Fault(
        "unique-name-prefix-lookup",
        "a unique name in the URL also addresses the Sim whose name starts with it (a prefix match)",
        acts_in=("access",),
        caught_by=("SCN-ADDR-EXACT", "RESP-FETCH-IDENTITY"),
        selection="values_exact_addressing",
        breaks=("SIM-ADDR-003", "SIM-FETCH-002", "SIM-PROP-003"),
        kind="partial-match",
    ),
    Fault(
        "unique-name-lookup-trimmed",
        "the unique name in the URL is trimmed of spaces before the lookup (a name with a trailing space addresses it)",
        acts_in=("access",),
        caught_by=("SCN-ADDR-EXACT", "RESP-FETCH-IDENTITY"),
        selection="values_exact_addressing",
        breaks=("SIM-ADDR-003", "SIM-FETCH-002"),
        kind="partial-match",
    ),
    Fault(
        "unique-name-path-not-decoded",
        "the unique name in the URL is looked up still percent-encoded (names with spaces or non-ASCII letters 404)",
        acts_in=("access",),
        caught_by=("SCN-VALUE-ROUNDTRIP",),
        selection="values_name_roundtrip_characters",
        breaks=("SIM-ADDR-002", "SIM-ADDR-003", "SIM-FETCH-002"),
        kind="encoding",
    ),
    Fault(
        "sid-read-by-first-34-characters",
        "a SID in the URL is read by its first 34 characters (the SID with characters added addresses the Sim)",
        acts_in=("access",),
        caught_by=("SCN-ADDR-EXACT", "RESP-FETCH-IDENTITY"),
        selection="values_dates_over_updates",
        breaks=("SIM-ADDR-001", "SIM-PROP-002"),
        kind="partial-match",
    ),
    Fault(
        "registered-sim-not-fetchable",
        "a Sim registered after the server started is not found by its SID (404): only the loaded Sims are",
        acts_in=("access",),
        caught_by=("SCN-DATES-LIFE", "SCN-CREATE"),
        selection="values_dates_of_a_registered_sim",
        breaks=("SIM-FETCH-001", "SIM-ADDR-001"),
        kind="missing",
    ),
    Fault(
        "sid-changes-on-rename",
        "a Sim gets a new SID when its UniqueName changes (the SID derived from the name)",
        acts_in=("tables",),
        caught_by=("SCN-VALUE-ROUNDTRIP", "RESP-FETCH-IDENTITY"),
        selection="values_name_roundtrip_lengths",
        breaks=("SIM-PROP-002", "SIM-ADDR-001", "SIM-FETCH-001"),
        kind="moving",
    ),
    Fault(
        "unique-name-index-stale",
        "names set through the API are missing from the index the uniqueness check reads (found by a scan), "
        "so a second Sim of the account can take one",
        acts_in=("tables", "access"),
        caught_by=("SCN-UNIQUE-NAME",),
        selection="test_unique_name",
        breaks=("SIM-ERR-005",),
        kind="stale",
    ),
    # --- values that change, or do not, when they must not -------------------------------------
    Fault(
        "fleet-update-clears-name",
        "an update that changes the Fleet but sends no UniqueName also clears unique_name",
        acts_in=("tables",),
        caught_by=("SCN-VALUE-ROUNDTRIP",),
        selection="values_dates_over_updates",
        breaks=("SIM-PROP-003",),
        kind="moving",
    ),
    Fault(
        "update-answer-not-persisted",
        "a synchronous update answers 200 with the new values but the Sim keeps its old ones",
        acts_in=("store",),
        caught_by=("SCN-VALUE-ROUNDTRIP",),
        selection="values_name_roundtrip_lengths",
        breaks=("SIM-UPDATE-001", "SIM-PROP-003"),
        kind="missing",
    ),
    Fault(
        "list-shows-previous-version",
        "a list page shows each Sim as it was before its last change (a list cache refreshed one change late)",
        acts_in=("tables", "store"),
        caught_by=("SCN-VALUE-ROUNDTRIP", "SCN-ONE-REPRESENTATION"),
        selection="values_name_roundtrip_lengths",
        breaks=("SIM-PROP-003", "SIM-PROP-012"),
        kind="stale",
    ),
    Fault(
        "name-fetch-cached",
        "fetch by unique name is answered from a cache that updates never invalidate (a stale copy)",
        acts_in=("store",),
        caught_by=("SCN-ONE-REPRESENTATION",),
        selection="values_dates_over_updates",
        breaks=("SIM-ADDR-003", "SIM-FETCH-002"),
        kind="stale",
    ),
    Fault(
        "list-iccid-cut",
        "list pages show each Sim's iccid without its last digit (fetch shows it whole)",
        acts_in=("store",),
        caught_by=("SCN-ONE-REPRESENTATION",),
        selection="values_one_representation",
        breaks=("SIM-PROP-006",),
        kind="off-by-one",
    ),
    Fault(
        "list-sid-uppercase",
        "list pages show each Sim's sid with upper-case hex digits (fetch shows the SID it is addressed by)",
        acts_in=("store",),
        caught_by=("SCN-ONE-REPRESENTATION",),
        selection="values_one_representation",
        breaks=("SIM-PROP-002",),
        kind="wrong-value",
    ),
    Fault(
        "iccid-as-number",
        "iccid is rendered as a JSON number instead of the string the SIM was registered with",
        acts_in=("render",),
        caught_by=("RESP-SIM-SCHEMA", "RESP-PAGE-SCHEMA"),
        selection="test_fetch_by_sid",
        breaks=("SIM-PROP-006",),
        kind="wrong-value",
    ),
    # --- timestamps ----------------------------------------------------------------------------
    Fault(
        "date-created-reset-on-update",
        "every update sets date_created to the time of the update",
        acts_in=("tables",),
        caught_by=("SCN-DATES-LIFE",),
        selection="values_dates_over_updates",
        breaks=("SIM-PROP-011",),
        kind="moving",
    ),
    Fault(
        "date-updated-only-on-status",
        "date_updated moves only when the status changes (a UniqueName or Fleet update leaves it)",
        acts_in=("tables",),
        caught_by=("SCN-DATES-LIFE",),
        selection="values_dates_over_updates",
        breaks=("SIM-PROP-012",),
        kind="stale",
    ),
    Fault(
        "date-updated-moves-on-read",
        "every fetch of a Sim moves its date_updated (a read stamped as an update)",
        acts_in=("store",),
        caught_by=("SCN-DATES-LIFE", "SCN-ONE-REPRESENTATION"),
        selection="values_dates_over_updates",
        breaks=("SIM-PROP-012",),
        kind="moving",
    ),
    Fault(
        "date-updated-an-hour-behind",
        "updates stamp date_updated an hour behind GMT (local time of GMT-1 written with a Z; it can go backwards)",
        acts_in=("tables",),
        caught_by=("SCN-DATES-LIFE", "RESP-SIM-DATES"),
        selection="values_dates_of_a_registered_sim",
        breaks=("SIM-PROP-012",),
        kind="wrong-value",
    ),
    Fault(
        "dates-an-hour-ahead",
        "every date the server stamps is an hour ahead of GMT (local time of GMT+1 written with a Z)",
        acts_in=("state",),
        caught_by=("SCN-DATES-LIFE",),
        selection="values_dates_of_a_registered_sim",
        breaks=("SIM-PROP-011", "SIM-PROP-012"),
        kind="wrong-value",
    ),
)

#: Testable requirements of this area that have only one distinct way to break them: id -> why.
ONE_WAY: dict[str, str] = {}
