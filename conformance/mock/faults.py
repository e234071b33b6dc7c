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

from conformance.mock.planted import callbacks, first, pages, rules, values
from conformance.mock.planted.model import Fault

__all__ = ["FAULTS", "PLANTED", "Fault", "UnknownFaultError", "validate_faults"]


#: The first faults (conformance/mock/planted/first.py), under the name this module gave them.
_FIRST = first.FAULTS

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
