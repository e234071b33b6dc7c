"""The generated phase's side of the checks: our domain checks inside Schemathesis, and the IDs
of the generated tests.

* ``supersim_domain_checks`` is a Schemathesis check, registered with Schemathesis only inside
  :func:`domain_checks_registered` (the generated phase enters it), never on import: another
  Schemathesis user in the same process (a repository that loads our plugin) keeps its own
  checks. For every response
  Schemathesis receives, it rebuilds an :class:`~conformance.contract.exchange.Exchange` from what was
  really sent (method, full URL with the query, form pairs of the body, the *user name* of the
  Basic credentials - never the token) and what came back, and runs every registered response
  check (``run_response_checks``) on it, exactly as the hand-written scenarios do.
* A violation is raised as a :class:`DomainFailure`: it *is* a ``Violation`` (so the suite's
  ``first_violation`` finds it inside Schemathesis' ``FailureGroup.exceptions`` and the report
  names the check, its requirements, expected/received and a curl without secrets) and it *is* a
  Schemathesis ``Failure`` (so Schemathesis keeps it as is instead of wrapping it in a
  ``CustomFailure``, de-duplicates it per check ID, and prints it in its own report). A plain
  AssertionError raised from a Schemathesis check would end up in ``CustomFailure.exception``.
* Failures of Schemathesis' built-in checks become Violations too (:func:`violation_of`), under
  ``GEN-ST-*`` IDs registered here with the requirements each built-in check guards
  (``negative_data_rejection`` -> ``GEN-ST-NEGATIVE-DATA``: SIM-ERR-003/004, SIM-PAGE-003...).
* ``GEN-EXAMPLES``, ``GEN-COVERAGE``, ``GEN-FUZZ-POSITIVE``, ``GEN-FUZZ-NEGATIVE`` and
  ``GEN-STATEFUL`` are the IDs of the generated tests themselves (``conformance/suite/test_generated.py``).
  Each phase runs Schemathesis' ``not_a_server_error`` and ``response_headers_conformance``
  checks on every answer, so each guards SIM-ERR-007 (never 5xx) and SIM-ERR-006 (Retry-After).
* The targets the checks compare with (base URL, profile) come from :func:`bind_target`, which
  the generated tests enter for the duration of the phase. Outside of it (Schemathesis used by
  some other test of the process), the request's own origin stands in for the base URL and no
  profile is known.

``conformance.checks.load_all()`` imports this module; importing it twice is harmless.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from schemathesis.core.failures import Failure, FailureGroup, Severity

from conformance.checks import (
    Violation,
    detail_lines,
    run_response_checks,
    scenario_check,
)
from conformance.contract import basic_auth
from conformance.contract.exchange import Exchange
from conformance.run.generated_transport import body_overflow

# --- the generated tests (one per Schemathesis phase) ----------------------------------------

GEN_EXAMPLES = scenario_check(
    "GEN-EXAMPLES",
    requirements=["SIM-ERR-006", "SIM-ERR-007", "SIM-REQ-001", "SIM-REQ-002", "SIM-ERR-002", "SIM-LIST-001"],
    title="The documented request examples (missing parts filled in) are answered as the contract says",
)
GEN_COVERAGE = scenario_check(
    "GEN-COVERAGE",
    requirements=[
        "SIM-ERR-006",
        "SIM-ERR-007",
        "SIM-REQ-001",
        "SIM-REQ-002",
        "SIM-ERR-002",
        "SIM-ERR-003",
        "SIM-ERR-004",
        "SIM-PAGE-003",
        "SIM-PAGE-004",
        "SIM-UPDATE-003",
        "SIM-UPDATE-007",
        "SIM-FILTER-002",
        "SIM-CREATE-002",
        "SIM-CREATE-003",
    ],
    title="Boundary, enum and missing-parameter cases of every parameter are accepted or rejected as documented",
)
GEN_FUZZ_POSITIVE = scenario_check(
    "GEN-FUZZ-POSITIVE",
    requirements=[
        "SIM-ERR-006",
        "SIM-ERR-007",
        "SIM-REQ-001",
        "SIM-REQ-002",
        "SIM-ERR-002",
        "SIM-LIST-001",
        "SIM-PAGE-002",
        "SIM-PAGE-003",
        "SIM-FILTER-001",
        "SIM-FILTER-005",
    ],
    title="Random schema-valid requests are accepted (or refused for a documented reason) with valid answers",
)
GEN_FUZZ_NEGATIVE = scenario_check(
    "GEN-FUZZ-NEGATIVE",
    requirements=[
        "SIM-ERR-006",
        "SIM-ERR-007",
        "SIM-REQ-002",
        "SIM-ERR-002",
        "SIM-ERR-003",
        "SIM-ERR-004",
        "SIM-PAGE-003",
        "SIM-PAGE-004",
        "SIM-UPDATE-003",
        "SIM-UPDATE-007",
    ],
    title="Random schema-violating requests are rejected with a 4xx and Twilio's error body",
)
GEN_STATEFUL = scenario_check(
    "GEN-STATEFUL",
    requirements=[
        "SIM-ERR-006",
        "SIM-ERR-007",
        "SIM-CREATE-001",
        "SIM-CREATE-006",
        "SIM-FETCH-001",
        "SIM-UPDATE-001",
        "SIM-PROP-002",
        "SIM-ADDR-001",
        "SIM-ERR-002",
    ],
    title="Linked sequences (register -> fetch -> update -> fetch) keep every answer consistent",
)

GENERATED_CHECK_IDS = (GEN_EXAMPLES, GEN_COVERAGE, GEN_FUZZ_POSITIVE, GEN_FUZZ_NEGATIVE, GEN_STATEFUL)

# --- Schemathesis' own checks, under IDs of the kit --------------------------------------------
# A failure of a built-in Schemathesis check becomes a Violation of one of these, so the report
# names what broke and which requirements it guards, like any other check of the kit.

_BUILTIN: dict[str, tuple[str, list[str], str]] = {
    "not_a_server_error": ("GEN-ST-SERVER-ERROR", ["SIM-ERR-007"], "No generated request makes the target answer 5xx"),
    "status_code_conformance": (
        "GEN-ST-STATUS",
        ["SIM-ERR-002"],
        "Every answer has a status code the contract documents for the operation",
    ),
    "content_type_conformance": (
        "GEN-ST-CONTENT-TYPE",
        ["SIM-REQ-002"],
        "Every answer has the content type the contract documents (application/json)",
    ),
    "response_schema_conformance": (
        "GEN-ST-SCHEMA",
        [
            "SIM-PROP-001",
            "SIM-PROP-003",
            "SIM-PROP-004",
            "SIM-PROP-006",
            "SIM-PROP-008",
            "SIM-PROP-009",
            "SIM-PROP-011",
            "SIM-PROP-012",
            "SIM-PROP-013",
            "SIM-PROP-014",
            "SIM-LIST-002",
            "SIM-LIST-003",
            "SIM-ERR-002",
        ],
        "Every answer body is valid against the schema documented for its status",
    ),
    "response_headers_conformance": (
        "GEN-ST-HEADERS",
        ["SIM-ERR-006"],
        "Documented response headers (Retry-After on 429) are present and valid",
    ),
    "negative_data_rejection": (
        "GEN-ST-NEGATIVE-DATA",
        [
            "SIM-ERR-003",
            "SIM-ERR-004",
            "SIM-PAGE-003",
            "SIM-PAGE-004",
            "SIM-UPDATE-003",
            "SIM-UPDATE-007",
            "SIM-CREATE-002",
            "SIM-CREATE-003",
            "SIM-FILTER-002",
        ],
        "A request that violates the contract (type, enum, range, missing parameter) is rejected with a 4xx",
    ),
    "positive_data_acceptance": (
        "GEN-ST-POSITIVE-DATA",
        [
            "SIM-LIST-001",
            "SIM-FETCH-001",
            "SIM-UPDATE-001",
            "SIM-CREATE-001",
            "SIM-PAGE-003",
            "SIM-PAGE-004",
            "SIM-FILTER-002",
        ],
        "A schema-valid request is accepted, or refused only for a documented reason (404, 409; 400 on writes)",
    ),
    "ignored_auth": (
        "GEN-ST-AUTH",
        ["SIM-AUTH-001", "SIM-AUTH-002"],
        "A request without or with wrong credentials is refused with 401",
    ),
    "ensure_resource_availability": (
        "GEN-ST-AVAILABILITY",
        ["SIM-CREATE-001", "SIM-FETCH-001", "SIM-ADDR-001"],
        "A Sim just registered can be fetched and updated right away",
    ),
    "use_after_free": (
        "GEN-ST-USE-AFTER-FREE",
        ["SIM-ERR-001"],
        "A resource that is gone answers 404 (no Sim operation deletes, so this never fires)",
    ),
    "unsupported_method": (
        "GEN-ST-METHOD",
        ["SIM-ERR-007"],
        "An undocumented method on a Sim path is refused with 405",
    ),
}
_BUILTIN_OTHER: tuple[str, list[str], str] = ("GEN-ST-OTHER", [], "Any other Schemathesis check passes")
#: negative_data_rejection on a list whose only fault is an out-of-range PageSize or Page: the
#: page states the range but not the answer outside it, so a 200 clamped into range is a SHOULD.
_NEGATIVE_RANGE: tuple[str, list[str], str] = (
    "GEN-ST-NEGATIVE-RANGE",
    ["SIM-ERR-003"],
    "An out-of-range PageSize or Page (the request's only fault) is refused with 400, not clamped",
)

for _check_id, _requirements, _title in (*_BUILTIN.values(), _BUILTIN_OTHER, _NEGATIVE_RANGE):
    scenario_check(_check_id, requirements=_requirements, title=_title)

#: The documented range of each paging parameter (Sim page: "Minimum: 1Maximum: 1000", "Minimum: 0").
_PAGING_RANGES = {"PageSize": (1, 1000), "Page": (0, None)}
_LIST_STATUSES = ("new", "ready", "active", "inactive", "scheduled")


def only_paging_out_of_range(exchange: Exchange | None) -> bool:
    """True when a list request's one fault is an integer PageSize or Page outside its range.

    Every other parameter of the list is valid as sent (Status in its enum, no parameter twice;
    Fleet, Iccid and PageToken are free strings), so a 200 for it is leniency, not acceptance
    of invalid data.
    """
    if exchange is None or exchange.method != "GET" or not urlsplit(exchange.url).path.rstrip("/").endswith("/v1/Sims"):
        return False
    pairs = parse_qsl(urlsplit(exchange.url).query, keep_blank_values=True)
    query = dict(pairs)
    if len(query) != len(pairs) or ("Status" in query and query["Status"] not in _LIST_STATUSES):
        return False
    out_of_range = False
    for name, (low, high) in _PAGING_RANGES.items():
        if name not in query:
            continue
        text = query[name].strip()
        if not text.lstrip("+-").isdigit():
            return False  # not an integer at all: the documented type is broken
        value = int(text)
        out_of_range |= value < low or (high is not None and value > high)
    return out_of_range


def builtin_check_id(name: str) -> str:
    """The kit's ID for a Schemathesis check (``GEN-ST-OTHER`` for ones without their own)."""
    return _BUILTIN.get(name, _BUILTIN_OTHER)[0]


