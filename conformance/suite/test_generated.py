"""Generated phase: Schemathesis over schemas/openapi.yaml, its checks and ours on every response.

How it runs
-----------
Each test loads openapi.yaml with a Schemathesis configuration built at run time from the run's
settings (target URL, timeout, rate, ``--max-examples``, ``--seed``; no schemathesis.toml is
read), authenticates as the profile's primary account (HTTP Basic) and runs one phase on one
operation through Schemathesis' engine (``schemathesis.engine.from_schema(schema).execute()``,
what ``st run`` does), so every (phase, operation) is one row of the report.
``schemathesis.pytest.from_fixture`` would be the natural binding, but in Schemathesis 4.32.5 it
reads ``request.node._nodeid`` (``pytest/lazy.py``), which pytest 9.2 no longer has
(``AttributeError: 'Function' object has no attribute '_nodeid'``); it would also report each
operation as a pytest subtest, i.e. a second report row beside the test's own.

=========================  ===================================================  =================
test                       Schemathesis generates, per operation                check ID
=========================  ===================================================  =================
examples-<Operation>       the documented request examples (missing parts       GEN-EXAMPLES
                           filled in), positive
coverage-<Operation>       deterministic boundary, enum, missing-parameter      GEN-COVERAGE
                           cases, valid and invalid
fuzz-positive-<Operation>  ``max_examples`` random schema-valid requests        GEN-FUZZ-POSITIVE
fuzz-negative-<Operation>  ``max_examples`` random schema-violating requests    GEN-FUZZ-NEGATIVE
test_generated_stateful    ``max_examples`` sequences of steps on the Sims      GEN-STATEFUL
                           of the pool's cards (register, fetch, fetch by
                           unique name, update, list by Iccid), positive
=========================  ===================================================  =================

Every response goes through Schemathesis' built-in checks and ``supersim_domain_checks`` (every
RESP-* check of the kit, see ``conformance.checks.generated``). A failing test raises
:class:`GeneratedFailures`, an exception group of Violations (our RESP-* ones first, then
Schemathesis' own under their GEN-ST-* IDs), so the report names the broken check, its
requirements and a curl without the token. The Hypothesis example database is off, so with
``--seed`` a run is repeatable (same kit, same target state).

Read-only suite (``--suite read-only``, the default against live Twilio): CreateSim and
UpdateSim are skipped in every phase and the stateful test is skipped, because they change state;
the coverage phase probes undocumented methods with OPTIONS and TRACE only (by default it also
sends PUT, PATCH, DELETE and QUERY to see them refused with 405).

Tuning, each with its reason (no check is switched off)
--------------------------------------------------------
* ``positive_data_acceptance`` also accepts **400** for CreateSim and UpdateSim (Schemathesis
  default: 2xx, 3xx, 401, 403, 404, 409, 429, 5xx). A schema-valid write is rightly refused when its
  Iccid/RegistrationCode names no registrable card (SIM-CREATE-004), when the Sim's status forbids
  the transition (SIM-TRANS-001/002), when the UniqueName is taken (SIM-ERR-005) or shaped like a
  Sim SID. ListSim and FetchSim keep the default: a schema-valid read never deserves a 400.
* ``generation.allow-extra-parameters = false``: no negative case whose only fault is an
  undeclared query or form parameter. Twilio ignores unknown parameters (DESIGN.md, known
  pitfalls: the flaky ST201), so accepting one is correct. Type, enum, range, pattern and
  missing-parameter mutations all stay on.
* Positive ListSim cases never send ``PageToken`` (a ``map_case`` hook on our schema, positive
  cases only): the token "is provided by the API" (SIM-PAGE-006), so a random string is not
  valid data and a 400 for it is right. Negative cases still send malformed tokens.
* Stateful: the machine only touches the Sims of the cards the data pool gives this test (no
  ListSim link hands it other scenarios' Sims - on a live account, real SIMs - for random
  updates), and each CallbackUrl is replaced by the loopback callback receiver's URL, so
  asynchronous updates never call random hosts. See "The stateful phase" below.
* Output sanitisation keeps Schemathesis' defaults except the ``token`` marker, which would print
  ``PageToken=[Filtered]`` in reproducing curls; ``Authorization`` stays filtered.
* Bounded memory: requests go through ``conformance.run.generated_transport.BoundedTransport``, which
  stops reading a body at ``MAX_BODY_BYTES`` (our RESP-JSON check then reports its true size), and
  a finished case keeps at most ``KEPT_BODY_CHARS`` of its answer
  (``output.truncation.max-recorded-payload-size``). A target answering 20 MB to every request
  once grew a run past 12 GB.

The stateful phase (``test_generated_stateful``, ``conformance.suite.stateful_machine``)
----------------------------------------------------------------------------------------
It used to be Schemathesis' link-based ``schema.as_state_machine()``. Which of its rules were
enabled depended on bundles filled from the target's answers, and the target's state outlives a
Hypothesis example: a card registered in one example answers 409 in the next, an asynchronous
update answers 202 and completes later, an update while ``scheduled`` answers 409. When
Hypothesis replayed a choice prefix (as it does while generating, shrinking and reporting) the
same choices selected another rule, and it raised ``FlakyStrategyDefinition`` on a correct target
(about one run in fourteen).

Now the machine is a plain Hypothesis ``RuleBasedStateMachine`` whose draws are a function of
earlier draws only, so that cannot arise:

* Rules have no preconditions and no bundles. They act on "the Sim of card k" (``k`` drawn from
  ``range(len(cards))``) with cases drawn from Schemathesis strategies built from openapi.yaml
  before the run (``schema[path][method].as_strategy()``, positive, no runtime feedback):
  register card k; fetch it; fetch it by the unique name it was last seen with; update it with a
  body the UpdateSim schema generates (then fetch it); list by its Iccid. The requests the kit
  may need to resolve a Sim come from templates an ``initialize`` rule draws at the start of
  every example, used or not. A rule body draws nothing. (The machine also has a
  ``set_status`` rule that assigns fleets; the suite leaves it off, see :func:`stateful_phase`.)
* The target's answers only decide, at call time, which SID or name the kit fills into a drawn
  case: the SID is cached for the test (201 gives it; a card registered earlier answers 409 and
  ``GET /v1/Sims?Iccid=`` finds it).
* No failure is raised into Hypothesis: each response goes through ``case.call()`` (the bounded
  transport: rate limit, 429 retry, read cap) and ``case.validate_response()`` (Schemathesis'
  checks and ours), then through cross-step checks of GEN-STATEFUL (a Sim just registered can
  be fetched; one SID keeps its iccid, account_sid and date_created; after an accepted update a
  fetch shows it or ``scheduled``; a list by Iccid shows the card's Sim). Findings are collected
  as Violations and the machine goes on, so Hypothesis never shrinks or replays a failure
  against a target whose state moved on (``FlakyFailure``). The test then raises
  :class:`GeneratedFailures` as the other phases do.

With ``--seed`` the steps and their arguments are the same whatever the target answers (the
kit's tests run one seed against a fresh mock and a used one and compare). A
``FlakyStrategyDefinition``/``FlakyReplay`` is still caught, as a last resort: it would be the
kit's bug, so the test errors (:class:`StatefulKitError`), it is never skipped or the target's
failure.
"""

