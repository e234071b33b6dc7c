"""Checks: small functions tied to stable IDs and to the requirements they guard.

Like jsonschema's keyword functions, each check is a plain function and the set of checks is
a plain mapping (``CHECKS``). Two kinds exist:

* response checks, ``(ctx, exchange) -> None``, run on every response the suite or
  Schemathesis receives (see ``run_response_checks``);
* scenario checks, which hand-written scenarios raise through ``fail``/``expect`` when a
  multi-request rule breaks (pagination walks, transitions, callbacks).

A failure is a ``Violation``: an ``AssertionError`` naming the check, its requirements, what
was expected, what came back and a curl command that reproduces the request. Its ``level`` is
the strongest level (MUST, SHOULD, MAY) of the requirements it breaks: only a MUST violation
fails a run; a SHOULD or MAY one is a warning (``--strict`` makes it fail too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, NoReturn

from conformance.contract.exchange import Exchange

#: Requirement levels, strongest first.
LEVELS = ("MUST", "SHOULD", "MAY")
_levels: dict[str, str] | None = None


def requirement_level(requirement: str) -> str:
    """A catalogued requirement's level; MUST for an ID the catalog does not hold (never weaker)."""
    global _levels
    if _levels is None:
        from conformance.contract import load_catalog

        _levels = {entry["id"]: entry["level"] for entry in load_catalog()}
    return _levels.get(requirement, "MUST")


def strongest(requirements: Iterable[str]) -> str:
    """The strongest level among ``requirements`` (MUST when there are none: an uncatalogued rule)."""
    levels = {requirement_level(r) for r in requirements}
    return next((level for level in LEVELS if level in levels), "MUST")


class Violation(AssertionError):
    """A documented requirement that the target broke."""

    def __init__(
        self,
        check_id: str,
        message: str,
        *,
        expected: Any = None,
        received: Any = None,
        exchange: Exchange | None = None,
        requirements: Iterable[str] | None = None,
    ) -> None:
        self.check_id = check_id
        self.check = CHECKS.get(check_id)
        guarded: tuple[str, ...] = self.check.requirements if self.check else ()
        if requirements is not None:
            # the one (or few) of the check's requirements this failure breaks, not all it guards
            narrowed = tuple(dict.fromkeys(requirements))
            stray = [r for r in narrowed if r not in guarded]
            if stray or not narrowed:
                raise ValueError(f"check {check_id} does not guard {stray or 'an empty list'}")
            guarded = narrowed
        self.requirements: tuple[str, ...] = guarded
        self.message = message
        self.expected = expected
        self.received = received
        self.exchange = exchange.bounded() if exchange is not None else None
        """What was sent and what came back, its body cut to ``KEPT_BODY_CHARS`` (true size noted)."""
        self.also: list[Violation] = []
        """Other violations seen in the same scenario (response checks it went on past)."""
        self.blocked: list[Violation] = []
        """Scenario rules this violation kept from being judged (their failure followed from it)."""
        super().__init__(self.render())

    def render(self) -> str:
        title = self.check.title if self.check else ""
        lines = [
            f"[{self.check_id}] {title} — breaks {', '.join(self.requirements) or 'no catalogued requirement'}",
            f"  {self.message}",
        ]
        lines += detail_lines(
            self.expected,
            self.received,
            self.exchange.curl() if self.exchange else None,
            request=self.exchange.describe() if self.exchange else None,
            indent="  ",
        )
        return "\n".join(lines)

    @property
    def level(self) -> str:
        """MUST, SHOULD or MAY: the strongest level of the requirements this violation breaks."""
        return strongest(self.requirements)

    def all_requirements(self) -> list[str]:
        """The requirements this violation and those seen with it break."""
        found = set(self.requirements)
        for other in self.also:
            found |= set(other.requirements)
        return sorted(found)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check_id,
            "requirements": list(self.requirements),
            "level": self.level,
            "also": [
                {"check": o.check_id, "requirements": list(o.requirements), "level": o.level, "message": o.message}
                for o in self.also
            ],
            "blocked": [{"check": b.check_id, "requirements": list(b.requirements)} for b in self.blocked],
            "message": self.message,
            "expected": shorten(self.expected) if self.expected is not None else None,
            "received": shorten(self.received) if self.received is not None else None,
            "exchange": self.exchange.to_dict() if self.exchange else None,
        }


