"""One request and its response, as the checks see them, and how to reproduce it.

An ``Exchange`` keeps what the request asked for (method, path, query, form) beside what came
back, so a check compares the answer with the question rather than only with a schema. It
never holds a secret: the Authorization header is dropped when the exchange is recorded and
``curl()`` writes the token as ``$TWILIO_AUTH_TOKEN``.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

#: Bodies longer than this are cut in messages and reports.
EXCERPT_CHARS = 300
#: The kit stops reading a response body past this many bytes. The largest answer the contract
#: allows, a page of 1,000 Sims, is about 0.6 MB; a body past the cap is reported, never parsed.
MAX_BODY_BYTES = 2_000_000
#: What a report keeps of a body: a failing exchange holds at most this many characters of it
#: (with its true size noted), so a run's memory does not grow with what the target sends.
KEPT_BODY_CHARS = 64 * 1024

_NOT_JSON = object()


@dataclass
class Exchange:
    """A request sent to the target and what came back (``status`` 0 when nothing came back)."""

    method: str
    url: str
    account_sid: str | None = None
    """User name of the Basic credentials sent (never the token); None when sent without auth."""
    form: list[tuple[str, str]] = field(default_factory=list)
    request_headers: dict[str, str] = field(default_factory=dict)
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    error: str | None = None
    """Set when no usable response arrived (timeout, refused, body too large)."""
    elapsed: float = 0.0
    body_bytes: int | None = None
    """The body's true size when ``text`` holds only part of it (cut for a report, or at the
    read cap with the size the target declared); None when ``text`` is all of it or the size
    is unknown."""
    oversize: bool = False
    """True when the target sent more than the kit reads (``MAX_BODY_BYTES``): the body was not
    read to its end, ``text`` holds its start, and it is never parsed."""
    rate_limited: list[str | None] = field(default_factory=list)
    """The Retry-After value (None: none) of each 429 the client waited out and retried before
    this answer: a run judges them (SIM-ERR-006) although the final answer is another one."""
    _json: Any = field(default=None, repr=False)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, str]:
        """The query parameters sent (last value wins, as Twilio reads them)."""
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    @property
    def form_dict(self) -> dict[str, str]:
        return dict(self.form)

    @property
    def content_type(self) -> str:
        return self.response_headers.get("content-type", "")

    def json(self) -> Any:
        """The response body parsed as JSON, or ``NOT_JSON`` (check with ``is_json``)."""
        if self._json is None:
            if self.is_partial:
                self._json = _NOT_JSON  # a part of a body is never parsed
                return self._json
            try:
                self._json = json.loads(self.text) if self.text else _NOT_JSON
            except ValueError:
                self._json = _NOT_JSON
        return self._json

    @property
    def is_json(self) -> bool:
        return self.json() is not _NOT_JSON

    @property
    def is_partial(self) -> bool:
        """``text`` holds only the start of the body."""
        return self.oversize or self.body_bytes is not None

    def size_note(self) -> str:
        """How large the body really was: ``20,971,520 bytes``, or ``more than 2,000,000 bytes``
        when the target declared no length and the kit stopped reading."""
        if self.body_bytes is not None:
            return f"{self.body_bytes:,} bytes"
        if self.oversize:
            return f"more than {MAX_BODY_BYTES:,} bytes"
        return f"{len(self.text):,} chars"

    def excerpt(self) -> str:
        text = self.text.replace("\n", " ")
        if len(text) <= EXCERPT_CHARS and not self.is_partial:
            return text
        return text[:EXCERPT_CHARS] + f"... ({self.size_note()})"

    def bounded(self) -> Exchange:
        """This exchange with at most ``KEPT_BODY_CHARS`` of its body (itself when already small).

        A Violation keeps its exchange until the report is written; this keeps that bounded.
        """
        if len(self.text) <= KEPT_BODY_CHARS:
            return self
        size = self.body_bytes if self.body_bytes is not None or self.oversize else len(self.text.encode())
        return replace(self, text=self.text[:KEPT_BODY_CHARS], body_bytes=size, _json=None)

    def describe(self) -> str:
        """One line: the request and what came back."""
        if self.error:
            return f"{self.method} {self.url} -> no response ({self.error})"
        return f"{self.method} {self.url} -> {self.status} {self.excerpt()}"

    def curl(self) -> str:
        """A shell command that sends the same request; the token is an environment variable."""
        parts = ["curl", "-sS", "-X", self.method, shlex.quote(self.url)]
        if self.account_sid:
            parts += ["-u", f'"{self.account_sid}:$TWILIO_AUTH_TOKEN"']
        for name, value in self.form:
            parts += ["--data-urlencode", shlex.quote(f"{name}={value}")]
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe summary for reports (no credentials)."""
        return {
            "method": self.method,
            "url": self.url,
            "account_sid": self.account_sid,
            "form": urlencode(self.form),
            "status": self.status,
            "error": self.error,
            "response_excerpt": self.excerpt(),
            "curl": self.curl(),
        }
