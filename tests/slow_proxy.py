"""A loopback proxy in front of a target that behaves like a real network and a real API under load.

Every request waits ``latency`` seconds, and a share of requests (every ``every``-th, or a random
``share`` with a fixed seed) is answered, instead of forwarded, with Twilio's 429: its error body
and ``Retry-After``. Everything else is relayed as it came: any method, the raw path and query
bytes (so the generated phase's odd paths reach the target), the body, and the client's own
``Host`` (so the links the target builds point back through the proxy).

It runs on uvicorn, the reference mock's own server stack, so a request too malformed for the
proxy to parse would not have reached the mock either.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import uvicorn

from conformance.mock.server import _bind

TOO_MANY = json.dumps(
    {
        "code": 20429,
        "message": "Too Many Requests",
        "more_info": "https://www.twilio.com/docs/errors/20429",
        "status": 429,
    }
).encode()
#: Headers that belong to one connection, not to the message (RFC 9110 section 7.6.1).
HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"te", b"upgrade", b"content-length"}


def proxy_app(
    upstream: str,
    counts: dict[str, int],
    *,
    latency: float = 0.0,
    every: int = 0,
    share: float = 0.0,
    retry_after: str = "1",
    seed: int = 0,
):
    """The ASGI app of the proxy; ``counts`` gets ``requests`` and ``limited``."""
    rng = random.Random(seed)
    lock = threading.Lock()
    client: dict[str, httpx.AsyncClient] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    client["http"] = httpx.AsyncClient(timeout=30, trust_env=False)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await client["http"].aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        with lock:
            counts["requests"] += 1
            limited = bool(every and counts["requests"] % every == 0) or bool(share and rng.random() < share)
            counts["limited"] += limited
        if latency:
            await asyncio.sleep(latency)
        if limited:
            headers = [(b"content-type", b"application/json"), (b"retry-after", retry_after.encode())]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": TOO_MANY})
            return
        target = scope.get("raw_path") or scope["path"].encode()
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        url = httpx.URL(upstream).copy_with(raw_path=target)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP]
        request = client["http"].build_request(scope["method"], url, headers=headers, content=body)
        response = await client["http"].send(request)
        out = [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]
        await send({"type": "http.response.start", "status": response.status_code, "headers": out})
        await send({"type": "http.response.body", "body": response.content})

    return app


@contextlib.contextmanager
def slow_proxy(upstream: str, **options: Any) -> Iterator[tuple[str, dict[str, int]]]:
    """Start the proxy on a free loopback port; yield its URL and its counts; stop it."""
    counts = {"requests": 0, "limited": 0}
    sock = _bind("127.0.0.1", 0)
    config = uvicorn.Config(
        proxy_app(upstream, counts, **options),
        lifespan="on",
        log_level="error",
        log_config=None,
        access_log=False,
        server_header=False,  # the target's own Date and Server pass through, not a second pair
        date_header=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the proxy did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", counts
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
