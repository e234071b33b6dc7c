"""The stateful phase (GEN-STATEFUL): a state machine whose draws never depend on the target.

Why not Schemathesis' link-based machine
----------------------------------------
``schema.as_state_machine()`` enables a rule when a bundle holds a response its link can use,
and fills bundles from what the target answered. The target's state outlives one Hypothesis
example (a card registered in one example answers 409 in the next, an asynchronous update
answers 202 and completes later, an update while ``scheduled`` answers 409), and Hypothesis
replays choice prefixes while it generates (its data tree, its mutator, shrinking and the final
replay of a failure). The same prefix then met other bundles, selected another rule and Hypothesis
raised ``FlakyStrategyDefinition`` ("Inconsistent data generation! ... while selecting a rule to
run"): a correct target failed about one run in fourteen.

The design here
---------------
* What Hypothesis draws is a function of earlier draws only. The rules have no preconditions
  and no bundles; a rule's arguments are the index ``k`` of one of the cards the data pool gave
  the test ("the Sim of card k", drawn from ``range(len(cards))``) and Schemathesis cases drawn
  from strategies built once, before the run, from openapi.yaml
  (``schema[path][method].as_strategy(...)``, positive, stateful phase, no runtime feedback): a
  FetchSim case, an UpdateSim case whose body the schema's strategy generates, an UpdateSim
  case whose body is a drawn status and fleet, a ListSim case with the card's ``Iccid``. The
  requests the kit may need to resolve a Sim (the card's CreateSim case, a ListSim case, a
  FetchSim case) are drawn as templates once per example by an ``initialize`` rule, used or not.
  A rule body draws nothing.
* What the target answers only decides what the kit does with the drawn cases, at call time:
  :class:`StatefulRun` resolves "the Sim of card k" to a SID (the SID is cached for the whole
  test: the first registration answers 201 with it; a card registered earlier answers 409 and its
  SID comes from ``GET /v1/Sims?Iccid=``), fills the path's ``Sid`` (or the unique name the Sim
  was last seen with) and replaces any ``CallbackUrl`` by the loopback callback receiver's URL.
* No failure is raised into Hypothesis. Each response goes through ``case.validate_response``
  (Schemathesis' checks for the operation, ``supersim_domain_checks`` among them while the test
  has them registered) and through the cross-step checks below; what fails is recorded as a
  Violation and the machine goes on. So Hypothesis never shrinks or replays a failing example
  either (which, against a target whose state moved on, would end in ``FlakyFailure``). A kit
  error or a transport error is kept, the remaining steps do nothing, and it is raised (or
  reported) after the run.

So for one seed the sequence of rules and arguments is fixed whatever the target does; only the
SIDs and names filled in at call time come from it.

Rules (each on "the Sim of card k")
------------------------------------
``register``        POST /v1/Sims with the card; a 2xx is followed by a fetch of the SID it gave
``fetch``           GET /v1/Sims/{sid}
``fetch_by_name``   GET /v1/Sims/{unique_name} when the Sim was last seen with one (else by SID)
``update``          POST /v1/Sims/{sid} with a generated body, then GET /v1/Sims/{sid}
``set_status``      only when the run is given fleets it may assign: POST /v1/Sims/{sid} with
                    a Status (ready, active, inactive), one of those fleets or none, and the
                    callback URL; then GET /v1/Sims/{sid}. This is what reaches 202,
                    ``scheduled`` and the 409 of an update while scheduled (generated bodies
                    name no real fleet, and activating needs one). The suite gives none: see
                    ``test_generated.stateful_phase``; the kit's own tests do, on their own mock
``list_by_iccid``   GET /v1/Sims?Iccid=<the card's>, other list parameters generated

Cross-step checks (GEN-STATEFUL)
--------------------------------
* A Sim just registered can be fetched: 200 with the same ``sid`` (SIM-CREATE-001, SIM-FETCH-001,
  SIM-ADDR-001); a Sim the account holds (not moved away by an accepted AccountSid) keeps
  answering 200 to a fetch by its SID.
* One Sim, one identity (SIM-PROP-002): every representation with a SID shows the same ``iccid``
  and ``date_created`` every time it is seen (a fetch, an update's answer, a list item), the same
  ``account_sid`` unless an accepted update moved it, a fetch of a SID answers that SID, a fetch
  by the Sim's unique name answers its SID, and one ICCID is never two SIDs.
* After an accepted update (200 or 202), a fetch shows the update or ``scheduled``
  (SIM-UPDATE-001): the UniqueName (empty: none), the Status (``ready`` may already have become
  ``active``), the Fleet (when it is one of the account's fleets in the profile) and the
  AccountSid that were sent.
* A list by Iccid with no other filter shows the card's Sim once the kit knows its SID.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import hypothesis
import requests
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.meta import TestPhase

from conformance.checks import Violation
from conformance.checks.generated import GEN_STATEFUL, exchange_from, violation_of

#: The ``Sid`` a drawn FetchSim/UpdateSim case carries until the kit fills in the real one.
PLACEHOLDER_SID = "HS" + "0" * 32
#: The statuses an update may ask for (SIM-UPDATE-003).
UPDATE_STATUSES = ("ready", "active", "inactive")
#: Statuses of an accepted update.
ACCEPTED_UPDATE = (200, 202)
#: ListSim parameters that never narrow a list by Iccid down to nothing.
NON_FILTERING = frozenset({"Iccid", "PageSize"})
#: Fields that never change on one Sim.
FIXED_FIELDS = ("iccid", "date_created")
#: Network errors of the transport: the target could not be asked (reported like the engine's).
TRANSPORT_ERRORS = (requests.exceptions.ConnectionError, requests.exceptions.Timeout)


@dataclass(frozen=True)
class CardSpec:
    """A registrable card the machine may register (from the data pool)."""

    iccid: str
    registration_code: str


@dataclass
class SimRef:
    """The Sim of card k in one step: ``k`` and this example's templates of the kit's own requests.

    The templates are drawn once per example (the machine's ``initialize`` rule), whether or not
    the step needs them; each request the kit makes from one is a copy (``Case.derive``, a fresh
    case id), so what Hypothesis draws never depends on which of them the target's answers call for.
    """

    card: int
    register: Any
    """CreateSim case with this card's Iccid and RegistrationCode."""
    lookup: Any
    """ListSim case, sent as ``?Iccid=`` the card's (a re-registration answered 409)."""
    check: Any
    """FetchSim case, the follow-up fetch of a Sim just registered."""

    def __repr__(self) -> str:  # how Hypothesis prints a step
        return f"SimRef(card={self.card})"


@dataclass
class Sighting:
    """The first representation of one SID: what must stay the same, and where it was seen."""

    fixed: dict[str, Any]
    seen_in: str
    accounts: set[str] = field(default_factory=set)
    """``account_sid`` values that are right now (two while an accepted move may be showing)."""
    moving_to: str | None = None


@dataclass
class StatefulOutcome:
    """What one stateful run found and did."""

    violations: list[Violation]
    errors: list[str]
    """Requests that got no answer (connection error, timeout): the phase could not run."""
    sent: int
    examples: int
    steps: Counter[str]
    """Steps run per rule, and kit-side requests per purpose (``resolve-lookup``, ...)."""
    answers: Counter[str]
    """Answers per operation and status (``"POST /v1/Sims 201"``)."""
    trace: list[tuple[Any, ...]]
    """Every step as Hypothesis drew it: the rule, the card index, the drawn cases' query and body."""


class StatefulRun:
    """The kit's side of the stateful phase: sends the drawn cases, checks and remembers answers.

    Everything here outlives one Hypothesis example (the target's state does too); none of it is
    read by anything Hypothesis draws.
    """

    def __init__(
        self,
        schema: Any,
        cards: Sequence[CardSpec],
        *,
        callback_url: str,
        fleet_refs: Sequence[tuple[str, str | None]] = (),
        fleets: Sequence[str] = (),
    ) -> None:
        if not cards:
            raise ValueError("the stateful phase needs at least one registrable card")
        self.schema = schema
        self.cards = list(cards)
        self.callback_url = callback_url
        self.fleets = list(fleets)
        """Fleets ``set_status`` may assign (SIDs); none: the machine has no ``set_status`` rule."""
        self.fleet_refs = {ref: sid for sid, name in fleet_refs for ref in (sid, name) if ref}
        """The account's fleets by SID and unique name (``(sid, unique_name)`` pairs given), to tell
        what an accepted ``Fleet=`` must show."""
        self.sids: dict[int, str] = {}
        self.sightings: dict[str, Sighting] = {}
        self.latest: dict[str, dict[str, Any]] = {}
        self.sid_of_iccid: dict[str, str] = {}
        self.moved: set[str] = set()
        self.found: dict[tuple[Any, ...], Violation] = {}
        self.errors: list[str] = []
        self.kit_error: BaseException | None = None
        self.sent = 0
        self.examples = 0
        self.steps: Counter[str] = Counter()
        self.answers: Counter[str] = Counter()
        self.trace: list[tuple[Any, ...]] = []
        self._results: list[Any] = []

    # --- strategies: built once, before the run, from the schema alone ---------------------------

    def _strategy(self, path: str, method: str, **fixed: Any) -> st.SearchStrategy[Any]:
        return self.schema[path][method].as_strategy(
            GenerationMode.POSITIVE, phase=TestPhase.STATEFUL, feedback=NO_FEEDBACK, **fixed
        )

    def strategies(self) -> dict[str, st.SearchStrategy[Any]]:
        fetches = self._strategy("/v1/Sims/{Sid}", "GET", path_parameters={"Sid": PLACEHOLDER_SID})
        updates = self._strategy("/v1/Sims/{Sid}", "POST", path_parameters={"Sid": PLACEHOLDER_SID})
        registers = [
            self._strategy("/v1/Sims", "POST", body={"Iccid": c.iccid, "RegistrationCode": c.registration_code})
            for c in self.cards
        ]
        lists = [self._strategy("/v1/Sims", "GET", query={"Iccid": c.iccid}) for c in self.cards]
        indices = st.integers(min_value=0, max_value=len(self.cards) - 1)
        kits = st.tuples(*(st.tuples(registers[k], lists[k], fetches) for k in range(len(self.cards))))
        listings = indices.flatmap(lambda k: st.tuples(st.just(k), lists[k]))
        changes = {
            (status, fleet): self._strategy(
                "/v1/Sims/{Sid}",
                "POST",
                path_parameters={"Sid": PLACEHOLDER_SID},
                body=self.status_form(status, fleet),
            )
            for status in UPDATE_STATUSES
            for fleet in (None, *range(len(self.fleets)))
        }
        status_changes = st.sampled_from(list(changes)).flatmap(lambda key: st.tuples(st.just(key), changes[key]))
        return {
            "cards": indices,
            "kits": kits,
            "fetches": fetches,
            "updates": updates,
            "listings": listings,
            "status_changes": status_changes,
        }

    # --- running ------------------------------------------------------------------------------

    def machine(self) -> type[RuleBasedStateMachine]:
        """The Hypothesis state machine over this run (rules without preconditions or bundles)."""
        run = self
        drawn = self.strategies()

        class SimsOfThePool(RuleBasedStateMachine):
            """Steps on the Sims of the pool's cards; the kit resolves each to a SID at call time."""

            def __init__(self) -> None:
                super().__init__()
                run.examples += 1
                self.kits: tuple[tuple[Any, ...], ...] = ()

            @initialize(kits=drawn["kits"])
            def draw_templates(self, kits: tuple[tuple[Any, ...], ...]) -> None:
                self.kits = kits
                run.trace.append(("templates", *(_drawn(case) for kit in kits for case in kit)))

            def sim(self, card: int) -> SimRef:
                return SimRef(card, *self.kits[card])

            @rule(card=drawn["cards"])
            def register(self, card: int) -> None:
                run.step("register", run.register, self.sim(card))

            @rule(card=drawn["cards"], fetch=drawn["fetches"])
            def fetch(self, card: int, fetch: Any) -> None:
                run.step("fetch", run.fetch, self.sim(card), fetch)

            @rule(card=drawn["cards"], fetch=drawn["fetches"])
            def fetch_by_name(self, card: int, fetch: Any) -> None:
                run.step("fetch_by_name", run.fetch_by_name, self.sim(card), fetch)

            @rule(card=drawn["cards"], update=drawn["updates"], fetch=drawn["fetches"])
            def update(self, card: int, update: Any, fetch: Any) -> None:
                run.step("update", run.update, self.sim(card), update, fetch)

            if run.fleets:  # fixed before the run: the rule set never changes during it

                @rule(card=drawn["cards"], change=drawn["status_changes"], fetch=drawn["fetches"])
                def set_status(self, card: int, change: tuple[tuple[str, int | None], Any], fetch: Any) -> None:
                    run.step("set_status", run.set_status, self.sim(card), change[1], fetch)

            @rule(listing=drawn["listings"])
            def list_by_iccid(self, listing: tuple[int, Any]) -> None:
                run.step("list_by_iccid", run.list_by_iccid, *listing)

        return SimsOfThePool

    def run(self, settings: hypothesis.settings, seed: int | None = None) -> StatefulOutcome:
        """Run the machine; return what it found. A kit error inside a step is raised here."""
        machine = self.machine()
        if seed is not None:
            machine = hypothesis.seed(seed)(machine)
        self.schema.hooks.register_hook_with_name(self._after_validate, "after_validate")
        try:
            run_state_machine_as_test(machine, settings=settings)
        finally:
            self.schema.hooks.unregister(self._after_validate)
        if self.kit_error is not None:
            raise self.kit_error
        return StatefulOutcome(
            list(self.found.values()), self.errors, self.sent, self.examples, self.steps, self.answers, self.trace
        )

    def step(self, name: str, action: Callable[..., Any], *args: Any) -> None:
        """Run one rule's body; nothing it raises reaches Hypothesis (see the module docstring)."""
        self.trace.append((name, *(_drawn(arg) for arg in args)))
        if self.kit_error is not None or self.errors:
            return  # the phase is over: what is left of the run sends nothing
        self.steps[name] += 1
        try:
            action(*args)
        except TRANSPORT_ERRORS as error:
            self.errors.append(f"{name}: {type(error).__name__}: {error}")
        except Exception as error:  # the kit's own error: raised after the run, nothing judged
            self.kit_error = error

    # --- one request -------------------------------------------------------------------------

    def _after_validate(self, context: Any, case: Any, response: Any, results: list[Any]) -> None:
        self._results = list(results)

    def send(self, case: Any) -> Any:
        """Send one case (schema's transport: rate limit, 429 retry, read cap) and check its answer."""
        response = case.call()
        self.sent += 1
        self.answers[f"{case.operation.label} {response.status_code}"] += 1
        self._results = []
        try:
            case.validate_response(response)
        except FailureGroup as group:
            names = {id(r.failure): r.name for r in self._results if getattr(r, "failure", None) is not None}
            exchange = exchange_from(response)
            for failure in group.exceptions:
                name = names.get(id(failure)) or (getattr(type(failure), "checks", ()) or ("stateful",))[0]
                key = ("schemathesis", name, failure)
                if key not in self.found:
                    self.found[key] = violation_of(name, failure, exchange)
        except Failure as failure:  # a single failure not wrapped in a group
            name = (getattr(type(failure), "checks", ()) or ("stateful",))[0]
            self.found.setdefault(("schemathesis", name, failure), violation_of(name, failure, exchange_from(response)))
        return response

    def inconsistent(self, kind: str, message: str, response: Any, *, expected: Any = None, received: Any = None):
        """Record a GEN-STATEFUL violation (one per kind)."""
        key = ("stateful", kind)
        if key not in self.found:
            self.found[key] = Violation(
                GEN_STATEFUL, message, expected=expected, received=received, exchange=exchange_from(response)
            )

    # --- what the answers say about the Sims ----------------------------------------------------

    def observe(self, representation: Any, response: Any, where: str) -> None:
        """Check one Sim representation against what was seen of its SID before; remember it."""
        if not isinstance(representation, dict) or not isinstance(representation.get("sid"), str):
            return
        sid = representation["sid"]
        seen = self.sightings.get(sid)
        account = representation.get("account_sid")
        if seen is None:
            fixed = {name: representation.get(name) for name in FIXED_FIELDS}
            self.sightings[sid] = Sighting(fixed, where, {account} if isinstance(account, str) else set())
        else:
            for name in FIXED_FIELDS:
                if representation.get(name) != seen.fixed[name]:
                    self.inconsistent(
                        f"fixed-{name}",
                        f"Sim {sid} shows {name} {representation.get(name)!r} in {where}, "
                        f"but {seen.fixed[name]!r} when first seen ({seen.seen_in})",
                        response,
                        expected=seen.fixed[name],
                        received=representation.get(name),
                    )
            if seen.accounts and account not in seen.accounts:
                self.inconsistent(
                    "account",
                    f"Sim {sid} shows account_sid {account!r} in {where}, but no accepted update moved it "
                    f"from {sorted(seen.accounts)} ({seen.seen_in})",
                    response,
                    expected=sorted(seen.accounts),
                    received=account,
                )
            elif seen.moving_to is not None and account == seen.moving_to:
                seen.accounts, seen.moving_to = {account}, None
        iccid = representation.get("iccid")
        if isinstance(iccid, str):
            other = self.sid_of_iccid.setdefault(iccid, sid)
            if other != sid:
                self.inconsistent(
                    "iccid-two-sids",
                    f"ICCID {iccid} is Sim {sid} in {where}, but was Sim {other} before",
                    response,
                    expected=other,
                    received=sid,
                )
        self.latest[sid] = representation

    def resolve(self, sim: SimRef) -> str | None:
        """The SID of the Sim of card k: cached, else registered now, else looked up by ICCID."""
        if sim.card in self.sids:
            return self.sids[sim.card]
        self.steps["resolve-register"] += 1
        return self.register(sim)

    def register(self, sim: SimRef) -> str | None:
        card = self.cards[sim.card]
        response = self.send(_copy(sim.register))
        body = _json(response)
        where = f"POST /v1/Sims -> {response.status_code}"
        if 200 <= response.status_code < 300 and isinstance(body, dict) and isinstance(body.get("sid"), str):
            sid = body["sid"]
            self.observe(body, response, where)
            self.sids.setdefault(sim.card, sid)
            self._fetchable_after_registration(sim, sid)
        elif response.status_code == 409 and sim.card not in self.sids:
            self.steps["resolve-lookup"] += 1
            self._look_up(sim, card)
        return self.sids.get(sim.card)

    def _fetchable_after_registration(self, sim: SimRef, sid: str) -> None:
        response = self._fetch(_copy(sim.check), sid)
        body = _json(response)
        if response.status_code != 200:
            self.inconsistent(
                "registered-not-fetchable",
                f"Sim {sid} was just registered, but GET /v1/Sims/{sid} answers {response.status_code}",
                response,
                expected=200,
                received=response.status_code,
            )
        elif isinstance(body, dict):
            self._same_sid(body, sid, response, "the fetch of a Sim just registered")
            self.observe(body, response, f"GET /v1/Sims/{sid} -> 200")

    def _look_up(self, sim: SimRef, card: CardSpec) -> None:
        case = _copy(sim.lookup)
        case.query = {"Iccid": card.iccid}
        response = self.send(case)
        body = _json(response)
        if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("sims"), list):
            return
        where = f"GET /v1/Sims?Iccid={card.iccid} -> 200"
        for item in body["sims"]:
            self.observe(item, response, where)
            if isinstance(item, dict) and item.get("iccid") == card.iccid and isinstance(item.get("sid"), str):
                self.sids.setdefault(sim.card, item["sid"])

    def _fetch(self, case: Any, ref: str) -> Any:
        case.path_parameters = {"Sid": path_segment(ref)}
        return self.send(case)

    def _same_sid(self, body: dict[str, Any], sid: str, response: Any, what: str) -> None:
        if body.get("sid") != sid:
            self.inconsistent(
                "other-sid",
                f"{what} answers Sim {body.get('sid')!r}, not {sid}",
                response,
                expected=sid,
                received=body.get("sid"),
            )

    def fetch(self, sim: SimRef, case: Any) -> None:
        sid = self.resolve(sim)
        if sid is not None:
            self._fetch_known(case, sid, sid, "a fetch by SID")

    def fetch_by_name(self, sim: SimRef, case: Any) -> None:
        sid = self.resolve(sim)
        if sid is None:
            return
        name = (self.latest.get(sid) or {}).get("unique_name")
        if isinstance(name, str) and name:
            self.steps["by-name"] += 1
            response = self._fetch(case, name)
            body = _json(response)
            if response.status_code == 200 and isinstance(body, dict):
                self._same_sid(body, sid, response, f"a fetch by the unique name {name!r} of Sim {sid}")
                self.observe(body, response, f"GET /v1/Sims/{name} -> 200")
            # Another answer is not judged here: addressing by unique name has its own scenarios.
        else:
            self._fetch_known(case, sid, sid, "a fetch by SID")

    def _fetch_known(self, case: Any, sid: str, ref: str, what: str) -> Any:
        response = self._fetch(case, ref)
        body = _json(response)
        if response.status_code == 200 and isinstance(body, dict):
            self._same_sid(body, sid, response, what)
            self.observe(body, response, f"GET /v1/Sims/{ref} -> 200")
        elif response.status_code == 404 and sid not in self.moved:
            self.inconsistent(
                "known-not-found",
                f"Sim {sid} belongs to the account (it was registered or found by this run), "
                f"but GET /v1/Sims/{ref} answers 404",
                response,
                expected=200,
                received=404,
            )
        return response

    def update(self, sim: SimRef, case: Any, fetch: Any) -> None:
        if isinstance(case.body, dict) and "CallbackUrl" in case.body:
            case.body = {**case.body, "CallbackUrl": self.callback_url}
        self._update(sim, case, fetch)

    def status_form(self, status: str, fleet: int | None) -> dict[str, str]:
        """The body of a ``set_status`` step: the status, the fleet (if any), our callback URL."""
        form = {"Status": status, "CallbackUrl": self.callback_url}
        if fleet is not None:
            form["Fleet"] = self.fleets[fleet]
        return form

    def set_status(self, sim: SimRef, case: Any, fetch: Any) -> None:
        self._update(sim, case, fetch)

    def _update(self, sim: SimRef, case: Any, fetch: Any) -> None:
        sid = self.resolve(sim)
        if sid is None:
            return
        case.path_parameters = {"Sid": path_segment(sid)}
        before = self.latest.get(sid) or {}
        response = self.send(case)
        if response.status_code not in ACCEPTED_UPDATE:
            return
        self.steps["update-accepted"] += 1
        # What the update changes is judged on the form as it went on the wire, not on the case.
        pairs = exchange_from(response).form
        form = dict(pairs) if len({name for name, _ in pairs}) == len(pairs) else {}
        target = form.get("AccountSid")
        seen = self.sightings.get(sid)
        if isinstance(target, str) and target != before.get("account_sid") and seen is not None:
            seen.accounts.add(target)
            seen.moving_to = target
            self.moved.add(sid)  # the primary may no longer see it
        body = _json(response)
        if isinstance(body, dict):
            self._same_sid(body, sid, response, f"an update of Sim {sid}")
            self.observe(body, response, f"POST /v1/Sims/{sid} -> {response.status_code}")
        after = self._fetch_known(fetch, sid, sid, "the fetch after an accepted update")
        shown = _json(after)
        if after.status_code == 200 and isinstance(shown, dict):
            self._shows_update(sid, form, shown, after, response.status_code)

    def _shows_update(self, sid: str, form: dict[str, str], shown: dict[str, Any], response: Any, code: int) -> None:
        if shown.get("status") == "scheduled":
            return  # an asynchronous update is under way: what it changes may not show yet
        expected: dict[str, Any] = {}
        if "UniqueName" in form:
            expected["unique_name"] = form["UniqueName"] or None
        if "Status" in form:
            expected["status"] = form["Status"]
        if "Fleet" in form:
            fleet = self.fleet_refs.get(form["Fleet"]) if form["Fleet"] else None
            if fleet is not None or not form["Fleet"]:
                expected["fleet_sid"] = fleet
        if "AccountSid" in form:
            expected["account_sid"] = form["AccountSid"]
        for name, value in expected.items():
            got = shown.get(name)
            if got == value or (value is None and got == ""):
                continue
            if name == "status" and value == "ready" and got == "active":
                continue  # a ready Sim may become active on its own (its network use)
            self.inconsistent(
                f"update-not-shown-{name}",
                f"POST /v1/Sims/{sid} with {_form_text(form)} answered {code}, but the fetch right after "
                f"shows {name} {got!r} (neither {value!r} nor status scheduled)",
                response,
                expected={name: value},
                received={name: got, "status": shown.get("status")},
            )

    def list_by_iccid(self, k: int, case: Any) -> None:
        card = self.cards[k]
        response = self.send(case)
        body = _json(response)
        if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("sims"), list):
            return
        where = f"GET /v1/Sims?Iccid={card.iccid} -> 200"
        for item in body["sims"]:
            self.observe(item, response, where)
        sid = self.sids.get(k)
        query = case.query if isinstance(case.query, dict) else {}
        if sid is None or sid in self.moved or set(query) - NON_FILTERING:
            return
        listed = [item.get("sid") for item in body["sims"] if isinstance(item, dict)]
        if sid not in listed:
            self.inconsistent(
                "list-misses-sim",
                f"Sim {sid} (ICCID {card.iccid}) belongs to the account, but the list by its Iccid shows {listed}",
                response,
                expected=[sid],
                received=listed,
            )


