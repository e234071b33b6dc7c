"""vcrpy configuration shared by the canonical cassettes, ``record`` and cassette replay.

Small separate pieces, as vcrpy itself is built: request/response filters (host normalisation,
credentials), matchers (form bodies, queries, credentials), PII redaction, a secret scan and
the normalisation used to compare two recordings.

What a cassette written with this configuration holds:

* every URL (request URI, and every URL inside a response body) on :data:`CANONICAL_BASE`,
  whatever host and port it was recorded from, so a recording does not depend on the
  port a local server happened to get;
* no ``Authorization`` header: it is replaced by :data:`CREDENTIALS_HEADER`, a label that
  says *who* asked without the secret (``AC…``, ``AC… with another token``, ``none``), so
  the 401 of a wrong token and the 200 of the right one are told apart on replay;
* bodies decoded (no gzip), ``Content-Length`` matching the body as stored.

Requests match on method, path, query (sorted name/value pairs, blank values kept), form
body (sorted pairs: field order ignored; a body that is not a form compares byte for byte)
and the credentials label.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import json
import os
import re
import string
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import vcr
import yaml
from vcr.request import Request

from conformance.profile import Profile, ProfileError

#: Every recorded URL is rewritten onto this origin (the live API's).
CANONICAL_BASE = "https://supersim.twilio.com"

#: Request header that replaces ``Authorization`` in a cassette: who asked, never the secret.
CREDENTIALS_HEADER = "X-Supersim-Credentials"

#: The names of our matchers, in the order a mismatch message lists them.
MATCH_ON = ("method", "path", "query_pairs", "form_body", "credentials")

#: Placeholder written instead of every Auth Token (profile files next to recorded cassettes).
PLACEHOLDER_TOKEN = "replay-placeholder-not-a-secret"

#: Response headers that change on every request and say nothing about the contract.
VOLATILE_HEADERS = ("date", "server", "twilio-request-id", "twilio-concurrent-requests", "x-shenanigans",
                    "x-powered-by", "x-home-region", "x-api-domain", "strict-transport-security")

FORM = "application/x-www-form-urlencoded"


# --- credentials --------------------------------------------------------------------------------

def credentials_label(authorization: str | None, profile: Profile | None) -> str:
    """Who sent a request, without the secret: the account SID when the token is the profile's."""
    if authorization is None:
        return "none"
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return "not HTTP Basic"
    try:
        user, sep, token = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "not HTTP Basic"
    if not sep or not user:
        return "not HTTP Basic"
    if profile is None:
        return user
    try:
        known = profile.token_for(user)
    except ProfileError:
        return f"{user} (not an account of the profile)"
    return user if hmac.compare_digest(known.encode(), token.encode()) else f"{user} with another token"


def _header(request: Request, name: str) -> str | None:
    for key, value in request.headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _without(headers: Any, *names: str) -> dict[str, str]:
    lowered = {n.lower() for n in names}
    return {k: v for k, v in headers.items() if k.lower() not in lowered}


def label_credentials(request: Request, profile: Profile | None) -> Request:
    """Replace ``Authorization`` by :data:`CREDENTIALS_HEADER` (a stored label is kept)."""
    authorization = _header(request, "Authorization")
    stored = _header(request, CREDENTIALS_HEADER)
    headers = _without(request.headers, "Authorization", CREDENTIALS_HEADER, "Host")  # Host: the URI says it
    if authorization is not None or stored is None:
        stored = credentials_label(authorization, profile)
    headers[CREDENTIALS_HEADER] = stored
    request.headers = headers
    return request


# --- host normalisation --------------------------------------------------------------------------

def _origin_and_prefix(base_url: str) -> str:
    parts = urlsplit(base_url.rstrip("/"))
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def request_filter(base_url: str, profile: Profile | None) -> Callable[[Request], Request | None]:
    """``before_record_request``: host onto CANONICAL_BASE, Authorization replaced by its label.

    Requests that are not under ``base_url`` (a callback receiver, another service) return
    None: vcrpy then neither records nor matches them.
    """
    base = _origin_and_prefix(base_url)

    def before_record_request(request: Request) -> Request | None:
        uri = request.uri
        if base != CANONICAL_BASE:
            if not (uri == base or uri.startswith(base + "/") or uri.startswith(base + "?")):
                if not uri.startswith(CANONICAL_BASE):
                    return None
            else:
                uri = CANONICAL_BASE + uri[len(base):]
        elif not uri.startswith(CANONICAL_BASE):
            return None
        request = copy.deepcopy(request)
        request.uri = uri
        return label_credentials(request, profile)

    return before_record_request