def violation_of(name: str, failure: Failure, exchange: Exchange | None) -> Violation:
    """A Schemathesis failure as a Violation: ours as they are, built-in ones under their GEN-ST ID."""
    if isinstance(failure, Violation):
        return failure
    text = " ".join(part.strip() for part in (failure.message or "").splitlines() if part.strip())
    message = f"Schemathesis {failure.code} {failure.title} (check {name}, {failure.operation})"
    check_id = builtin_check_id(name)
    if name == "negative_data_rejection" and only_paging_out_of_range(exchange):
        check_id = _NEGATIVE_RANGE[0]
    requirements = _schema_broken(exchange, check_id) if name == "response_schema_conformance" else None
    return Violation(check_id, f"{message}: {text}" if text else message, exchange=exchange, requirements=requirements)


def _schema_broken(exchange: Exchange | None, check_id: str) -> list[str] | None:
    """The requirements a schema-invalid answer breaks (a wrong sid: SIM-PROP-001), None: all."""
    from conformance.checks.responses import schema_requirements

    if exchange is None or not exchange.is_json or not isinstance(exchange.json(), dict):
        return None
    document = exchange.json()
    if 400 <= exchange.status < 500:
        kind = "error"
    else:
        kind = "sim-page" if "sims" in document or "meta" in document else "sim"
    return schema_requirements(kind, document, check_id)