def hypothesis_settings(schema: Any, max_examples: int) -> hypothesis.settings:
    """The run's Hypothesis settings for the machine: the schema's (steps per example, derandomised
    in CI), ``max_examples`` from the run, no database, and only the generate phase (no failure is
    ever raised into Hypothesis, so there is nothing to shrink, and no explicit examples)."""
    parent = schema.config.get_hypothesis_settings(phase="stateful")
    return hypothesis.settings(
        parent,
        # the first step of an example is the ``initialize`` rule that draws the templates
        stateful_step_count=parent.stateful_step_count + 1,
        max_examples=max_examples,
        database=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
        deadline=None,
    )


def path_segment(value: str) -> str:
    """``value`` as one path segment, percent-encoded (Schemathesis encodes only what it generated);
    ``.`` and ``..`` encoded too, or the URL would name the list or the API root."""
    if value in (".", ".."):
        return value.replace(".", "%2E")
    return quote(value, safe="")


def _json(response: Any) -> Any:
    try:
        return json.loads(response.content or b"")
    except (ValueError, UnicodeDecodeError):
        return None


def _drawn(value: Any) -> Any:
    """What Hypothesis drew, comparable between runs (a case by its generated data, not its id)."""
    if isinstance(value, SimRef):
        return ("card", value.card)
    if hasattr(value, "operation") and hasattr(value, "body"):
        body = value.body if isinstance(value.body, (dict, list, str, int, float, bool)) else None
        return (value.operation.label, repr(value.path_parameters), repr(value.query), repr(body))
    return value


def _copy(template: Any) -> Any:
    """A request made from a template case: its data and credentials under a fresh case id."""
    return template.derive(keep_auth=True)


def _form_text(form: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in form.items()) or "an empty body"
