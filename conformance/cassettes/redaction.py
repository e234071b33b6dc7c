"""PII redaction: consistent placeholders for SIDs and ICCIDs, in cassettes and in the profile beside them."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any, TypeVar

from vcr.request import Request

from conformance.cassettes.filters import _set_body, body_bytes
from conformance.cassettes.layout import PLACEHOLDER_TOKEN
from conformance.profile import Profile

_S = TypeVar("_S", str, str | None)

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
        return "".join(alphabet[b % len(alphabet)] for b in digest[: len(value)])

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
        response["headers"] = {
            k: [self.text(v) for v in values] for k, values in (response.get("headers") or {}).items()
        }
        return request, response

    def profile(self, profile: Profile) -> Profile:
        """The profile with every known value replaced (tokens are handled by :func:`public_profile`)."""

        def r(value: _S) -> _S:
            return self.mapping.get(value, value) if value else value

        return replace(
            profile,
            accounts=tuple(replace(a, sid=r(a.sid), parent=r(a.parent)) for a in profile.accounts),
            fleets=tuple(replace(f, sid=r(f.sid), account=r(f.account)) for f in profile.fleets),
            registrable=tuple(
                replace(c, iccid=r(c.iccid), registration_code=r(c.registration_code), account=r(c.account))
                for c in profile.registrable
            ),
            sims=tuple(
                replace(s, sid=r(s.sid), account=r(s.account), iccid=r(s.iccid), fleet=r(s.fleet)) for s in profile.sims
            ),
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