from __future__ import annotations

from typing import Any

import hypothesis.errors
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.generation import GenerationMode

from conformance import contract
from conformance.checks import Violation
from conformance.checks.generated import (
    GEN_COVERAGE,
    GEN_EXAMPLES,
    GEN_FUZZ_NEGATIVE,
    GEN_FUZZ_POSITIVE,
    GEN_STATEFUL,
    bind_target,
    domain_checks_registered,
    exchange_from,
    violation_of,
)
from conformance.contract.exchange import KEPT_BODY_CHARS
from conformance.run.generated_transport import bounded_schema
from conformance.run.settings import Settings
from conformance.suite.stateful_machine import CardSpec, StatefulOutcome, StatefulRun, hypothesis_settings

check = pytest.mark.supersim_check

OPERATIONS = ("ListSim", "FetchSim", "CreateSim", "UpdateSim")
#: Operations that change state on the target (never generated in a read-only run).
WRITE_OPERATIONS = ("CreateSim", "UpdateSim")
#: Statuses that also mean a correct refusal of schema-valid data on the write operations.
WRITE_ACCEPTANCE = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
TESTING_PHASES = ("examples", "coverage", "fuzzing", "stateful")
#: Schemathesis' sensitive-key markers minus "token" (PageToken is not a secret).
SENSITIVE_MARKERS = ["key", "secret", "password", "auth", "session", "passwd", "credential"]
#: Undocumented methods the coverage phase may try in a read-only run (safe methods, RFC 9110).
SAFE_UNEXPECTED_METHODS = ("OPTIONS", "TRACE")
STATEFUL_STEPS = 6
STATEFUL_CARDS = 2