# --- which target the checks compare with ------------------------------------------------------


@dataclass
class _Origin:
    """Stand-in ctx when no target is bound: the request's origin, no profile."""

    base_url: str
    profile: Any = None

    def fleet_sid_for(self, name: str) -> str | None:
        return None


_bound: list[Any] = []
_lock = threading.Lock()


@contextmanager
def bind_target(target: Any) -> Iterator[Any]:
    """Compare generated responses with ``target`` (a ``conformance.run.target.Target``) inside the block."""
    with _lock:
        _bound.append(target)
    try:
        yield target
    finally:
        with _lock:
            _bound.remove(target)


def current_target(exchange: Exchange) -> Any:
    with _lock:
        if _bound:
            return _bound[-1]
    parts = urlsplit(exchange.url)
    return _Origin(base_url=f"{parts.scheme}://{parts.netloc}")


# --- from Schemathesis' case + response to our Exchange ----------------------------------------


def basic_user(authorization: str | None) -> str | None:
    """The user name (Account SID) of an HTTP Basic ``Authorization`` value; the token is dropped."""
    credentials = basic_auth.decode(authorization)
    return (credentials[0] or None) if credentials else None


def _form_pairs(body: Any, content_type: str) -> list[tuple[str, str]]:
    if body is None or "application/x-www-form-urlencoded" not in content_type.lower():
        return []
    raw = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)
    return parse_qsl(raw, keep_blank_values=True)


