"""One planted fault as data, and the vocabulary of the ways an implementation goes wrong."""

from __future__ import annotations

from dataclasses import dataclass

#: The kinds of mistake a fault plants (``Fault.kind``): how someone shipping a mock under
#: deadline breaks a rule. Two faults of one requirement are distinct ways when their kinds or
#: their ``way`` texts differ; the mutation table (docs/mutations.md) groups by these.
KINDS: dict[str, str] = {
    "wrong-value": "a value that is not the documented one (pattern, enum, shape, code)",
    "missing": "a value, parameter, header or answer left out",
    "off-by-one": "one too many, one too few, the neighbouring page or index",
    "wrong-scope": "another account, another page, another status or fleet than asked",
    "partial-match": "a prefix, substring, case-insensitive or padded value treated as equal",
    "stale": "a value frozen at an old state, or shown before it is true",
    "moving": "a value that changes when it must not",
    "encoding": "form `+`, percent-encoding, UTF-8, JSON vs form, query vs body",
    "timing": "too early, too late, twice or never",
    "loose-check": "a check done loosely or not at all (credentials, enums, ranges, rules)",
    "wrong-link": "a URL built from the wrong state, host or parameters",
    "wrong-status": "an HTTP status other than the documented one",
}


@dataclass(frozen=True)
class Fault:
    """One planted fault, as data."""

    name: str
    """What ``--fault`` takes: lower-case words joined by hyphens."""
    description: str
    """One line: the documented rule it breaks, and how."""
    acts_in: tuple[str, ...]
    """The modules of ``conformance.mock`` whose code tests for it (``"name" in faults``)."""
    caught_by: tuple[str, ...]
    """Check IDs; a run of the suite against a mock with this fault must fail on at least one."""
    selection: str
    """The ``pytest -k`` expression that selects the suite's tests able to catch it (what the zoo runs)."""
    level: str = "MUST"
    """The level of what it breaks: a MUST fault fails the run; a SHOULD fault is reported as a
    warning and the run still passes (the zoo checks both)."""
    breaks: tuple[str, ...] = ()
    """The requirement IDs (``schemas/requirements.yaml``) it breaks: the mutation analysis.
    The zoo requires the run against it to report one of them broken (or warned)."""
    kind: str = "wrong-value"
    """Which of :data:`KINDS` of mistake it is."""
