"""Every connection the mock accepts has Nagle's algorithm off (TCP_NODELAY).

Without it, a fresh install (uvicorn on h11, which writes headers and body as two segments)
held every response after the first on a keep-alive connection for ~40 ms: Nagle waited for
the client's delayed ACK. These tests read the option on the server's side of live
connections, so they do not depend on timing, and they cover every server stack uvicorn can
pick (h11 or httptools, asyncio or uvloop), the in-process mock and the pytest fixture.
"""

from __future__ import annotations

import importlib.util
import socket
import threading
import time

import pytest
import requests
import uvicorn

from conformance.mock.app import create_app
from conformance.mock.server import _bind
from conformance.profile import default_profile

PROFILE = default_profile()
SID, TOKEN = PROFILE.credentials(PROFILE.primary.sid)


def server_side_nodelay(server: uvicorn.Server) -> list[int]:
    """TCP_NODELAY of the server's side of each open connection."""
    values = []
    for protocol in list(server.server_state.connections):
        sock = protocol.transport.get_extra_info("socket")
        values.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    return values


def keep_alive_requests(base_url: str, count: int = 3) -> requests.Session:
    """``count`` requests over one keep-alive connection (the connection stays open)."""
    session = requests.Session()
    session.auth = (SID, TOKEN)
    for _ in range(count):
        assert session.get(base_url + "/v1/Sims", params={"PageSize": 1}, timeout=10).status_code == 200
    return session


def test_the_listening_socket_is_tcp_with_nodelay():
    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP  # what asyncio looks at before it sets TCP_NODELAY
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        sock.close()


STACKS = [("h11", "asyncio"), ("httptools", "asyncio"), ("h11", "uvloop"), ("httptools", "uvloop")]


@pytest.mark.parametrize(("http", "loop"), STACKS, ids=[f"{h}-{loop}" for h, loop in STACKS])
def test_accepted_connections_have_nodelay_on_every_stack(http, loop):
    for module in {http, loop} - {"h11", "asyncio"}:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (the kit declares it: uvicorn[standard])")
    sock = _bind("127.0.0.1", 0)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(PROFILE),
            http=http,
            loop=loop,
            lifespan="on",
            log_config=None,
            log_level="warning",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        session = keep_alive_requests(f"http://127.0.0.1:{sock.getsockname()[1]}")
        values = server_side_nodelay(server)
        session.close()
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    assert values and all(values), f"TCP_NODELAY on the server side of {len(values)} connection(s): {values}"


def test_the_in_process_mock_and_its_fixture_set_nodelay(supersim_mock, supersim_client):
    """The public fixtures: requests through ``supersim_client`` travel on NODELAY connections."""
    supersim_client.supersim.v1.sims.list(limit=1)
    session = keep_alive_requests(supersim_mock.base_url)
    values = server_side_nodelay(supersim_mock.running._server)
    session.close()
    assert len(values) >= 2 and all(values), values


def test_the_server_stack_is_the_fast_one():
    """A fresh install brings httptools and uvloop (uvicorn[standard]), so uvicorn's "auto" picks them."""
    config = uvicorn.Config(create_app(PROFILE))
    config.load()
    assert config.http_protocol_class.__module__.endswith("httptools_impl")
    assert importlib.util.find_spec("uvloop") is not None