def body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        return body.read()
    if isinstance(body, (list, tuple)):
        return b"".join(body)
    return bytes(body)


def _set_body(response: dict[str, Any], data: bytes) -> None:
    response["body"] = {"string": data}
    headers = response.get("headers") or {}
    for key in list(headers):
        if key.lower() == "content-length":
            headers[key] = [str(len(data))]


def _decode(response: dict[str, Any]) -> None:
    """Store bodies decoded: a gzip/deflate/br body cannot be normalised or redacted."""
    headers = response.get("headers") or {}
    encodings = [k for k in headers if k.lower() == "content-encoding"]
    if not encodings:
        return
    value = ", ".join(headers[encodings[0]]) if isinstance(headers[encodings[0]], list) else headers[encodings[0]]
    raw = body_bytes(response.get("body", {}).get("string"))
    if value.strip().lower() not in ("", "identity"):
        raw = httpx.Response(200, headers={"content-encoding": value}, content=raw).read()
    for key in encodings:
        del headers[key]
    _set_body(response, raw)


def response_filter(base_url: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``before_record_response``: decoded body, every ``base_url`` in it on CANONICAL_BASE."""
    base = _origin_and_prefix(base_url).encode()
    canonical = CANONICAL_BASE.encode()

    def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
        response = copy.deepcopy(response)  # never the dict the client is about to read
        _decode(response)
        data = body_bytes(response.get("body", {}).get("string"))
        if base != canonical and base in data:
            _set_body(response, data.replace(base, canonical))
        return response

    return before_record_response


# --- matchers ------------------------------------------------------------------------------------

def _form_pairs(request: Request) -> Any:
    data = body_bytes(request.body)
    if not data:
        return []
    content_type = (_header(request, "Content-Type") or "").lower()
    if FORM in content_type:
        try:
            return sorted(parse_qsl(data.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            pass
    return ("raw", content_type, data)


def form_body(r1: Request, r2: Request) -> None:
    """Form bodies as sorted (name, value) pairs, so field order does not matter."""
    a, b = _form_pairs(r1), _form_pairs(r2)
    if a != b:
        raise AssertionError(f"{_show(a)} != {_show(b)}")


def query_pairs(r1: Request, r2: Request) -> None:
    """Query strings as sorted (name, value) pairs; blank values count (``Fleet=``)."""
    a = sorted(parse_qsl(r1.parsed_uri.query, keep_blank_values=True))
    b = sorted(parse_qsl(r2.parsed_uri.query, keep_blank_values=True))
    if a != b:
        raise AssertionError(f"{a} != {b}")


def credentials(r1: Request, r2: Request) -> None:
    """Who asked (see :data:`CREDENTIALS_HEADER`)."""
    a, b = _header(r1, CREDENTIALS_HEADER), _header(r2, CREDENTIALS_HEADER)
    if a != b:
        raise AssertionError(f"{a!r} != {b!r}")


def method(r1: Request, r2: Request) -> None:
    if r1.method.upper() != r2.method.upper():
        raise AssertionError(f"{r1.method} != {r2.method}")


def path(r1: Request, r2: Request) -> None:
    if r1.path != r2.path:
        raise AssertionError(f"{r1.path} != {r2.path}")


def _show(pairs: Any) -> str:
    if isinstance(pairs, tuple):
        return f"{len(pairs[2])}-byte {pairs[1] or 'untyped'} body"
    return repr(pairs)


MATCHERS: dict[str, Callable[[Request, Request], None]] = {
    "method": method, "path": path, "query_pairs": query_pairs, "form_body": form_body, "credentials": credentials,
}


def matchers() -> list[Callable[[Request, Request], None]]:
    """The matcher functions of :data:`MATCH_ON`, for ``Cassette(match_on=...)``."""
    return [MATCHERS[name] for name in MATCH_ON]


def failed_matchers(r1: Request, r2: Request) -> list[tuple[str, str]]:
    """``(matcher, difference)`` for each of our matchers the two requests fail."""
    failed = []
    for name in MATCH_ON:
        try:
            MATCHERS[name](r1, r2)
        except AssertionError as error:
            failed.append((name, str(error)))
    return failed


def make_vcr(base_url: str, profile: Profile | None, cassette_dir: str | os.PathLike[str], *,
             record_mode: str = "none") -> vcr.VCR:
    """A ``vcr.VCR`` with our filters and matchers (used for the canonical client cassettes).

    ``base_url`` is where the client sends its requests (the mock's URL when recording,
    CANONICAL_BASE when replaying). Pass ``allow_playback_repeats`` to ``use_cassette``.
    """
    config = vcr.VCR(
        cassette_library_dir=str(cassette_dir),
        record_mode=record_mode,
        before_record_request=request_filter(base_url, profile),
        before_record_response=response_filter(base_url),
        path_transformer=vcr.VCR.ensure_suffix(".yaml"),
        decode_compressed_response=False,
    )
    for name, function in MATCHERS.items():
        config.register_matcher(name, function)
    config.match_on = MATCH_ON
    return config


# --- PII redaction -------------------------------------------------------------------------------

_SID = re.compile(r"^(AC|HS|HF)[0-9a-fA-F]{32}$")
_ICCID = re.compile(r"^[0-9]{18,22}$")
_IDENTITY_FIELDS = ("sid", "account_sid", "fleet_sid", "iccid")


class Redactor:
    """Replaces ICCIDs, registration codes and the account's SIDs by placeholders of the same shape.

    The mapping is an HMAC under a key that lives only in memory for one recording, so it is
    stable within the recording (replay still matches: a SID in a URL, a body and the profile
    becomes the same placeholder everywhere) and cannot be reversed or brute-forced from the
    files. Only values the recording *knows* belong to the account are replaced: those of the
    profile and the ``sid``/``account_sid``/``fleet_sid``/``iccid`` of every Sim answered.
    A value the suite makes up (an unknown SID, an ICCID no account has) stays as it is, so the
    replayed request that carries it still matches.
    """

    def __init__(self, profile: Profile, key: bytes | None = None) -> None:
        self._key = key or os.urandom(32)
        self.mapping: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        for account in profile.accounts:
            self._add(account.sid)
            if account.parent:
                self._add(account.parent)
        for fleet in profile.fleets:
            self._add(fleet.sid)
        for card in profile.registrable:
            self._add(card.iccid)
            self._add(card.registration_code, kind="code")
        for sim in profile.sims:
            self._add(sim.sid)
            self._add(sim.iccid)

    def _placeholder(self, value: str, kind: str) -> str:
        digest = hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).digest()
        if kind == "sid":
            return value[:2] + digest.hex()[:32]
        if kind == "iccid":
            digits = "".join(str(b % 10) for b in digest * 2)
            return "89" + digits[: len(value) - 2]
        alphabet = string.ascii_uppercase + string.digits
        return "".join(alphabet[b % len(alphabet)] for b in digest[:len(value)])

    def _add(self, value: str | None, *, kind: str | None = None) -> None:
        if not value or value in self.mapping or value in self.mapping.values():
            return
        kind = kind or ("sid" if _SID.match(value) else "iccid" if _ICCID.match(value) else None)
        if kind is None:
            return
        placeholder = self._placeholder(value, kind)
        salt = 0
        while placeholder in self.mapping.values() or placeholder in self.mapping:
            salt += 1
            placeholder = self._placeholder(f"{value}#{salt}", kind)
        self.mapping[value] = placeholder
        self._pattern = None

    def learn(self, responses: Iterable[dict[str, Any]]) -> None:
        """Add the identity fields of every Sim in these (vcrpy) responses."""
        for response in responses:
            try:
                document = json.loads(body_bytes(response.get("body", {}).get("string")))
            except (ValueError, UnicodeDecodeError):
                continue
            for sim in _sims_in(document):
                for name in _IDENTITY_FIELDS:
                    value = sim.get(name)
                    if isinstance(value, str):
                        self._add(value)

    def text(self, value: str) -> str:
        if not self.mapping:
            return value
        if self._pattern is None:
            keys = sorted(self.mapping, key=len, reverse=True)
            self._pattern = re.compile(r"(?<![0-9A-Za-z])(" + "|".join(map(re.escape, keys)) + r")(?![0-9A-Za-z])")
        return self._pattern.sub(lambda m: self.mapping[m.group(1)], value)

    def _bytes(self, data: bytes) -> bytes:
        try:
            return self.text(data.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return data

    def interaction(self, request: Request, response: dict[str, Any]) -> tuple[Request, dict[str, Any]]:
        """A ``before_save_interaction`` hook: the interaction with every known value replaced."""
        request.uri = self.text(request.uri)
        if request.body:
            request.body = self._bytes(body_bytes(request.body))
        request.headers = {k: self.text(v) for k, v in request.headers.items()}
        data = body_bytes(response.get("body", {}).get("string"))
        _set_body(response, self._bytes(data))
        response["headers"] = {k: [self.text(v) for v in values] for k, values in (response.get("headers") or {}).items()}
        return request, response

    def profile(self, profile: Profile) -> Profile:
        """The profile with every known value replaced (tokens are handled by :func:`public_profile`)."""
        r = lambda v: self.mapping.get(v, v) if v else v  # noqa: E731
        return replace(
            profile,
            accounts=tuple(replace(a, sid=r(a.sid), parent=r(a.parent)) for a in profile.accounts),
            fleets=tuple(replace(f, sid=r(f.sid), account=r(f.account)) for f in profile.fleets),
            registrable=tuple(replace(c, iccid=r(c.iccid), registration_code=r(c.registration_code),
                                      account=r(c.account)) for c in profile.registrable),
            sims=tuple(replace(s, sid=r(s.sid), account=r(s.account), iccid=r(s.iccid), fleet=r(s.fleet))
                       for s in profile.sims),
        )


def _sims_in(document: Any) -> Iterator[dict[str, Any]]:
    if isinstance(document, dict):
        if isinstance(document.get("sims"), list):
            yield from (s for s in document["sims"] if isinstance(s, dict))
        elif "sid" in document:
            yield document


def public_profile(profile: Profile) -> Profile:
    """The profile with every Auth Token (or token variable) replaced by :data:`PLACEHOLDER_TOKEN`."""
    accounts = tuple(replace(a, auth_token=PLACEHOLDER_TOKEN, auth_token_env=None) for a in profile.accounts)
    return replace(profile, accounts=accounts)


# --- secrets ------------------------------------------------------------------------------------

_AUTH_HEADER = re.compile(r"(?im)^\s*-?\s*['\"]?authorization['\"]?\s*:")
_BASIC = re.compile(r"Basic [A-Za-z0-9+/=]{8,}")


def scan_for_secrets(paths: Iterable[str | os.PathLike[str]], tokens: Iterable[str]) -> list[str]:
    """One line per problem found in these files: a token, an Authorization header, Basic credentials."""
    tokens = [t for t in tokens if t and t != PLACEHOLDER_TOKEN]
    problems = []
    for file in paths:
        text = Path(file).read_text(encoding="utf-8", errors="replace")
        for token in tokens:
            if token in text:
                problems.append(f"{file}: contains an Auth Token ({token[:4]}…)")
        if _AUTH_HEADER.search(text):
            problems.append(f"{file}: contains an Authorization header")
        if _BASIC.search(text):
            problems.append(f"{file}: contains HTTP Basic credentials")
        for encoded in re.findall(r"[A-Za-z0-9+/]{40,}={0,2}", text):
            try:
                decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8", "ignore")
            except (binascii.Error, ValueError):
                continue
            if any(token in decoded for token in tokens):
                problems.append(f"{file}: contains a base64-encoded Auth Token")
    return problems


# --- comparing two recordings -------------------------------------------------------------------

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")
_ANY_SID = re.compile(r"\b(HS|HF|AC)[0-9a-fA-F]{32}\b")


def load_interactions(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The interactions of a vcrpy YAML cassette, as plain data."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return list(data.get("interactions") or [])


def normalised(interactions: list[dict[str, Any]], known_sids: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Interactions with what changes on every recording taken out, for comparing recordings.

    Timestamps become ``<time>``; SIDs not in ``known_sids`` (the profile's) become ``<HS-1>``,
    ``<HS-2>``… in order of first appearance; volatile headers (Date, request IDs) are dropped.
    """
    known = set(known_sids)
    fresh: dict[str, str] = {}

    def sid(match: re.Match[str]) -> str:
        value = match.group(0)
        if value in known:
            return value
        if value not in fresh:
            fresh[value] = f"<{match.group(1)}-{sum(1 for k in fresh if k[:2] == value[:2]) + 1}>"
        return fresh[value]

    def clean(text: str) -> str:
        return _ANY_SID.sub(sid, _TIMESTAMP.sub("<time>", text))

    def body(value: Any) -> Any:
        text = body_bytes(value.get("string") if isinstance(value, dict) else value).decode("utf-8", "replace")
        text = clean(text)
        try:
            return json.loads(text)
        except ValueError:
            return text

    result = []
    for interaction in interactions:
        request, response = interaction["request"], interaction["response"]
        headers = {k.lower(): [clean(str(v)) for v in (vs if isinstance(vs, list) else [vs])]
                   for k, vs in (response.get("headers") or {}).items()}
        for name in VOLATILE_HEADERS:
            headers.pop(name, None)
        result.append({
            "method": request["method"],
            "uri": clean(request["uri"]),
            "credentials": clean(str((request.get("headers") or {}).get(CREDENTIALS_HEADER, [""])[0])),
            "body": body(request.get("body")),
            "status": response["status"]["code"],
            "headers": headers,
            "response": body(response.get("body")),
        })
    return result
