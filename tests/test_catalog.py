"""The requirement catalog (schemas/requirements.yaml) is itself data under test.

Like JSON-Schema-Test-Suite's cases, the catalog is validated by a schema
(requirements.schema.json) and by sanity tests that a schema cannot express: unique IDs
and titles, every quote verbatim in the documentation page, and coverage of the page.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance import contract

ID_PATTERN = re.compile(r"^SIM-([A-Z]+)-([0-9]{3})$")
LEVELS = {"MUST", "SHOULD", "MAY"}
DOC_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "sim-resource-doc.txt"

#: Every area the Sim Resource page (and the Twilio conventions we add) covers.
REQUIRED_AREAS = {
    "PROP",
    "ADDR",
    "STATUS",
    "TRANS",
    "CREATE",
    "FETCH",
    "LIST",
    "FILTER",
    "PAGE",
    "UPDATE",
    "ASYNC",
    "CB",
    "MOVE",
    "AUTH",
    "ERR",
}

#: Statements of the page the catalog must not lose (matched as substrings of quotes).
MUST_HAVE_QUOTES = [
    "zero or one SIMs",
    "cannot be returned to new",
    "can only be updated to ready if it is currently new",
    "250KB",
    "scheduled",
    "query string",
    "HTML form parameters",
    "Subaccount",
    "null, in the fleet parameter",
]


def _document() -> dict[str, Any]:
    return yaml.safe_load((contract.schemas_dir() / "requirements.yaml").read_text(encoding="utf-8"))


def _validator():
    return contract.validator_for_schema(contract.load_json_schema("requirements.schema.json"))


def _errors(document: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(document)]


@pytest.fixture(scope="module")
def catalog() -> list[dict[str, Any]]:
    return contract.load_catalog()


@pytest.fixture(scope="module")
def doc_text() -> str:
    if not DOC_PATH.is_file():
        pytest.skip(
            "../shared/reference/sim-resource-doc.txt is absent (a user's fresh clone); the quote check runs in CI"
        )
    return DOC_PATH.read_text(encoding="utf-8")


# --- the schema ---------------------------------------------------------------------------


def test_schema_is_a_valid_2020_12_schema():
    schema = contract.load_json_schema("requirements.schema.json")
    assert schema["$id"] == "https://supersim-conformance.dev/schemas/requirements.schema.json"
    _validator().check_schema(schema)


def test_catalog_validates_against_its_schema():
    assert _errors(_document()) == []


def test_load_catalog_returns_the_entries_in_file_order(catalog):
    assert catalog == _document()["requirements"]


# --- a broken entry is rejected (the schema can fail) ---------------------------------------

_GOOD_DOC_ENTRY = {
    "id": "SIM-PROP-999",
    "level": "MUST",
    "title": "a title",
    "quote": "Pattern: ^HS[0-9a-fA-F]{32}$",
    "section": "Sim Properties",
    "source": "doc",
    "testable": True,
}
_GOOD_CONVENTION_ENTRY = {
    "id": "SIM-ERR-999",
    "level": "MUST",
    "title": "another title",
    "reference": "Twilio error 20404",
    "section": "Twilio REST API conventions",
    "source": "convention",
    "testable": True,
}


def _wrap(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "document": "test", "requirements": list(entries)}


def test_hand_built_good_entries_are_accepted():
    untestable = dict(_GOOD_DOC_ENTRY, id="SIM-PROP-998", testable=False, untestable_reason="network only")
    retired = dict(_GOOD_DOC_ENTRY, id="SIM-PROP-997", retired=True, retired_reason="the page dropped it")
    assert _errors(_wrap(_GOOD_DOC_ENTRY, _GOOD_CONVENTION_ENTRY, untestable, retired)) == []


def _without(entry: dict[str, Any], key: str) -> dict[str, Any]:
    out = copy.deepcopy(entry)
    del out[key]
    return out


BROKEN_ENTRIES = {
    "doc entry without quote": _without(_GOOD_DOC_ENTRY, "quote"),
    "convention entry without reference": _without(_GOOD_CONVENTION_ENTRY, "reference"),
    "bad level": dict(_GOOD_DOC_ENTRY, level="MUSTNT"),
    "lower-case level": dict(_GOOD_DOC_ENTRY, level="must"),
    "bad id (two digits)": dict(_GOOD_DOC_ENTRY, id="SIM-PROP-01"),
    "bad id (prefix)": dict(_GOOD_DOC_ENTRY, id="REQ-PROP-001"),
    "bad source": dict(_GOOD_DOC_ENTRY, source="blog"),
    "untestable without reason": dict(_GOOD_DOC_ENTRY, testable=False),
    "testable given a reason": dict(_GOOD_DOC_ENTRY, untestable_reason="why?"),
    "testable not a boolean": dict(_GOOD_DOC_ENTRY, testable="yes"),
    "retired without reason": dict(_GOOD_DOC_ENTRY, retired=True),
    "unknown property": dict(_GOOD_DOC_ENTRY, remark="free text"),
    "missing title": _without(_GOOD_DOC_ENTRY, "title"),
    "missing section": _without(_GOOD_DOC_ENTRY, "section"),
    "multi-line quote": dict(_GOOD_DOC_ENTRY, quote="line one\nline two"),
}


@pytest.mark.parametrize("entry", list(BROKEN_ENTRIES.values()), ids=list(BROKEN_ENTRIES))
def test_schema_rejects_a_broken_entry(entry):
    assert _errors(_wrap(entry)), "the schema accepted a broken entry"


@pytest.mark.parametrize(
    "document",
    [
        {"version": 2, "document": "x", "requirements": [_GOOD_DOC_ENTRY]},
        {"document": "x", "requirements": [_GOOD_DOC_ENTRY]},
        {"version": 1, "document": "x", "requirements": []},
        {"version": 1, "document": "x", "requirements": [_GOOD_DOC_ENTRY], "extra": True},
    ],
    ids=["wrong version", "no version", "no requirements", "unknown top-level key"],
)
def test_schema_rejects_a_broken_document(document):
    assert _errors(document)


# --- sanity the schema cannot express -------------------------------------------------------


def test_ids_are_unique_and_well_formed(catalog):
    ids = [entry["id"] for entry in catalog]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert duplicates == []
    assert [i for i in ids if not ID_PATTERN.match(i)] == []


def test_ids_are_numbered_from_001_within_each_area(catalog):
    """New entries take the next free number; gaps would mean an ID was deleted, not retired."""
    numbers: dict[str, list[int]] = {}
    for entry in catalog:
        area, number = ID_PATTERN.match(entry["id"]).groups()
        numbers.setdefault(area, []).append(int(number))
    for area, found in numbers.items():
        assert sorted(found) == list(range(1, len(found) + 1)), f"area {area} numbers: {sorted(found)}"


def test_levels_are_must_should_may(catalog):
    assert {entry["level"] for entry in catalog} <= LEVELS


def test_titles_are_unique(catalog):
    titles = [entry["title"].strip().lower() for entry in catalog]
    assert [t for t, n in Counter(titles).items() if n > 1] == []


def test_every_quote_is_verbatim_in_the_documentation(catalog, doc_text):
    missing = [
        (entry["id"], entry["quote"]) for entry in catalog if "quote" in entry and entry["quote"] not in doc_text
    ]
    assert missing == [], "quotes not found verbatim in sim-resource-doc.txt"


# --- coverage sanity ------------------------------------------------------------------------


def test_catalog_has_at_least_40_entries(catalog):
    assert len(catalog) >= 40


def test_every_area_has_an_entry(catalog):
    areas = {ID_PATTERN.match(entry["id"]).group(1) for entry in catalog}
    assert REQUIRED_AREAS - areas == set()


@pytest.mark.parametrize("fragment", MUST_HAVE_QUOTES)
def test_key_statement_is_catalogued(catalog, fragment):
    assert any(fragment in entry.get("quote", "") for entry in catalog), f"no entry quotes {fragment!r}"


def test_catalog_has_untestable_and_convention_entries(catalog):
    assert any(not entry["testable"] for entry in catalog)
    assert any(entry["source"] == "convention" for entry in catalog)
    assert all(
        entry["source"] == "convention"
        for entry in catalog
        if ID_PATTERN.match(entry["id"]).group(1) in {"AUTH", "ERR"}
    )


def test_every_error_code_entry_cites_the_page_of_its_code(catalog):
    """A rule sourced from Twilio's error dictionary names the page it comes from (not from the Sim page)."""
    for entry in catalog:
        codes = re.findall(r"Twilio error (\d{5})", entry.get("reference", ""))
        if not codes or entry["id"].startswith("SIM-STATUS"):
            continue
        assert entry.get("url", "").endswith(f"/errors/{codes[0]}"), entry["id"]


def test_should_entries_where_sources_disagree_or_are_silent_say_why(catalog):
    for ident in ("SIM-PAGE-009", "SIM-ERR-003", "SIM-MOVE-010"):
        entry = next(e for e in catalog if e["id"] == ident)
        assert entry["level"] in ("SHOULD", "MAY") and entry.get("note"), ident
