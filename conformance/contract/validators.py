"""Assertions for Sim-resource documents that name the documented requirement a document breaks.

    from conformance.validators import assert_valid_sim
    sim = assert_valid_sim(response.text)      # a dict, a JSON string or bytes, or a response

Each ``assert_valid_*`` function parses its argument, validates it against the contract schema
(``conformance.contract``) plus the few rules a schema cannot state (``date_updated`` never
before ``date_created``, ``url`` is the Sim's own URL, a page holds at most ``page_size`` Sims),
and returns the parsed document. On failure it raises :class:`ContractViolation`, an
``AssertionError`` whose message lists every problem as: requirement ID, JSON path, rule, and the
offending value. ``problems(kind, document)`` returns the same list without raising.

A twilio-python ``SimInstance`` is not accepted: the library has already parsed the JSON (dates
became ``datetime`` objects, a missing property reads as ``None``), so it can no longer show what
the server sent. Validate the raw body instead.

The pytest plugin exposes the four functions as fixtures of the same names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

from conformance.contract import rules

__all__ = [
    "ContractViolation",
    "Problem",
    "assert_valid_callback",
    "assert_valid_error",
    "assert_valid_sim",
    "assert_valid_sim_page",
    "problems",
]

#: What each document kind is called in messages.
KIND_NAMES = {"sim": "Sim", "sim-page": "Sim list page", "callback": "callback", "error": "error body"}

#: Sim property -> the requirement its format rule comes from.
SIM_PROPERTIES: dict[str, tuple[str, ...]] = {
    "sid": ("SIM-PROP-001",),
    "unique_name": ("SIM-PROP-003",),
    "account_sid": ("SIM-PROP-004",),
    "iccid": ("SIM-PROP-006",),
    "status": ("SIM-PROP-008",),
    "fleet_sid": ("SIM-PROP-009",),
    "date_created": ("SIM-PROP-011",),
    "date_updated": ("SIM-PROP-012",),
    "url": ("SIM-PROP-013",),
    "links": ("SIM-PROP-014",),
}
#: A Sim that is not even an object breaks every property rule at once.
SIM_WHOLE: tuple[str, ...] = tuple(sorted({r for ids in SIM_PROPERTIES.values() for r in ids}))

#: meta property of a list page -> its requirement.
META_PROPERTIES: dict[str, tuple[str, ...]] = {
    "key": ("SIM-LIST-002",),
    "first_page_url": ("SIM-LIST-004",),
    "next_page_url": ("SIM-LIST-005",),
    "previous_page_url": ("SIM-LIST-006",),
    "url": ("SIM-LIST-007",),
    "page": ("SIM-LIST-008",),
    "page_size": ("SIM-LIST-009",),
}
#: Extra requirements when a meta rule of this kind fails (URL not absolute, number out of range).
META_RULE_EXTRAS: dict[tuple[str, str], tuple[str, ...]] = {
    **{
        (name, rule): ("SIM-PAGE-010",)
        for name in ("first_page_url", "next_page_url", "previous_page_url", "url")
        for rule in ("pattern", "format", "not")
    },
    ("page", "minimum"): ("SIM-PAGE-004",),
    ("page_size", "minimum"): ("SIM-PAGE-003",),
    ("page_size", "maximum"): ("SIM-PAGE-002", "SIM-PAGE-003"),
}

#: Callback parameter -> its requirement.
CALLBACK_PARAMETERS: dict[str, tuple[str, ...]] = {
    "SimSid": ("SIM-CB-002",),
    "SimUniqueName": ("SIM-CB-003",),
    "SimStatus": ("SIM-CB-004",),
    "AccountSid": ("SIM-CB-005",),
}

#: The requirement broken by a body that is not JSON at all.
NOT_JSON = ("SIM-REQ-002",)

_SIM_SID = re.compile(r"^HS[0-9a-fA-F]{32}\Z")
_REQUIRED = re.compile(r"^(?P<name>'.*'|\".*\") is a required property")
_MAX_TEXT = 200


@dataclass(frozen=True)
class Problem:
    """One way a document breaks the contract."""

    requirements: tuple[str, ...]
    """The catalog IDs the problem breaks (``schemas/requirements.yaml``)."""
    path: str
    """JSON path of the offending value, e.g. ``$.sims[3].status``."""
    rule: str
    """The schema keyword (``pattern``, ``enum``, ``required``...) or kit rule (``date-order``...)."""
    message: str
    value: Any = None
    """The offending value (``None`` for a missing property)."""

    def __str__(self) -> str:
        return f"{', '.join(self.requirements)} at {self.path} [{self.rule}]: {self.message}"


class ContractViolation(AssertionError):
    """A document that breaks the contract; ``problems`` lists each way, ``requirements`` their IDs."""

    def __init__(self, kind: str, found: list[Problem]) -> None:
        self.kind = kind
        self.problems = found
        self.requirements: tuple[str, ...] = tuple(sorted({r for p in found for r in p.requirements}))
        super().__init__(self._render())

    def _render(self) -> str:
        name = KIND_NAMES.get(self.kind, self.kind)
        count = len(self.problems)
        head = f"invalid {name}: breaks {', '.join(self.requirements)} ({count} problem{'s' if count != 1 else ''})"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


# --- parsing --------------------------------------------------------------------------------------


class _Unparsable(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _decode(text: str | bytes | bytearray, kind: str) -> Any:
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as error:
            raise _Unparsable(Problem(NOT_JSON, "$", "json", f"not UTF-8: {error}", _short(text))) from None
    if kind == "callback" and not text.lstrip().startswith("{"):
        return dict(parse_qsl(text.lstrip("?"), keep_blank_values=True))  # a form body or a query string
    try:
        return json.loads(text)
    except ValueError as error:
        raise _Unparsable(Problem(NOT_JSON, "$", "json", f"not JSON: {error}", _short(text))) from None


def _load(document: Any, kind: str, function: str) -> Any:
    """A decoded document from a dict, a JSON string/bytes, or an object with ``.text`` or ``.params``."""
    if isinstance(document, (Mapping, list)):
        return document
    if isinstance(document, (str, bytes, bytearray)):
        return _decode(document, kind)
    if kind == "callback" and isinstance(getattr(document, "params", None), Mapping):
        return dict(document.params)  # a received callback (conformance.suite.callbacks.ReceivedCallback)
    text = getattr(document, "text", None)
    if isinstance(text, (str, bytes)):
        return _decode(text, kind)  # a response object: requests, httpx, twilio.http.response.Response
    hint = ""
    if type(document).__module__.startswith("twilio."):
        hint = (
            " twilio-python has already parsed this object (dates are datetime objects, a missing"
            " property reads as None), so it cannot show what the server sent; validate the raw JSON"
            " body instead (e.g. httpx.get(url, auth=(sid, token)).text)"
        )
    raise TypeError(
        f"{function}() takes a dict, a JSON string or bytes, or a response with .text;"
        f" got {type(document).__name__}.{hint}"
    )


# --- mapping schema errors to requirements --------------------------------------------------------


def _missing_name(message: str) -> str | None:
    match = _REQUIRED.match(message)
    return match.group("name")[1:-1] if match else None


def _sim_requirements(parts: list[Any], rule: str, message: str, whole: tuple[str, ...]) -> tuple[str, ...]:
    if not parts:
        if rule == "required":
            name = _missing_name(message)
            return SIM_PROPERTIES.get(name or "", whole)
        return whole
    return SIM_PROPERTIES.get(str(parts[0]), whole)


def _page_requirements(parts: list[Any], rule: str, message: str) -> tuple[str, ...]:
    if not parts:
        if rule == "required":
            name = _missing_name(message)
            return ("SIM-LIST-002", "SIM-LIST-003") if name == "sims" else ("SIM-LIST-001",)
        return ("SIM-LIST-001",)
    head = parts[0]
    if head == "sims":
        if len(parts) == 1:
            return ("SIM-PAGE-002",) if rule == "maxItems" else ("SIM-LIST-003",)
        if len(parts) == 2:  # the item itself
            return _sim_requirements([], rule, message, ("SIM-LIST-003",))
        return _sim_requirements(parts[2:], rule, message, ("SIM-LIST-003",))
    if head == "meta":
        if len(parts) == 1:
            name = _missing_name(message) if rule == "required" else None
            if name is None:
                return ("SIM-LIST-001",)
            return META_PROPERTIES.get(name, ("SIM-LIST-001",))
        name = str(parts[1])
        return META_PROPERTIES.get(name, ("SIM-LIST-001",)) + META_RULE_EXTRAS.get((name, rule), ())
    return ("SIM-LIST-001",)


def _callback_requirements(parts: list[Any], rule: str, message: str) -> tuple[str, ...]:
    if not parts:
        if rule == "required":
            return CALLBACK_PARAMETERS.get(_missing_name(message) or "", ("SIM-CB-006",))
        return ("SIM-CB-006",)
    return CALLBACK_PARAMETERS.get(str(parts[0]), ("SIM-CB-006",))


def requirements_for(kind: str, parts: list[Any], rule: str, message: str) -> tuple[str, ...]:
    """The requirement IDs a schema error at ``parts`` (path components) with ``rule`` breaks."""
    if kind == "sim":
        return _sim_requirements(parts, rule, message, SIM_WHOLE)
    if kind == "sim-page":
        return _page_requirements(parts, rule, message)
    if kind == "callback":
        return _callback_requirements(parts, rule, message)
    return ("SIM-ERR-002",)


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _MAX_TEXT:
        return value[:_MAX_TEXT] + "..."
    if isinstance(value, (bytes, bytearray)) and len(value) > _MAX_TEXT:
        return bytes(value[:_MAX_TEXT]) + b"..."
    return value


def _schema_problems(kind: str, document: Any) -> list[Problem]:
    from conformance import contract

    found = []
    for error in contract.validator_for(kind).iter_errors(document):
        for leaf in contract.leaf_errors(error):
            parts = list(leaf.absolute_path)
            rule = str(leaf.validator)
            message = leaf.message if len(leaf.message) <= 2 * _MAX_TEXT else leaf.message[: 2 * _MAX_TEXT] + "..."
            requirements = requirements_for(kind, parts, rule, leaf.message)
            value = _short(leaf.instance)
            missing = _missing_name(leaf.message) if rule == "required" else None
            if missing is not None:  # point at the missing property itself
                parts, value = [*parts, missing], None
            found.append(Problem(requirements, contract.json_path(parts), rule, message, value))
    return found


# --- rules a schema cannot state ------------------------------------------------------------------


def _sim_rules(sim: Any, prefix: str) -> list[Problem]:
    found = [
        Problem(
            ("SIM-PROP-012",),
            b.path,
            b.rule,
            f"{b.received!r} is earlier than date_created {sim['date_created']!r}",
            b.received,
        )
        for b in rules.date_order(sim, prefix)
    ]
    if _judged_urls(sim):  # a Sim SID and an absolute URL: otherwise the schema says what is wrong
        found += [
            Problem(
                ("SIM-PROP-013",),
                b.path,
                b.rule,
                f"{b.received!r} is not the Sim's own URL (path /v1/Sims/{sim['sid']})",
                b.received,
            )
            for b in rules.own_url(sim, prefix)
        ]
        found += [
            Problem(("SIM-PROP-014",), b.path, b.rule, f"{b.received!r} is not {b.expected!r}", b.received)
            for b in rules.sub_resource_links(sim, prefix)
        ]
    return found


def _judged_urls(sim: Any) -> bool:
    return (
        isinstance(sim, Mapping)
        and isinstance(sim.get("sid"), str)
        and bool(_SIM_SID.match(sim["sid"]))
        and isinstance(sim.get("url"), str)
        and bool(urlsplit(sim["url"]).scheme)
    )


def _page_rules(page: Any) -> list[Problem]:
    if not isinstance(page, Mapping):
        return []
    found = []
    sims = page.get("sims")
    if isinstance(sims, list):
        for index, sim in enumerate(sims):
            found += _sim_rules(sim, f"$.sims[{index}]")
    for broken in rules.page_holds_its_size(page):
        found.append(
            Problem(
                ("SIM-PAGE-002",),
                broken.path,
                broken.rule,
                f"the page holds {broken.received} Sims, more than meta.page_size {page['meta']['page_size']}",
                broken.received,
            )
        )
    for broken in rules.first_page_has_no_previous(page):
        found.append(
            Problem(
                ("SIM-PAGE-009",),
                broken.path,
                broken.rule,
                "previous_page_url is not null on the first page (meta.page 0)",
                _short(broken.received),
            )
        )
    return found


def problems(kind: str, document: Any) -> list[Problem]:
    """Every problem of an already-decoded ``document`` of ``kind`` (sim, sim-page, callback, error)."""
    found = _schema_problems(kind, document)
    if kind == "sim":
        found += _sim_rules(document, "$")
    elif kind == "sim-page":
        found += _page_rules(document)
    return sorted(found, key=lambda p: (path_key(p.path), p.rule))


_PATH_PART = re.compile(r"\[(\d+)\]|\.([^.\[]*)")


def path_key(path: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key for a JSON path that orders list indexes as numbers: ``$.sims[2]`` before ``$.sims[10]``."""
    parts: list[tuple[int, int, str]] = []
    position = 1 if path.startswith("$") else 0
    while position < len(path):
        match = _PATH_PART.match(path, position)
        if match is None:  # not a path this module wrote: the rest as text
            parts.append((1, 0, path[position:]))
            break
        index, name = match.groups()
        parts.append((0, int(index), "") if index is not None else (1, 0, name))
        position = match.end()
    return tuple(parts)


