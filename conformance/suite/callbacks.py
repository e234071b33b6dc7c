"""The callback receiver: a loopback HTTP server (pytest-httpserver) that records every call.

Each scenario asks for its own path (``url_for``), passes that URL as ``CallbackUrl`` and then
``wait``s for the callbacks that arrive there. ``--callback-url-base`` maps the loopback URL
to a public one (a tunnel) so a live target can reach it; signatures are then checked against
the public URL, the one the target signed.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


@dataclass
class ReceivedCallback:
    method: str
    path: str
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]
    content_type: str
    body: bytes
    headers: dict[str, str]
    url: str
    """The URL the target was given (public form when --callback-url-base is set)."""
    received_at: float = field(default_factory=time.monotonic)
    seen: Any = None
    """What the ``watch`` hook of its path returned, called while the target waited for the answer."""
    seen_error: str | None = None
    """Why the hook failed (an error of the kit's own request, not of the callback)."""

    @property
    def params(self) -> dict[str, str]:
        """Where the parameters are, by method: query string for GET, form body otherwise."""
        return dict(self.query if self.method == "GET" else self.form)


class CallbackReceiver:
    """Records callbacks per path; thread-safe; stopped by ``close``."""

    def __init__(self, public_base: str | None = None, *, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self.server = HTTPServer(host="127.0.0.1", port=0)
        self.server.expect_request(re.compile(r".*")).respond_with_handler(self._handle)
        self.server.start()
        self.public_base = (public_base or self.server.url_for("/").rstrip("/")).rstrip("/")
        self._calls: list[ReceivedCallback] = []
        self._changed = threading.Condition()
        self._counter = itertools.count(1)
        self._hooks: dict[str, Callable[[ReceivedCallback], Any]] = {}

    def close(self) -> None:
        if self.server.is_running():
            self.server.clear()
            self.server.stop()

    def url_for(self, label: str) -> str:
        """A fresh, unique callback URL for one scenario."""
        return f"{self.public_base}/cb/{label}-{next(self._counter)}"

    def watch(self, url: str, on_arrival: Callable[[ReceivedCallback], Any]) -> None:
        """Call ``on_arrival`` for each callback to ``url`` before answering it; keep its result as ``seen``.

        The target is still waiting for the answer, so what the hook reads happens after the
        target sent its callback: the state a callback reports must be visible by then.
        """
        self._hooks[self._path(url)] = on_arrival

    def _path(self, url: str) -> str:
        return (url[len(self.public_base) :] if url.startswith(self.public_base) else url).split("?", 1)[0]

    def _handle(self, request: Request) -> Response:
        body = request.get_data(cache=True)
        content_type = request.headers.get("Content-Type", "")
        form = (
            parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
            if "application/x-www-form-urlencoded" in content_type
            else []
        )
        path = request.path
        call = ReceivedCallback(
            method=request.method,
            path=path,
            query=parse_qsl(request.query_string.decode("utf-8", errors="replace"), keep_blank_values=True),
            form=form,
            content_type=content_type,
            body=body,
            headers={k: v for k, v in request.headers.items()},
            url=self.public_base + path + (("?" + request.query_string.decode()) if request.query_string else ""),
        )
        hook = self._hooks.get(path)
        if hook is not None:
            try:
                call.seen = hook(call)
            except Exception as exc:  # the kit's own request failed: never the target's fault
                call.seen_error = f"{type(exc).__name__}: {exc}"[:300]
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()
        return Response("", status=204)

    def calls_to(self, url: str) -> list[ReceivedCallback]:
        path = url[len(self.public_base) :] if url.startswith(self.public_base) else url
        path = path.split("?", 1)[0]
        with self._changed:
            return [c for c in self._calls if c.path == path]

    def wait(self, url: str, *, count: int = 1, timeout: float = 10.0, settle: float = 0.3) -> list[ReceivedCallback]:
        """Wait until ``count`` calls reached ``url`` (or ``timeout``), then ``settle`` longer for extras."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.calls_to_locked(url)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
        if settle > 0:
            time.sleep(settle)
        return self.calls_to(url)

    def calls_to_locked(self, url: str) -> list[ReceivedCallback]:
        path = (url[len(self.public_base) :] if url.startswith(self.public_base) else url).split("?", 1)[0]
        return [c for c in self._calls if c.path == path]
