"""The fault table (``conformance.mock.faults.PLANTED``) is true, and docs/mock.md shows it as it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import conformance.mock
from conformance.mock import faults
from conformance.mock.faults import FAULTS, PLANTED

ROOT = Path(__file__).resolve().parents[2]
MOCK_DIR = Path(conformance.mock.__file__).parent


def test_docs_fault_table_is_generated_from_the_table():
    document = (ROOT / "docs" / "mock.md").read_text(encoding="utf-8")
    assert faults.DOCS_START in document and faults.DOCS_END in document
    assert faults.with_table(document) == document, (
        f"docs/mock.md's fault table is stale; regenerate it from the repository root with: {faults.REGENERATE}"
    )


def test_docs_error_code_table_is_generated_from_the_codes():
    from conformance.mock import errors

    document = (ROOT / "docs" / "mock.md").read_text(encoding="utf-8")
    assert errors.with_table(document) == document, (
        f"docs/mock.md's error-code table is stale; regenerate it from the repository root with: {faults.REGENERATE}"
    )
    # every code the mock can answer is in the table, each cites its page or says none was found
    assert {e.code for e in errors.CODES} == set(errors.ERROR_CODES)
    for entry in errors.CODES:
        assert entry.source is None or entry.source.endswith(f"/errors/{entry.code}")


def test_regenerating_writes_the_table_between_the_markers(tmp_path):
    doc = tmp_path / "mock.md"
    doc.write_text(f"# before\n\n{faults.DOCS_START}\nold rows\n{faults.DOCS_END}\n\nafter\n", encoding="utf-8")
    assert faults.write_docs(doc) is True
    text = doc.read_text(encoding="utf-8")
    assert "old rows" not in text and text.startswith("# before\n") and text.endswith("\n\nafter\n")
    assert all(f"| `{fault.name}` |" in text for fault in PLANTED)
    assert faults.write_docs(doc) is False
    with pytest.raises(ValueError, match="markers"):
        faults.with_table("no markers here")


def test_faults_is_the_table_by_name():
    assert FAULTS == {fault.name: fault.description for fault in PLANTED}
    assert len(FAULTS) == len(PLANTED)


@pytest.mark.parametrize("fault", PLANTED, ids=lambda fault: fault.name)
def test_each_entry_is_complete(fault):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", fault.name)
    assert fault.description and "\n" not in fault.description
    assert fault.acts_in and fault.caught_by and fault.selection.strip()
    assert all(re.fullmatch(r"[A-Z]+(-[A-Z0-9]+)+", check) for check in fault.caught_by)


def test_each_fault_acts_exactly_where_the_table_says():
    sources = {path.stem: path.read_text(encoding="utf-8") for path in MOCK_DIR.glob("*.py") if path.stem != "faults"}
    wrong = {}
    for fault in PLANTED:
        found = tuple(sorted(module for module, text in sources.items() if f'"{fault.name}"' in text))
        if found != tuple(sorted(fault.acts_in)):
            wrong[fault.name] = {"table": fault.acts_in, "code": found}
    assert not wrong, f"acts_in of these faults does not match the modules that test for them: {wrong}"


def test_every_fault_names_registered_checks_that_catch_it():
    """``caught_by`` names checks of the registry (all of them load with ``load_all``)."""
    from conformance.checks import load_all
    from conformance.mock.faults import PLANTED

    registered = set(load_all())
    for fault in PLANTED:
        assert fault.caught_by, f"{fault.name} names no check that catches it"
        unknown = set(fault.caught_by) - registered
        assert not unknown, f"{fault.name}: caught_by names unregistered check IDs {sorted(unknown)}"