#: (test id, Schemathesis phase, generation mode, check ID)
PHASE_RUNS = (
    ("examples", "examples", "positive", GEN_EXAMPLES),
    ("coverage", "coverage", "all", GEN_COVERAGE),
    ("fuzz-positive", "fuzzing", "positive", GEN_FUZZ_POSITIVE),
    ("fuzz-negative", "fuzzing", "negative", GEN_FUZZ_NEGATIVE),
)


class GeneratedFailures(ExceptionGroup):
    """Everything one generated test found, as Violations (the first is the most specific)."""


class GeneratedPhaseError(Exception):
    """Schemathesis could not run the phase (schema, configuration or network problem)."""


# --- configuration --------------------------------------------------------------------------


def schemathesis_config(
    sc_settings: Settings, phase: str, mode: str, operation: str | None = None
) -> SchemathesisConfig:
    """The Schemathesis configuration of one phase of this run (of one operation, if given)."""
    operations: list[dict[str, Any]] = [
        {
            "include-operation-id": list(WRITE_OPERATIONS),
            "checks": {"positive_data_acceptance": {"expected-statuses": WRITE_ACCEPTANCE}},
        },
    ]
    if operation is not None:
        operations.append({"exclude-operation-id": operation, "enabled": False})
    phases: dict[str, Any] = {name: {"enabled": name == phase} for name in TESTING_PHASES}
    phases["examples"]["fill-missing"] = True
    if not sc_settings.full:
        phases["coverage"]["unexpected-methods"] = list(SAFE_UNEXPECTED_METHODS)
    phases["stateful"]["max-steps"] = STATEFUL_STEPS
    data: dict[str, Any] = {
        "base-url": sc_settings.target,
        "workers": 1,
        "request-timeout": sc_settings.timeout,
        "auth": {"auto-signup": False},
        "output": {
            "sanitization": {"sensitive-markers": SENSITIVE_MARKERS},
            # what a finished case keeps of its answer (Schemathesis keeps a cut copy)
            "truncation": {"max-recorded-payload-size": KEPT_BODY_CHARS},
        },
        "generation": {
            "mode": mode,
            "max-examples": sc_settings.max_examples,
            "database": "none",
            "allow-extra-parameters": False,
        },
        "phases": phases,
        "operations": operations,
    }
    if sc_settings.seed is not None:
        data["seed"] = sc_settings.seed
    if sc_settings.rate:  # the run's total: each worker's Schemathesis gets its share
        data["rate-limit"] = rate_limit(sc_settings.rate / sc_settings.workers)
    return SchemathesisConfig.from_dict(data)


def rate_limit(rate: float) -> str:
    """``--rate`` (requests per second) in Schemathesis' notation, never faster than asked."""
    return f"{int(rate)}/s" if rate >= 1 else f"{max(int(rate * 60), 1)}/m"


def load_schema(sc_settings: Settings, phase: str, mode: str = "positive", operation: str | None = None):
    """openapi.yaml under that configuration, authenticated as the primary account."""
    config = schemathesis_config(sc_settings, phase, mode, operation)
    schema = bounded_schema(schemathesis.openapi.from_path(contract.openapi_path(), config=config))
    schema.config.update(basic_auth=sc_settings.profile.credentials(sc_settings.profile.primary.sid))

    @schema.hook
    def map_case(context, case):
        # Positive list queries: no invented PageToken (see the module docstring).
        if (
            case.operation.label == "GET /v1/Sims"
            and case.meta is not None
            and case.meta.generation.mode == GenerationMode.POSITIVE
            and case.query
        ):
            case.query.pop("PageToken", None)
        return case

    return schema


# --- running Schemathesis and reporting what it found ------------------------------------------


def run_engine(schema) -> tuple[list[Violation], list[str], int]:
    """Run the configured phases; return (violations, skip reasons, cases sent)."""
    found: dict[tuple[str, Any], Violation] = {}
    skips: list[str] = []
    errors: list[str] = []
    sent = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            sent += len(recorder.cases)
            if event.skip_reason:
                skips.append(f"{event.label}: {event.skip_reason}")
            for case_id, nodes in recorder.checks.items():
                for node in nodes:
                    if node.failure_info is None:
                        continue
                    failure = node.failure_info.failure
                    key = (node.name, failure)  # Schemathesis' own identity: class, operation, key
                    if key in found:
                        continue
                    response = recorder.find_response(case_id=failure.case_id or case_id) or recorder.find_response(
                        case_id=case_id
                    )
                    found[key] = violation_of(node.name, failure, exchange_from(response) if response else None)
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            errors.append(f"{type(event.exception).__name__}: {event.exception}")
    if errors:
        raise GeneratedPhaseError("Schemathesis could not run this phase:\n" + "\n".join(errors))
    return ordered(found.values()), skips, sent


