"""``--observe-callbacks``: callbacks routed through the proxy, judged, then forwarded.

An update's ``CallbackUrl`` is replaced, in the request forwarded upstream, by a URL of the
proxy (``/_proxy/callbacks/<n>``); the original is remembered with the credentials that set it.
When the target calls back, the proxy judges the call as the suite judges its own callbacks
(SCN-CB-POST/GET: once, the method asked for, the parameters where that method puts them, what
they say; SCN-CB-SIGNATURE: an X-Twilio-Signature valid for the Auth Token of the account that
set the URL, over the URL the target called), then sends it on to the original URL with the same
method and parameters and a signature of that URL under the token that signed it, so the application's own validation passes
as if the proxy were not there (a callback whose signature was not valid goes on with its own
signature, as invalid as it came). The signer is the account the Sim belongs to once the update
is done: the one that set the URL, or the one a move in the same request names. Tokens are those
the proxy saw in the traffic's own credentials, kept in memory for this one purpose: never
written, logged or sent anywhere (only the HMAC they make is).
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from twilio.request_validator import RequestValidator

from conformance import contract
from conformance.checks import Violation
from conformance.checks import scenarios as scn
from conformance.contract.exchange import Exchange

ROUTE = "/_proxy/callbacks/"
#: Routed callbacks remembered at most (the oldest forgotten first).
MAX_ROUTES = 5000


@dataclass
class Route:
    """One CallbackUrl the proxy replaced: where the callback must go on, and how it must come."""

    ident: str
    original: str
    method: str
    account_sid: str | None
    token: str | None = field(repr=False)
    """The Auth Token of the account that set the URL (None: it was not an Account SID's)."""
    sim_key: str
    created: float
    scheduled: bool | None = None
    """True when the update was answered ``scheduled`` (a callback must come), False when it was
    synchronous, None before the answer."""
    sim: dict[str, Any] | None = None
    """The Sim as the update's answer showed it."""
    final_status: str | None = None
    final_fleet: str | None = None
    signer: str | None = None
    """The account whose token must sign the callback: the Sim's account after the update."""
    signed_with: str | None = field(default=None, repr=False)
    """The token the arriving signature was valid for (what the onward signature uses)."""
    arrivals: int = 0
    missing_reported: bool = False
    """Its callback's absence was reported (once)."""


@dataclass
class Arrival:
    """A callback as it reached the proxy."""

    method: str
    url: str
    """The URL the target called (the proxy's public URL, with its query)."""
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]
    content_type: str
    signature: str

    @property
    def params(self) -> dict[str, str]:
        return dict(self.form if self.method == "POST" else self.query)


