"""Everything one proxy session judged: each exchange through the same checks, the verdicts kept.

:class:`Journal` is the one pipeline the live proxy and an offline re-judging of recorded traffic
share: :meth:`Journal.judge` takes an exchange (the request as the client sent it, the answer as
the upstream gave it) and runs the client's request rules (``proxy.requests``), every response
check of the suite (``checks.run_response_checks``) and the cross-request rules
(``proxy.observer``). Each violation is kept with its side: ``client`` (the request broke the
contract) or ``server`` (the answer did). :meth:`results` turns them into the report rows the
suite's reports are made of, so a proxy session has the same report.json, junit.xml, report.md
and report.html as a run.

Memory is bounded whatever the traffic: at most :data:`MAX_VIOLATIONS` violations are kept
(the rest are counted), each with its exchange cut to the report's body limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from conformance.checks import CHECKS, Violation, load_all, requirement_level, response_checks, run_response_checks
from conformance.checks import responses as resp
from conformance.checks.clients import FORM_BODY, PARAM_NAMES, PARAM_VALUES
from conformance.contract.exchange import Exchange
from conformance.proxy.observer import Observer
from conformance.proxy.requests import client_violations, operation_of

#: Violations kept per session (each with its exchange); later ones are counted, not kept.
MAX_VIOLATIONS = 2000
#: Notes kept at most (each only once).
MAX_NOTES = 50
#: Report rows per check: the first ones in full, then one row saying how many more.
ROWS_PER_CHECK = 50
CLIENT_CHECKS = (FORM_BODY, PARAM_NAMES, PARAM_VALUES)


def _ok(exchange: Exchange) -> bool:
    return 200 <= exchange.status < 300 and exchange.is_json


#: Which exchanges each response check judges: its row says "held on N" only for those, and a
#: check that saw none of its kind is reported skipped (a test keeps the table complete).
APPLIES: dict[str, Any] = {
    "RESP-JSON": lambda x: resp.on_sim_surface(x) and not x.error,
    "RESP-SERVER-ERROR": lambda x: resp.on_sim_surface(x) and not x.error,
    "RESP-RATE-LIMIT": lambda x: x.status == 429 or bool(x.rate_limited),
    "RESP-SIM-SCHEMA": lambda x: _ok(x) and (resp.is_create(x) or resp.instance_key(x) is not None),
    "RESP-PAGE-SCHEMA": lambda x: _ok(x) and resp.is_list(x),
    "RESP-ERROR-BODY": lambda x: resp.on_sim_surface(x) and 400 <= x.status < 500,
    "RESP-SIM-URL": lambda x: _ok(x) and resp.on_sim_surface(x),
    "RESP-SIM-DATES": lambda x: _ok(x) and resp.on_sim_surface(x),
    "RESP-FETCH-IDENTITY": lambda x: _ok(x) and resp.instance_key(x) is not None,
    "RESP-ACCOUNT": lambda x: _ok(x) and resp.is_list(x) and bool(x.account_sid),
    "RESP-PAGE-META": lambda x: _ok(x) and resp.is_list(x),
    "RESP-PAGE-HOST": lambda x: _ok(x) and resp.is_list(x),
    "RESP-FILTER-ICCID": lambda x: _ok(x) and resp.is_list(x) and "Iccid" in x.query,
    "RESP-FILTER-STATUS": lambda x: _ok(x) and resp.is_list(x) and "Status" in x.query,
    # a Fleet by unique name is not judged: the proxy knows no profile to resolve it with
    "RESP-FILTER-FLEET": lambda x: _ok(x) and resp.is_list(x) and bool(resp.FLEET_SID.match(x.query.get("Fleet", ""))),
    "RESP-CREATE": lambda x: resp.is_create(x) and not x.error,
}


@dataclass(frozen=True)
class Context:
    """What the response checks read of a target: its base URL, and Fleet names (unknown here)."""

    base_url: str

    def fleet_sid_for(self, name: str) -> str | None:
        return None  # the proxy knows no profile: a Fleet filter by unique name is not judged


@dataclass
class Entry:
    side: str
    """``server`` (the answer broke the contract) or ``client`` (the request did)."""
    violation: Violation
    exchange_number: int
    at: float

    def to_dict(self) -> dict[str, Any]:
        data = self.violation.to_dict()
        data.update(side=self.side, exchange_number=self.exchange_number)
        return data


@dataclass
class Journal:
    """The verdicts of one session (thread-safe)."""

    upstream: str
    observer: Observer = field(default_factory=Observer)
    entries: list[Entry] = field(default_factory=list)
    dropped: int = 0
    exchanges: int = 0
    callbacks: int = 0
    applied: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    tokens: dict[str, set[str]] = field(default_factory=dict, repr=False)
    """Auth Tokens seen per Account SID (memory only: a callback's signature is checked with them)."""
    started: float = field(default_factory=time.time)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        load_all()
        self.context = Context(self.upstream.rstrip("/"))

    def learn_token(self, account_sid: str, token: str) -> None:
        with self._lock:
            self.secrets.add(token)
            self.tokens.setdefault(account_sid, set()).add(token)

    def tokens_for(self, account_sid: str) -> list[str]:
        with self._lock:
            return sorted(self.tokens.get(account_sid, ()))

    def reset(self) -> None:
        """Forget every verdict and observation (a new test through the same proxy); secrets stay known."""
        with self._lock:
            self.entries.clear()
            self.applied.clear()
            self.notes.clear()
            self.dropped = self.exchanges = self.callbacks = 0
            self.observer = Observer()
            self.started = time.time()

    # --- judging ----------------------------------------------------------------------------

    def judge_request(
        self, exchange: Exchange, query: bytes, body: bytes, content_type: str | None
    ) -> tuple[list[Violation], list[tuple[str, str]] | None, float]:
        """The client's side of one request, before it is forwarded; and when it was sent (for
        :meth:`judge`: an answer is judged against what was known when its request went out)."""
        found, pairs = client_violations(exchange, query, body, content_type)
        with self._lock:
            if operation_of(exchange.method, exchange.path) is not None:
                for check in CLIENT_CHECKS:
                    self.applied[check] = self.applied.get(check, 0) + 1
            sent = self.observer.request_sent(exchange)
        return found, pairs, sent

    def judge(
        self,
        exchange: Exchange,
        client: Iterable[Violation] = (),
        form: dict[str, str] | None = None,
        sent: float | None = None,
    ) -> list[Entry]:
        """Judge one complete exchange; keep and return its entries.

        A rule that raises anything but a Violation is an error of the kit: noted, never reported as
        the target's failure, and the proxy goes on.
        """
        try:
            server = run_response_checks(self.context, exchange)
        except Exception as error:  # a check's own bug on an answer it did not expect
            server = []
            self.note(
                f"an error of the kit in a response check ({type(error).__name__}): that exchange was not judged by it"
            )
        with self._lock:
            self.exchanges += 1
            number = self.exchanges
            for check in response_checks():
                applies = APPLIES.get(check.id)
                if applies is not None and applies(exchange):
                    self.applied[check.id] = self.applied.get(check.id, 0) + 1
            try:
                server += self.observer.observe(exchange, form, sent)
            except Exception as error:
                self._note(f"an error of the kit in a cross-request rule ({type(error).__name__}): not judged")
            made = [Entry("client", v, number, time.time()) for v in client]
            made += [Entry("server", v, number, time.time()) for v in server]
            self._keep(made)
        return made

    def note(self, text: str) -> None:
        """A note for the session's report, once (the same note again is not repeated), at most MAX_NOTES."""
        with self._lock:
            self._note(text)

    def _note(self, text: str) -> None:
        """:meth:`note`, for a caller that holds the lock."""
        if text not in self.notes and len(self.notes) < MAX_NOTES:
            self.notes.append(text)

    def add(self, side: str, violations: Iterable[Violation]) -> list[Entry]:
        """Keep violations found outside an exchange (a callback, the end of the session)."""
        with self._lock:
            made = [Entry(side, v, self.exchanges, time.time()) for v in violations]
            self._keep(made)
        return made

    def _keep(self, made: list[Entry]) -> None:
        room = MAX_VIOLATIONS - len(self.entries)
        self.entries.extend(made[: max(room, 0)])
        self.dropped += max(len(made) - max(room, 0), 0)

    # --- reading ----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """What ``GET /_proxy/violations`` answers."""
        with self._lock:
            entries = list(self.entries)
            return {
                "upstream": self.upstream,
                "exchanges": self.exchanges,
                "callbacks": self.callbacks,
                "counts": _counts(entries, self.dropped),
                "violations": [e.to_dict() for e in entries],
            }

    def failing(self) -> list[Entry]:
        """The entries that fail a session: MUST violations, of either side."""
        with self._lock:
            return [e for e in self.entries if e.violation.level == "MUST"]

    def judged_counts(self) -> dict[str, int]:
        with self._lock:
            counts = dict(self.applied)
        for check, n in self.observer.judged.items():
            counts[check] = counts.get(check, 0) + n
        return counts

    def results(self, extra_judged: dict[str, int] | None = None) -> list[Any]:
        """Report rows: per violation a failed or warned row; per check that held, a passed one."""
        from conformance.report import Result

        counts = self.judged_counts()
        for ident, n in (extra_judged or {}).items():
            counts[ident] = counts.get(ident, 0) + n
        with self._lock:
            entries = list(self.entries)
        by_check: dict[str, list[Entry]] = {}
        for entry in entries:
            by_check.setdefault(entry.violation.check_id, []).append(entry)
        rows: list[Result] = []
        ids = sorted(set(APPLIES) | set(CLIENT_CHECKS) | set(counts) | set(by_check))
        for ident in ids:
            known = CHECKS.get(ident)
            if known is None:
                continue
            check = known
            found = by_check.get(ident, [])
            judged = counts.get(ident, 0)
            if not found:
                rows.append(
                    Result(
                        id=ident,
                        title=check.title,
                        requirements=list(check.requirements),
                        outcome="passed" if judged else "skipped",
                        message=(
                            f"held on {judged} observation(s) of the proxied traffic"
                            if judged
                            else "nothing of its kind passed through the proxy"
                        ),
                        nodeid=f"proxy::{ident}",
                        level=check.level,
                    )
                )
                continue
            for number, entry in enumerate(found[:ROWS_PER_CHECK], 1):
                rows.append(_row(entry, check, number, len(found)))
            held = [r for r in check.requirements if all(r not in e.violation.requirements for e in found)]
            if judged and held:  # what the check judged besides its violations held: not "blocked"
                rows.append(
                    Result(
                        id=ident,
                        title=check.title,
                        requirements=held,
                        outcome="passed",
                        message=f"its other requirements held on the {judged} observation(s) it judged",
                        nodeid=f"proxy::{ident}::held",
                        level=check.level,
                    )
                )
        return rows


def _row(entry: Entry, check: Any, number: int, total: int) -> Any:
    from conformance.report import Result

    violation = entry.violation
    musts = [r for r in violation.requirements if requirement_level(r) == "MUST"]
    rest = [r for r in violation.requirements if r not in musts]
    more = f" ({total - number} more of this check not listed)" if number == ROWS_PER_CHECK < total else ""
    return Result(
        id=violation.check_id,
        title=check.title,
        requirements=list(check.requirements),
        outcome="failed" if musts else "warned",
        message=f"{entry.side}: [{violation.check_id}] {violation.message}{more}",
        nodeid=f"proxy::{entry.side}::{violation.check_id}::{number}",
        violation=entry.to_dict(),
        failed_requirements=musts,
        level=violation.level,
        warned_requirements=rest,
    )


def _counts(entries: list[Entry], dropped: int) -> dict[str, Any]:
    out: dict[str, Any] = {"server": 0, "client": 0, "must": 0, "should_or_may": 0, "not_kept": dropped}
    for entry in entries:
        out[entry.side] += 1
        out["must" if entry.violation.level == "MUST" else "should_or_may"] += 1
    return out