def shorten(value: Any, limit: int = 400) -> str:
    """A value as a report shows it: its text (repr for non-strings), cut at ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def detail_lines(
    expected: Any, received: Any, curl: str | None, *, request: str | None = None, indent: str = ""
) -> list[str]:
    """The part of every failure's text after its message: expected, received, request, reproduction.

    The one rendering of those details: a Violation's text, the generated phase's Schemathesis
    failure and the report rows (from ``Violation.to_dict``, under pytest-xdist) all use it.
    """
    lines = []
    if expected is not None:
        lines.append(f"{indent}expected: {shorten(expected)}")
    if received is not None:
        lines.append(f"{indent}received: {shorten(received)}")
    if request is not None:
        lines.append(f"{indent}request:  {request}")
    if curl is not None:
        lines.append(f"{indent}reproduce: {curl}")
    return lines


@dataclass(frozen=True)
class Check:
    """A registered check: stable ID, the requirement IDs it guards, what it verifies."""

    id: str
    requirements: tuple[str, ...]
    title: str
    func: Callable[..., None] | None = None
    """Set for response checks; scenario checks are raised by the scenarios themselves."""
    family: str = field(default="")

    @property
    def level(self) -> str:
        """The strongest level of the requirements it guards."""
        return strongest(self.requirements)


#: Every check of the kit, by ID. A duplicate ID is an error at import time.
CHECKS: dict[str, Check] = {}


def _register(check: Check) -> Check:
    """Add ``check`` to the registry; a second, different check under the same ID is an error.

    The same definition registered again (its module imported a second time, as pytester's
    in-process runs do) keeps the first: it is the same check, not a clash.
    """
    known = CHECKS.get(check.id)
    if known is not None:
        if _same_definition(known, check):
            return known
        raise ValueError(f"duplicate check ID {check.id!r}")
    CHECKS[check.id] = check
    return check


def _same_definition(a: Check, b: Check) -> bool:
    def where(func: Callable[..., None] | None) -> tuple[str, str] | None:
        return (func.__module__, func.__qualname__) if func is not None else None

    return (a.requirements, a.title, a.family, where(a.func)) == (b.requirements, b.title, b.family, where(b.func))


def response_check(check_id: str, *, requirements: Iterable[str], title: str):
    """Register ``func(ctx, exchange)`` to run on every response."""

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        _register(Check(check_id, tuple(requirements), title, func, family=check_id.split("-")[0]))
        return func

    return decorate


def scenario_check(check_id: str, *, requirements: Iterable[str], title: str) -> str:
    """Register a scenario check's ID; return it, for use in ``fail``/``expect``."""
    _register(Check(check_id, tuple(requirements), title, None, family=check_id.split("-")[0]))
    return check_id


def fail(check_id: str, message: str, **details: Any) -> NoReturn:
    """Raise the Violation of a registered check."""
    if check_id not in CHECKS:
        raise KeyError(f"unknown check ID {check_id!r}")
    raise Violation(check_id, message, **details)


def expect(condition: bool, check_id: str, message: str, **details: Any) -> None:
    """``fail`` unless ``condition`` holds."""
    if not condition:
        fail(check_id, message, **details)


def expect_soft(condition: bool, check_id: str, message: str, **details: Any) -> bool:
    """``expect``, but the scenario goes on: the violation is reported when the scenario ends.

    For a SHOULD rule in the middle of a scenario (a walk that must still judge its MUST rules
    on every page). Outside a scenario (no collector) it raises like ``expect``.
    """
    if condition:
        return True
    if check_id not in CHECKS:
        raise KeyError(f"unknown check ID {check_id!r}")
    report_response_violations([Violation(check_id, message, **details)])
    return False


def response_checks() -> list[Check]:
    return [c for c in CHECKS.values() if c.func is not None]


def run_response_checks(ctx: Any, exchange: Exchange) -> list[Violation]:
    """Run every response check on one exchange; return the violations found.

    Checks run in the order they were registered, most basic first (is it JSON, does it match
    the schema) so the first violation is the most fundamental one.
    """
    found: list[Violation] = []
    for check in response_checks():
        if check.func is None:  # response_checks() holds only checks with a function
            continue
        try:
            check.func(ctx, exchange)
        except Violation as violation:
            found.append(violation)
    return found


def load_all() -> dict[str, Check]:
    """Import every check module so that the registry is complete."""
    from conformance.checks import clients, generated, responses, scenarios  # noqa: F401  (imported for their registrations)

    return CHECKS


#: Where response-check violations go while a scenario runs (None: raise them at once).
_deferred: ContextVar[list[Violation] | None] = ContextVar("supersim_deferred_violations", default=None)


@contextmanager
def deferring_response_violations() -> Iterator[list[Violation]]:
    """Collect response-check violations instead of raising them, for the length of a scenario.

    A scenario then goes on to evaluate its own rule (a stateless mock whose URLs are wrong
    still gets told that it ignores filters); the caller raises what was collected.
    """
    collected: list[Violation] = []
    token = _deferred.set(collected)
    try:
        yield collected
    finally:
        _deferred.reset(token)


def report_response_violations(violations: list[Violation]) -> None:
    """Raise the first violation, or hand them all to the running scenario's collector."""
    if not violations:
        return
    collected = _deferred.get()
    if collected is None:
        raise violations[0]
    collected.extend(v for v in violations if all(v.check_id != c.check_id for c in collected))