class CallbackRouter:
    """The routes of one proxy session (thread-safe: the proxy's event loop and the report share it)."""

    def __init__(self, public_base: str, tokens_for: Callable[[str], list[str]] | None = None) -> None:
        self.public_base = public_base.rstrip("/")
        self.tokens_for = tokens_for or (lambda account: [])
        """The Auth Tokens seen in the traffic for an account (a move's callback is signed with the new one's)."""
        self._routes: dict[str, Route] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.judged: dict[str, int] = {}

    def route(
        self,
        pairs: list[tuple[str, str]],
        account_sid: str | None,
        token: str | None,
        sim_key: str,
        own: Iterable[str] = (),
    ) -> tuple[list[tuple[str, str]], Route | None]:
        """The form pairs with CallbackUrl pointing at the proxy, and the route made (None: no CallbackUrl,
        or one that is no http(s) URL, or one that points at the proxy itself, ``own``: never a loop)."""
        original = next((value for name, value in pairs if name == "CallbackUrl"), None)
        try:
            scheme = urlsplit(original).scheme if original else ""
        except ValueError:
            scheme = ""
        if not original or scheme not in ("http", "https") or any(original.startswith(base) for base in own):
            return pairs, None
        method = next((value for name, value in pairs if name == "CallbackMethod"), "POST") or "POST"
        with self._lock:
            ident = f"{next(self._ids)}-{secrets.token_urlsafe(9)}"  # not guessable: no forged callback is routed
            route = Route(ident, original, method.upper(), account_sid, token, sim_key, time.monotonic())
            moved_to = next((value for name, value in pairs if name == "AccountSid"), None)
            route.signer = moved_to or account_sid
            self._routes[ident] = route
            while len(self._routes) > MAX_ROUTES:
                self._routes.pop(next(iter(self._routes)))
        url = f"{self.public_base}{ROUTE}{ident}"
        return [(name, url if name == "CallbackUrl" else value) for name, value in pairs], route

    def reset(self) -> None:
        """Forget every route (a new test through the same proxy: a late callback is no longer its own)."""
        with self._lock:
            self._routes.clear()
            self.judged.clear()

    def find(self, ident: str) -> Route | None:
        with self._lock:
            return self._routes.get(ident)

    def unanswered(self, older_than: float) -> list[Route]:
        """Scheduled updates whose callback has not come ``older_than`` seconds after the update."""
        now = time.monotonic()
        with self._lock:
            return [
                r
                for r in self._routes.values()
                if r.scheduled and not r.arrivals and not r.missing_reported and now - r.created > older_than
            ]

    def waiting(self) -> list[Route]:
        with self._lock:
            return [r for r in self._routes.values() if r.scheduled and not r.arrivals and not r.missing_reported]

    def count(self, check: str) -> None:
        self.judged[check] = self.judged.get(check, 0) + 1

    # --- judging ----------------------------------------------------------------------------

    def judge(self, route: Route, arrival: Arrival) -> list[Violation]:
        """What one arriving callback breaks (it has been counted on ``route`` already)."""
        own = scn.CALLBACK_GET if route.method == "GET" else scn.CALLBACK_POST
        exchange = Exchange(method=arrival.method, url=arrival.url, form=arrival.form, status=0)
        found: list[Violation] = []
        route.signed_with = None  # this arrival's own signature decides how it goes on
        self.count(own)
        if route.arrivals > 1:
            found.append(
                Violation(
                    own,
                    f"callback number {route.arrivals} for one update: a callback is made once",
                    expected="1 request to the CallbackUrl",
                    received=f"{route.arrivals} requests",
                    exchange=exchange,
                    requirements=["SIM-CB-001"],
                )
            )
            return found
        if arrival.method != route.method:
            found.append(
                Violation(
                    own,
                    "the callback used another HTTP method than CallbackMethod asked for",
                    expected=route.method,
                    received=arrival.method,
                    exchange=exchange,
                    requirements=["SIM-CB-006", "SIM-UPDATE-008"] if route.method == "POST" else ["SIM-CB-007"],
                )
            )
        elif route.method == "POST" and (
            "application/x-www-form-urlencoded" not in arrival.content_type or arrival.query
        ):
            found.append(
                Violation(
                    own,
                    "a POST callback did not carry its parameters as an HTML form body (and only there)",
                    expected="Content-Type: application/x-www-form-urlencoded, no query string",
                    received=f"Content-Type: {arrival.content_type!r}, query {arrival.query}",
                    exchange=exchange,
                    requirements=["SIM-CB-006"],
                )
            )
        elif route.method == "GET" and (not arrival.query or arrival.form):
            found.append(
                Violation(
                    own,
                    "a GET callback did not carry its parameters in the query string (and only there)",
                    expected="the parameters in the query string, an empty body",
                    received=f"query {arrival.query}, body {arrival.form}",
                    exchange=exchange,
                    requirements=["SIM-CB-007"],
                )
            )
        params = arrival.params
        contents = self._contents(route, params, own, exchange)
        said = {r for v in contents for r in v.requirements}
        errors = [str(e) for e in contract.validate("callback", params)]
        # the schema's findings, each on the parameter's own requirement, unless the contents said it
        broken = sorted({_PARAMETER.get(_named(e), "SIM-CB-001") for e in errors} - said)
        if broken:
            found.append(
                Violation(
                    own,
                    "the callback parameters break the contract",
                    expected="SimSid, SimStatus, AccountSid (+ SimUniqueName)",
                    received="; ".join(errors)[:400],
                    exchange=exchange,
                    requirements=broken,
                )
            )
        found += contents
        found += self._signature(route, arrival, exchange)
        return found

    def _contents(self, route: Route, params: dict[str, str], own: str, exchange: Exchange) -> list[Violation]:
        sim = route.sim
        if not sim:
            return []
        wanted = [
            ("SimSid", sim.get("sid"), "SIM-CB-002"),
            ("AccountSid", route.signer or sim.get("account_sid"), "SIM-CB-005"),  # after a move: the new one
        ]
        if route.scheduled and route.final_status:
            wanted.append(("SimStatus", route.final_status, "SIM-CB-004"))
        found = []
        for name, value, requirement in wanted:
            shown = params.get(name)
            if value and shown != value and not (name == "SimStatus" and value == "ready" and shown == "active"):
                found.append(
                    Violation(
                        own,
                        f"the callback's {name} does not describe the updated Sim",
                        expected=value,
                        received=shown,
                        exchange=exchange,
                        requirements=[requirement],
                    )
                )
        unique_name = sim.get("unique_name")
        if unique_name and params.get("SimUniqueName") != unique_name:
            found.append(
                Violation(
                    own,
                    "the callback's SimUniqueName is not the Sim's unique_name",
                    expected=unique_name,
                    received=params.get("SimUniqueName"),
                    exchange=exchange,
                    requirements=["SIM-CB-003"],
                )
            )
        return found

    def _signature(self, route: Route, arrival: Arrival, exchange: Exchange) -> list[Violation]:
        if not route.token or not route.signer:
            return []  # the update carried no Account SID credentials: nothing to validate against
        tokens = self.tokens_for(route.signer) if route.signer != route.account_sid else [route.token]
        if not tokens:
            return []  # a move to an account whose token the traffic never showed: not judged
        self.count(scn.CALLBACK_SIGNATURE)
        signed = {} if arrival.method == "GET" else dict(arrival.form)
        for token in tokens:
            if arrival.signature and RequestValidator(token).validate(arrival.url, signed, arrival.signature):
                route.signed_with = token
                return []
        return [
            Violation(
                scn.CALLBACK_SIGNATURE,
                f"the callback's X-Twilio-Signature is missing or not valid for the Auth Token of {route.signer}, "
                "the account the Sim belongs to",
                expected=f"a valid HMAC-SHA1 signature of {arrival.url}"
                + (" + the sorted form parameters" if signed else ""),
                received=arrival.signature or "no X-Twilio-Signature header",
                exchange=exchange,
            )
        ]

    # --- forwarding -------------------------------------------------------------------------

    def onward(self, route: Route, arrival: Arrival) -> tuple[str, str, bytes, dict[str, str]]:
        """The request that takes the callback on to the original URL: method, URL, body, headers."""
        headers = {"User-Agent": "supersim-conformance-proxy"}
        if route.method == "GET" or arrival.method == "GET":
            parts = urlsplit(route.original)
            own = parse_qsl(parts.query, keep_blank_values=True)
            url = urlunsplit(parts._replace(query=urlencode(own + list(_without(arrival.query, own)))))
            body = b""
            signed: dict[str, str] = {}
        else:
            url, body = route.original, urlencode(arrival.form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            signed = dict(arrival.form)
        if route.signed_with:
            headers["X-Twilio-Signature"] = RequestValidator(route.signed_with).compute_signature(url, signed)
        elif arrival.signature:
            headers["X-Twilio-Signature"] = arrival.signature  # not valid when it came: not made valid here
        return arrival.method, url, body, headers


#: A callback parameter, by the requirement that says what it holds.
_PARAMETER = {
    "SimSid": "SIM-CB-002",
    "SimUniqueName": "SIM-CB-003",
    "SimStatus": "SIM-CB-004",
    "AccountSid": "SIM-CB-005",
}


def _named(error: str) -> str:
    """The callback parameter a schema error is about ("" when it names none)."""
    return next((name for name in _PARAMETER if name in error), "")


def without_userinfo(url: str) -> str:
    """A URL as a report may show it: ``https://user:pass@host/`` (Twilio's webhook auth) without ``user:pass@``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _without(pairs: list[tuple[str, str]], own: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``pairs`` less the URL's own query pairs (the routed URL has none, but a target may add them)."""
    rest = list(pairs)
    for pair in own:
        if pair in rest:
            rest.remove(pair)
    return rest
