"""How the generated phase sends its requests: Schemathesis' own transport, with the kit's read cap.

Schemathesis reads every response body whole before any check sees it. Against a target that
answers 20 MB to every request that is 20 MB per case, kept again by every layer that looks at
it (the run grew past 12 GB). The hand-written client stops reading at ``MAX_BODY_BYTES``; this
gives generated cases the same cap:

* :class:`BoundedTransport` is Schemathesis' ``RequestsTransport`` (same serializers, same
  retries, same sessions) that adds one ``requests`` response hook. The hook runs before
  Schemathesis touches the body (it streams), reads at most ``limit`` bytes and, past that,
  keeps only the first ``KEPT_BODY_CHARS`` bytes and closes the connection unread.
* What the target declared is remembered on the request (``body_overflow``), so our checks
  report the body's true size instead of a JSON error about a cut-off document.
* :func:`bounded_schema` makes one loaded schema use that transport. Nothing global changes:
  another Schemathesis user in the same process keeps the stock transport.
"""

from __future__ import annotations

import time
from typing import Any

import requests
from schemathesis.transport.requests import REQUESTS_TRANSPORT, RequestsTransport

from conformance.contract.exchange import KEPT_BODY_CHARS, MAX_BODY_BYTES
from conformance.run.target import retry_after_seconds

#: Attribute set on a ``requests.PreparedRequest`` whose answer was cut at the cap: the
#: Content-Length the target declared (None when it declared none).
_OVERFLOW_ATTRIBUTE = "_supersim_body_overflow"
_NO_OVERFLOW = object()
_CHUNK = 64 * 1024
#: requests' flag for "the body was read" (private, not in its type stubs).
_CONSUMED = "_content_consumed"


class BoundedTransport(RequestsTransport):
    """``RequestsTransport`` that never reads more than ``limit`` bytes of a body, and waits out a 429.

    A 429 with ``Retry-After`` is retried up to ``max_retries_429`` times, waiting what it asks
    (at most ``max_retry_after`` seconds), as the hand-written client does: a target that
    rate-limits a share of requests, as Twilio does, is correct, and every generated request
    (every phase, the state machine too) goes through here.
    """

    def __init__(self, limit: int = MAX_BODY_BYTES, *, max_retries_429: int = 3, max_retry_after: float = 10.0) -> None:
        super().__init__()
        self._copy_serializers_from(REQUESTS_TRANSPORT)
        self.limit = limit
        self.max_retries_429 = max_retries_429
        self.max_retry_after = max_retry_after

    def send(self, case: Any, *, session: requests.Session | None = None, **kwargs: Any) -> Any:
        hooks = dict(kwargs.pop("hooks", None) or {})
        response_hooks = hooks.get("response") or []
        hooks["response"] = [*(response_hooks if isinstance(response_hooks, list) else [response_hooks]), self.cap]
        for attempt in range(self.max_retries_429 + 1):
            response = super().send(case, session=session, hooks=hooks, **kwargs)
            if response.status_code != 429 or attempt == self.max_retries_429:
                return response
            time.sleep(retry_after_seconds(_first(response.headers.get("retry-after")), self.max_retry_after))
        return response

    def cap(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        """A ``requests`` response hook: read the streamed body up to the limit, no further."""
        # requests' own flags for "the body was read" (private, not in its type stubs)
        if getattr(response, _CONSUMED, False):  # not streamed: already read (nothing to save)
            return response
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(_CHUNK):
            chunks.append(chunk)
            size += len(chunk)
            if size > self.limit:
                body = b"".join(chunks)[:KEPT_BODY_CHARS]
                setattr(response.request, _OVERFLOW_ATTRIBUTE, _declared_length(response))
                response.close()  # the rest stays unread; the connection is dropped
                break
        else:
            body = b"".join(chunks)
        response._content = body
        setattr(response, _CONSUMED, True)
        return response


def body_overflow(request: Any) -> tuple[bool, int | None]:
    """``(cut, declared length)`` for a request the generated phase sent."""
    value = getattr(request, _OVERFLOW_ATTRIBUTE, _NO_OVERFLOW)
    if value is _NO_OVERFLOW:
        return False, None
    return True, value if isinstance(value, int) else None


def _first(value: Any) -> str | None:
    """One header value from Schemathesis' response headers (a list per name)."""
    if isinstance(value, list):
        return str(value[0]) if value else None
    return None if value is None else str(value)


def _declared_length(response: requests.Response) -> int | None:
    try:
        return int(response.headers["content-length"])
    except (KeyError, TypeError, ValueError):
        return None


_BOUNDED_CLASSES: dict[type, type] = {}


def _bounded_class(schema_class: type) -> type:
    """A subclass of ``schema_class`` whose ``transport`` is a :class:`BoundedTransport` (one per class)."""
    if schema_class in _BOUNDED_CLASSES:
        return _BOUNDED_CLASSES[schema_class]
    transport = BoundedTransport()
    _BOUNDED_CLASSES[schema_class] = bounded = type(
        schema_class.__name__,
        (schema_class,),
        {
            "transport": property(lambda self: transport),
            "__module__": schema_class.__module__,
            "__doc__": schema_class.__doc__,
        },
    )
    return bounded


def bounded_schema(schema: Any) -> Any:
    """Make this one loaded Schemathesis schema send through :class:`BoundedTransport`.

    Schemathesis picks the transport from ``schema.transport`` (a class property); the schema's
    class is swapped for a subclass that answers ours, so only this object is affected.
    """
    schema.__class__ = _bounded_class(type(schema))
    return schema
