"""The mutation analysis: for every testable requirement, the ways it breaks and who catches each.

The analysis is not a second table: it is read off the fault table. Each planted fault says
which requirements it breaks (``Fault.breaks``) and how (``Fault.kind``, its description); a
requirement's *ways* are the faults that break it. :func:`rows` is the table docs/mutations.md
shows (requirement → way it breaks → planted fault → the checks that must catch it), and
``tests/mock/test_mutation_table.py`` holds it to its promise: every testable requirement of
``schemas/requirements.yaml`` has at least two distinct planted faults, unless its area's
``ONE_WAY`` says why only one way exists; the zoo (``tests/test_zoo.py``) proves each fault is
caught by a check the table names, on one of the requirements it breaks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from conformance.mock.planted import callbacks, pages, rules, values
from conformance.mock.planted.model import Fault

DOCS_START = "<!-- mutations:start (generated from conformance/mock/planted: do not edit by hand) -->"
DOCS_END = "<!-- mutations:end -->"
#: The one-line command that rewrites docs/mutations.md's table (from the repository root).
REGENERATE = "python -c \"from conformance.mock.planted.analysis import write_docs; write_docs('docs/mutations.md')\""

#: requirement -> why only one distinct way to break it exists (every area's ``ONE_WAY``).
ONE_WAY: dict[str, str] = {**values.ONE_WAY, **pages.ONE_WAY, **callbacks.ONE_WAY, **rules.ONE_WAY}


@dataclass(frozen=True)
class Requirement:
    """What the analysis needs of a catalog entry."""

    id: str
    level: str
    title: str


def testable_requirements() -> list[Requirement]:
    """The catalog's testable, not retired requirements, in catalog order."""
    from conformance.contract import load_catalog

    return [
        Requirement(entry["id"], entry["level"], entry["title"])
        for entry in load_catalog()
        if entry.get("testable") and not entry.get("retired")
    ]


def area(requirement_id: str) -> str:
    """``SIM-PAGE-007`` -> ``PAGE``: the catalog's area of a requirement."""
    return requirement_id.split("-")[1]


def ways(planted: Iterable[Fault] | None = None) -> dict[str, list[Fault]]:
    """requirement -> the planted faults that break it, in table order."""
    if planted is None:
        from conformance.mock.faults import PLANTED

        planted = PLANTED
    found: dict[str, list[Fault]] = {}
    for fault in planted:
        for requirement in fault.breaks:
            found.setdefault(requirement, []).append(fault)
    return found


def rows() -> list[tuple[str, str, str, str, str, str]]:
    """(requirement, level, kind, way it breaks, fault, catching checks), one per requirement × fault."""
    by_requirement = ways()
    table = []
    for requirement in testable_requirements():
        for fault in by_requirement.get(requirement.id, []):
            table.append(
                (
                    requirement.id,
                    requirement.level,
                    fault.kind,
                    fault.description,
                    fault.name,
                    ", ".join(fault.caught_by),
                )
            )
    return table


def markdown_table() -> str:
    """The table of docs/mutations.md: a summary per area, then one row per requirement × fault."""
    requirements = testable_requirements()
    by_requirement = ways()
    lines = [
        "| area | testable requirements | planted faults | requirements with ≥ 2 ways | one way only |",
        "| --- | --- | --- | --- | --- |",
    ]
    areas: dict[str, list[Requirement]] = {}
    for requirement in requirements:
        areas.setdefault(area(requirement.id), []).append(requirement)
    for name, members in areas.items():
        faults = {f.name for r in members for f in by_requirement.get(r.id, [])}
        two = sum(1 for r in members if len(by_requirement.get(r.id, [])) >= 2)
        one = sum(1 for r in members if r.id in ONE_WAY)
        lines.append(f"| {name} | {len(members)} | {len(faults)} | {two} | {one} |")
    lines += [
        "",
        "| requirement | level | kind | way it breaks (the planted fault's effect) | fault | caught by |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for requirement_id, level, kind, way, fault, checks in rows():
        cells = [f"`{requirement_id}`", level, kind, way, f"`{fault}`", ", ".join(f"`{c}`" for c in checks.split(", "))]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    if ONE_WAY:
        lines += ["", "Requirements with one way only:", ""]
        lines += [f"- `{requirement}`: {why}" for requirement, why in sorted(ONE_WAY.items())]
    return "\n".join(lines) + "\n"


def with_table(document: str) -> str:
    from conformance.mock.errors import between_markers

    return between_markers(document, DOCS_START, DOCS_END, markdown_table())


def write_docs(path: str | Path) -> bool:
    """Regenerate the table in the Markdown file at ``path``; True if it changed."""
    path = Path(path)
    old = path.read_text(encoding="utf-8")
    new = with_table(old)
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old
