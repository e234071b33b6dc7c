"""One request and its response, as the checks see them, and how to reproduce it.

An ``Exchange`` keeps what the request asked for (method, path, query, form) beside what came
back, so a check compares the answer with the question rather than only with a schema. It
never holds a secret: the Authorization header is dropped when the exchange is recorded and
``curl()`` writes the token as ``$TWILIO_AUTH_TOKEN``.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

#: Bodies longer than this are cut in messages and reports.
EXCERPT_CHARS = 300

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
            try:
                self._json = json.loads(self.text) if self.text else _NOT_JSON
            except ValueError:
                self._json = _NOT_JSON
        return self._json

    @property
    def is_json(self) -> bool:
        return self.json() is not _NOT_JSON

    def excerpt(self) -> str:
        text = self.text.replace("\n", " ")
        return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + f"... ({len(self.text)} chars)"

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