def _assert(kind: str, document: Any, function: str) -> Any:
    __tracebackhide__ = True
    try:
        decoded = _load(document, kind, function)
    except _Unparsable as error:
        raise ContractViolation(kind, [error.problem]) from None
    found = problems(kind, decoded)
    if found:
        raise ContractViolation(kind, found)
    return decoded


# --- the public assertions ------------------------------------------------------------------------


def assert_valid_sim(document: Any) -> dict[str, Any]:
    """Assert ``document`` is a valid Sim; return it decoded. Fails naming requirement, path, rule, value."""
    __tracebackhide__ = True
    return cast("dict[str, Any]", _assert("sim", document, "assert_valid_sim"))


def assert_valid_sim_page(document: Any) -> dict[str, Any]:
    """Assert ``document`` is a valid page of GET /v1/Sims (every Sim in it too); return it decoded."""
    __tracebackhide__ = True
    return cast("dict[str, Any]", _assert("sim-page", document, "assert_valid_sim_page"))


def assert_valid_callback(params: Any) -> dict[str, str]:
    """Assert callback parameters (a dict, a form/query string, or a received callback) are valid; return them."""
    __tracebackhide__ = True
    return cast("dict[str, str]", _assert("callback", params, "assert_valid_callback"))


def assert_valid_error(document: Any, status: int | None = None) -> dict[str, Any]:
    """Assert ``document`` is Twilio's error body (with ``status`` equal to the HTTP status, if given)."""
    __tracebackhide__ = True
    if status is None:
        status = getattr(document, "status_code", None)  # a response object carries its own status
        status = status if isinstance(status, int) else None
    body = _assert("error", document, "assert_valid_error")
    if status is not None and isinstance(body, Mapping) and body.get("status") != status:
        raise ContractViolation(
            "error",
            [
                Problem(
                    ("SIM-ERR-002",),
                    "$.status",
                    "http-status",
                    f"{body.get('status')!r} differs from the HTTP status {status}",
                    body.get("status"),
                )
            ],
        )
    return cast("dict[str, Any]", body)