def exchange_from(response: Any) -> Exchange:
    """An Exchange of what was really sent (``response.request``) and what came back.

    A body the generated phase's transport cut at the read cap (``generated_transport``) is
    marked ``oversize`` with the size the target declared, as the hand-written client does.
    """
    request = response.request
    headers = {k.lower(): v for k, v in (request.headers or {}).items()}
    text = response.content.decode(response.encoding or "utf-8", errors="replace") if response.content else ""
    cut, declared = body_overflow(request)
    return Exchange(
        oversize=cut,
        body_bytes=declared if cut else None,
        method=(request.method or "").upper(),
        url=request.url,
        account_sid=basic_user(headers.get("authorization")),
        form=_form_pairs(request.body, headers.get("content-type", "")),
        request_headers={k: v for k, v in headers.items() if k != "authorization"},
        status=response.status_code,
        response_headers={k.lower(): ", ".join(v) for k, v in response.headers.items()},
        text=text,
        elapsed=response.elapsed,
    )


# --- the failure Schemathesis sees ---------------------------------------------------------------


class _AsFailure(Failure):
    """Lets ``Violation.__init__`` (which calls ``super().__init__(text)``) initialise a Failure."""

    def __init__(self, *args: Any) -> None:
        AssertionError.__init__(self, *args)


class DomainFailure(Violation, _AsFailure):
    """A Violation found on a generated response, in the shape Schemathesis reports.

    Schemathesis prints ``title`` and ``message``; here ``message`` is the detailed text
    (requirements, expected, received, curl) while ``summary`` keeps the Violation's one-line
    message, which ``to_dict`` (and so report.json) uses as before.
    """

    code = "ST901"
    kind_title = "supersim-conformance check failed"

    def __init__(self, violation: Violation, *, operation: str | None) -> None:
        Violation.__init__(
            self,
            violation.check_id,
            violation.message,
            expected=violation.expected,
            received=violation.received,
            exchange=violation.exchange,
            requirements=violation.requirements,
        )
        self.summary = violation.message
        self.operation = operation
        self.title = f"[{violation.check_id}] {self.check.title if self.check else ''}".rstrip()
        self.case_id = None
        self.severity = Severity.HIGH
        self.message = self._detail()

    def _detail(self) -> str:
        lines = [f"breaks {', '.join(self.requirements) or 'no catalogued requirement'}: {self.summary}"]
        lines += detail_lines(self.expected, self.received, self.exchange.curl() if self.exchange else None)
        return "\n".join(lines)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.title

    def to_dict(self) -> dict[str, Any]:
        data = Violation.to_dict(self)
        data["message"] = self.summary
        return data

    @property
    def _unique_key(self) -> str:
        # One finding per check ID and operation (Schemathesis adds the operation and the class).
        return self.check_id


def supersim_domain_checks(ctx: Any, response: Any, case: Any) -> bool | None:
    """supersim-conformance response checks (RESP-*) on every generated response."""
    exchange = exchange_from(response)
    violations = run_response_checks(current_target(exchange), exchange)
    if not violations:
        return None
    label = case.operation.label
    failures = [DomainFailure(v, operation=label) for v in violations]
    if len(failures) == 1:
        raise failures[0]
    raise FailureGroup(failures)


_registrations = 0


@contextmanager
def domain_checks_registered() -> Iterator[None]:
    """Schemathesis runs ``supersim_domain_checks`` on every response inside this block only."""
    from schemathesis.checks import CHECKS as SCHEMATHESIS_CHECKS

    global _registrations
    with _lock:
        if _registrations == 0:
            SCHEMATHESIS_CHECKS.register(supersim_domain_checks)
        _registrations += 1
    try:
        yield
    finally:
        with _lock:
            _registrations -= 1
            if _registrations == 0:
                SCHEMATHESIS_CHECKS.unregister(supersim_domain_checks.__name__)
