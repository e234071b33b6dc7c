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
#: A run of letters and digits: where a SID or an ICCID can sit in a URL, a header or a body.
_RUN = re.compile(r"[0-9A-Za-z]+")


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
        self._prefix_map: dict[str, str] | None = None
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
        # A SID or ICCID keeps its last character: the suite derives values from known ones by
        # their last character (the ICCID with its last digit changed), and the placeholder's
        # derived value must be the derived value's placeholder for a replay to match.
        digest = hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).digest()
        if kind == "sid":
            return value[:2] + digest.hex()[:31] + value[-1]
        if kind == "iccid":
            digits = "".join(str(b % 10) for b in digest * 2)
            return "89" + digits[: len(value) - 3] + value[-1]
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
        self._prefix_map = None

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
        """``value`` with every known SID and ICCID replaced, and every value derived from one.

        The suite sends values made from known ones: cut by one character, with one more, with
        the last character changed, after a space (``%20`` in a URL). Each is replaced by the same
        derivation of the placeholder, so nothing of the real value is left and a replay still
        matches. Values are the letter-and-digit runs of the text.
        """
        if not self.mapping:
            return value
        self._prefixes()  # aligns the mapping first (see _align)
        return _RUN.sub(lambda m: self._run(m.group(0)), value)

    def _run(self, run: str) -> str:
        for lead in ("", "20"):  # "20": the rest of a percent-encoded space ("%20" + an ICCID)
            if lead and not run.startswith(lead):
                continue
            token = run[len(lead) :]
            found = self._derived(token)
            if found is not None:
                return lead + found
        return run

    def _derived(self, token: str) -> str | None:
        mapping = self.mapping
        if token in mapping:
            return mapping[token]
        if len(token) > 1 and token[:-1] in mapping:  # one character more
            return mapping[token[:-1]] + token[-1]
        prefixes = self._prefixes()
        if token in prefixes:  # one character less
            return prefixes[token]
        if len(token) > 1 and token[:-1] in prefixes:  # the last character changed
            return prefixes[token[:-1]] + token[-1]
        return None

    def _align(self) -> None:
        """Where one known value is another's derivation (a card's ICCID that is a Sim's ICCID cut
        by one digit), give it that derivation of the other's placeholder: the suite may reach it
        either way, and a replay must find the same placeholder both ways."""
        by_prefix: dict[str, list[str]] = {}
        for key in self.mapping:
            by_prefix.setdefault(key[:-1], []).append(key)
        for value in sorted(self.mapping, key=len, reverse=True):
            if len(value) < 10:
                continue
            placeholder = self.mapping[value]
            derived = {value[:-1]: placeholder[:-1]}  # cut by one
            for other in by_prefix.get(value[:-1], []):  # the last character changed
                derived[other] = placeholder[:-1] + other[-1]
            for other in by_prefix.get(value, []):  # one character more
                derived[other] = placeholder + other[-1]
            for other, wanted in derived.items():
                if other != value and other in self.mapping:
                    self.mapping[other] = wanted

    def _prefixes(self) -> dict[str, str]:
        if self._prefix_map is None:
            self._align()
            self._prefix_map = {
                value[:-1]: placeholder[:-1]
                for value, placeholder in self.mapping.items()
                if len(value) >= 10  # SIDs, ICCIDs and registration codes
            }
        return self._prefix_map

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
        self._prefixes()  # aligns the mapping first (see _align)

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
