"""The mutation analysis covers the catalog: every testable requirement breaks in planted ways.

The table is read off the fault table (``conformance.mock.planted.analysis``); these tests hold
it to the promise of docs/mutations.md. The zoo (``tests/test_zoo.py``) then proves each fault
is caught by a check the table names, on a requirement it breaks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.checks import load_all
from conformance.contract import load_catalog
from conformance.mock.faults import PLANTED
from conformance.mock.planted import analysis
from conformance.mock.planted.model import KINDS

ROOT = Path(__file__).resolve().parents[2]
TESTABLE = [requirement.id for requirement in analysis.testable_requirements()]


def test_every_fault_says_what_it_breaks_and_how():
    catalog = {entry["id"]: entry for entry in load_catalog()}
    for fault in PLANTED:
        assert fault.breaks, f"{fault.name}: breaks names no requirement"
        for requirement in fault.breaks:
            assert requirement in catalog, f"{fault.name}: {requirement} is not in the catalog"
            entry = catalog[requirement]
            assert entry.get("testable") and not entry.get("retired"), f"{fault.name}: {requirement} is not testable"
        assert fault.kind in KINDS, f"{fault.name}: kind {fault.kind!r} is not one of {sorted(KINDS)}"


def test_each_fault_is_caught_by_a_check_of_a_requirement_it_breaks():
    """Statically: some check named in ``caught_by`` covers one of the requirements in ``breaks``."""
    checks = load_all()
    for fault in PLANTED:
        covered = {requirement for check in fault.caught_by for requirement in checks[check].requirements}
        assert covered & set(fault.breaks), (
            f"{fault.name}: none of {fault.caught_by} covers any of {fault.breaks}; they cover {sorted(covered)}"
        )


def test_a_fault_breaks_requirements_of_its_own_level():
    """A SHOULD fault breaks only SHOULD/MAY requirements (else the run would fail, not warn), and a MUST fault some MUST one."""
    levels = {entry["id"]: entry["level"] for entry in load_catalog()}
    for fault in PLANTED:
        broken = {levels[requirement] for requirement in fault.breaks}
        if fault.level == "MUST":
            assert "MUST" in broken, f"{fault.name} is a MUST fault but breaks only {broken}"
        else:
            assert "MUST" not in broken, f"{fault.name} is a {fault.level} fault but breaks a MUST requirement"


@pytest.mark.parametrize("requirement", TESTABLE)
def test_every_testable_requirement_has_two_distinct_planted_ways(requirement):
    ways = analysis.ways().get(requirement, [])
    assert ways, f"{requirement}: no planted fault breaks it"
    if requirement in analysis.ONE_WAY:
        return
    distinct = {(fault.kind, fault.description) for fault in ways}
    assert len(distinct) >= 2, (
        f"{requirement}: only {[f.name for f in ways]} break it; plant a second, distinct way, or say in "
        "its area's ONE_WAY why only one exists"
    )


def test_one_way_entries_are_testable_requirements_with_a_reason():
    for requirement, why in analysis.ONE_WAY.items():
        assert requirement in TESTABLE, f"ONE_WAY names {requirement}, not a testable requirement"
        assert len(why) > 20, f"ONE_WAY[{requirement}] needs a reason"


def test_docs_mutation_table_is_generated_from_the_fault_table():
    document = (ROOT / "docs" / "mutations.md").read_text(encoding="utf-8")
    assert analysis.with_table(document) == document, (
        f"docs/mutations.md is stale; regenerate it from the repository root with: {analysis.REGENERATE}"
    )