def ordered(violations) -> list:
    """Our RESP-* violations first, in the order the checks ran (most fundamental first), then
    Schemathesis' GEN-ST-* ones and anything else."""
    return sorted(violations, key=lambda v: not (isinstance(v, Violation) and not v.check_id.startswith("GEN-")))


def raise_for(check_id: str, label: str, violations: list[Violation]) -> None:
    if violations:
        ids = ", ".join(dict.fromkeys(v.check_id for v in violations))
        raise GeneratedFailures(f"{check_id} on {label}: {len(violations)} distinct failure(s) ({ids})", violations)


# --- the tests --------------------------------------------------------------------------------


@pytest.fixture
def generated_target(sc_target):
    """The run's target, bound as the one our domain checks compare generated responses with
    (and those checks registered with Schemathesis for this test only)."""
    with domain_checks_registered(), bind_target(sc_target):
        yield sc_target


@pytest.mark.parametrize(
    ("phase_run", "operation"),
    [
        pytest.param(run, operation, id=f"{run[0]}-{operation}", marks=check(run[3]))
        for run in PHASE_RUNS
        for operation in OPERATIONS
    ],
)
def test_generated(sc_settings, generated_target, phase_run, operation):
    _name, phase, mode, check_id = phase_run
    if operation in WRITE_OPERATIONS and not sc_settings.full:
        pytest.skip(f"{operation} changes state on the target; generated only with --suite full")
    schema = load_schema(sc_settings, phase, mode, operation)
    violations, skips, sent = run_engine(schema)
    raise_for(check_id, operation, violations)
    if not sent:
        pytest.skip("; ".join(skips) or f"Schemathesis generated no {phase} case for {operation}")


@check(GEN_STATEFUL)
def test_generated_stateful(sc_settings, sc_full_suite, sc_pool, sc_primary, sc_callbacks, generated_target):
    cards = []
    for _ in range(STATEFUL_CARDS):
        try:
            cards.append(sc_pool.take_card(sc_primary.account_sid))
        except pytest.skip.Exception:
            break
    if not cards:
        pytest.skip("the profile has no registrable card left for the stateful phase to register")
    outcome = stateful_phase(
        sc_settings,
        [CardSpec(card.iccid, card.registration_code) for card in cards],
        callback_url=sc_callbacks.url_for("generated-stateful"),
        target=generated_target,
    )
    if not outcome.sent:
        pytest.skip("the stateful phase sent no request")


class StatefulKitError(RuntimeError):
    """The stateful machine broke its own rule (its draws depended on something but earlier draws)."""


def stateful_phase(sc_settings: Settings, cards: list[CardSpec], *, callback_url: str, target: Any) -> StatefulOutcome:
    """The stateful phase on these cards, as ``test_generated_stateful`` runs it (the caller has the
    domain checks registered and ``target`` bound); raises what the test reports."""
    schema = load_schema(sc_settings, "stateful")
    # Which Fleet= an accepted update must show (the account's fleets by SID and unique name); no
    # ``set_status`` steps: assigning the account's fleets would change fleets that read scenarios
    # compare meanwhile (another xdist worker lists a fleet by SID and by name), and on a live
    # account it would activate (bill) the registered cards.
    primary = sc_settings.profile.primary.sid
    run = StatefulRun(
        schema,
        cards,
        callback_url=callback_url,
        fleet_refs=[(fleet.sid, fleet.unique_name) for fleet in sc_settings.profile.fleets_of(primary)],
    )
    try:
        outcome = run.run(hypothesis_settings(schema, sc_settings.max_examples), seed=sc_settings.seed)
    except (hypothesis.errors.FlakyStrategyDefinition, hypothesis.errors.FlakyReplay) as error:
        # Last-resort guard, unreachable by design (the machine draws from earlier draws only):
        # should it ever fire, it is the kit's bug, so the test errors; the target is not judged.
        raise StatefulKitError(
            "kit error: Hypothesis found the stateful machine's draws inconsistent "
            f"({type(error).__name__}); nothing about the target was judged"
        ) from error
    if outcome.errors:
        raise GeneratedPhaseError("Schemathesis could not run this phase:\n" + "\n".join(outcome.errors))
    raise_for(GEN_STATEFUL, "the Sims of the pool's cards", ordered(outcome.violations))
    return outcome
