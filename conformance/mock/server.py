"""Running the mock: in a background thread for tests (:func:`start_mock`), or in the foreground (:func:`serve`).

Both bind the socket themselves before uvicorn starts, so ``port=0`` works and the real
port is known (and printed) before the first request can arrive.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

import uvicorn
from starlette.applications import Starlette

from conformance.mock.app import create_app
from conformance.mock.faults import validate_faults
from conformance.mock.state import MockState
from conformance.mock.variations import validate_variations
from conformance.profile import Profile, ProfileError, default_profile, dump_profile, load_profile

BANNER = "supersim-conformance mock listening on {url}"
#: What uvicorn logs (a warning on ``uvicorn.error``) for each request it cannot parse, answering 400.
INVALID_REQUEST = "Invalid HTTP request received."
#: The line ``serve`` prints when it stops, instead of one warning per malformed request.
MALFORMED_SUMMARY = (
    "{count} malformed request{s} {were} refused by the HTTP server (400) before reaching {server}; "
    "expected during a conformance run's generated phase"
)


class MalformedRequests(logging.Filter):
    """Counts uvicorn's "Invalid HTTP request received." warnings and drops them (everything else passes).

    A conformance run's generated phase sends malformed HTTP on purpose; uvicorn refuses each
    with a 400 before the mock sees it, and logged a warning each, which filled the terminal
    of ``serve``. ``serve`` prints :meth:`summary` once, when it stops.
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == INVALID_REQUEST:
            with self._lock:
                self.count += 1
            return False
        return True

    def summary(self, server: str = "the mock") -> str | None:
        """The one line for the count (refused before reaching ``server``), or None when there was none."""
        if not self.count:
            return None
        return MALFORMED_SUMMARY.format(
            count=self.count, s="" if self.count == 1 else "s", were="was" if self.count == 1 else "were", server=server
        )


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket whose accepted connections have Nagle's algorithm off.

    The protocol is given as ``IPPROTO_TCP`` on purpose: asyncio sets TCP_NODELAY on an
    accepted connection only when the listening socket's ``proto`` says TCP, and a socket made
    with protocol 0 says 0. Without it every response after the first on a keep-alive
    connection waited ~40 ms (Nagle + the client's delayed ACK: the HTTP layer writes headers
    and body as two segments). TCP_NODELAY is also set on the listener, which Linux copies to
    each accepted socket, so the option holds whatever event loop uvicorn runs.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class RunningMock:
    """A mock serving in a background thread; stop it with :meth:`stop` or a ``with`` block."""

    def __init__(
        self, server: uvicorn.Server, thread: threading.Thread, sock: socket.socket, app: Starlette, host: str
    ):
        self._server = server
        self._thread = thread
        self._sock = sock
        self.app = app
        self.host = host
        self.port: int = sock.getsockname()[1]
        self.base_url: str = _url(host, self.port)
        """e.g. ``http://127.0.0.1:53211`` (no trailing slash)."""

    @property
    def state(self) -> MockState:
        """The store handle: reset(), requests, violations, seed_sims(), advance_clock()..."""
        return self.app.state.mock

    @property
    def profile(self) -> Profile:
        return self.state.profile

    def credentials(self, role_or_sid: str = "primary") -> tuple[str, str]:
        """``(account_sid, auth_token)`` of an account, by role or SID."""
        sid = role_or_sid if role_or_sid.startswith("AC") else self.profile.account(role_or_sid).sid
        return self.profile.credentials(sid)

    def stop(self, timeout: float = 10.0) -> None:
        """Shut down gracefully (the lifespan stops the scheduler) and wait for the thread."""
        stop_in_thread(self._server, self._thread, self._sock, timeout)

    def __enter__(self) -> RunningMock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<RunningMock {self.base_url} faults={sorted(self.state.faults)}>"


def start_mock(
    profile: Profile | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    async_delay: float = 0.2,
    strict: bool = False,
    faults: Iterable[str] = (),
    variations: Iterable[str] = (),
) -> RunningMock:
    """Start the reference mock in a background thread; return once it answers HTTP.

    ``faults`` plant defects (a check must catch each); ``variations`` add benign differences
    (the suite must still pass): see ``conformance.mock.faults`` and ``conformance.mock.variations``.
    """
    app = create_app(profile, async_delay=async_delay, strict=strict, faults=faults, variations=variations)
    sock = _bind(host, port)
    server, thread = start_in_thread(app, sock, "supersim-mock", probe="/_mock/")
    return RunningMock(server, thread, sock, app, host)


def start_in_thread(
    app: Callable[..., Any], sock: socket.socket, name: str, *, probe: str, **config: Any
) -> tuple[uvicorn.Server, threading.Thread]:
    """Serve ``app`` on ``sock`` from a daemon thread; return once it answers HTTP at ``probe``.

    Shared by the mock and the proxy (``conformance.proxy.server``): any answer to the probe (a
    401 included) means the server is up.
    """
    settings = {"lifespan": "on", "log_level": "warning", "log_config": None, "access_log": False, **config}
    server = uvicorn.Server(uvicorn.Config(app, **settings))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            stop_in_thread(server, thread, sock, timeout=2)
            raise RuntimeError(f"the {name} server did not start")
        time.sleep(0.01)
    host, port = sock.getsockname()[:2]
    connection = http.client.HTTPConnection(host, port, timeout=5)  # no TLS set-up: ~40 ms cheaper than httpx
    try:
        connection.request("GET", probe)
        connection.getresponse().read()
    finally:
        connection.close()
    return server, thread


def stop_in_thread(
    server: uvicorn.Server, thread: threading.Thread, sock: socket.socket, timeout: float = 10.0
) -> None:
    """Ask the server to stop, wait for its thread (forcing it after ``timeout``), close the socket."""
    server.should_exit = True
    thread.join(timeout)
    if thread.is_alive():
        server.force_exit = True
        thread.join(timeout)
    sock.close()


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    profile_path: str | None = None,
    write_profile_path: str | None = None,
    async_delay: float = 0.2,
    strict: bool = False,
    faults: Iterable[str] = (),
    out: TextIO | None = None,
    variations: Iterable[str] = (),
    listen: bool = True,
    access_log: bool = False,
) -> int:
    """Serve in the foreground until Ctrl-C (exit 0); 1 if the address cannot be bound.

    With ``listen=False`` only write the profile (``write_profile_path``) and return 0.
    ``access_log`` prints uvicorn's access log (a line per request) on standard output.
    Malformed HTTP that uvicorn refuses (400) is counted, and one line says how many when
    the mock stops (:class:`MalformedRequests`).

    Raises :class:`conformance.profile.ProfileError` for a bad profile (or one that cannot be
    written) and :class:`conformance.mock.faults.UnknownFaultError` (a ValueError) for an
    unknown fault (``UnknownVariationError`` for an unknown variation), before anything is bound.
    """
    out = out or sys.stdout
    profile = load_profile(profile_path) if profile_path else default_profile()
    chosen = validate_faults(faults)
    benign = validate_variations(variations)
    app = create_app(profile, async_delay=async_delay, strict=strict, faults=chosen, variations=benign)
    if write_profile_path:
        try:
            Path(write_profile_path).write_text(dump_profile(profile), encoding="utf-8")
        except OSError as error:
            raise ProfileError(write_profile_path, f"cannot write the profile: {error.strerror or error}") from None
    if not listen:
        if write_profile_path:
            print(f"wrote the target profile to {write_profile_path}", file=out, flush=True)
        return 0
    try:
        sock = _bind(host, port)
    except OSError as exc:
        print(f"supersim-conformance mock cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    url = _url(host, sock.getsockname()[1])
    primary = profile.primary
    token_note = (
        f"auth token {profile.token_for(primary.sid)}" if not profile_path else f"auth token as in {profile_path}"
    )
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning", access_log=access_log))
    if access_log:  # uvicorn gives the access logger the server's level, and an access line is INFO
        logging.getLogger("uvicorn.access").setLevel(logging.INFO)
    malformed = MalformedRequests()
    error_log = logging.getLogger("uvicorn.error")
    error_log.addFilter(malformed)
    try:
        with _ctrl_c_stops(server):
            print(BANNER.format(url=url), file=out, flush=True)
            print(f"primary account {primary.sid} ({token_note})", file=out, flush=True)
            if chosen:
                print(f"planted faults: {', '.join(sorted(chosen))}", file=out, flush=True)
            if benign:
                print(f"benign variations: {', '.join(sorted(benign))}", file=out, flush=True)
            server.run(sockets=[sock])
    except KeyboardInterrupt:  # belt and braces: a Ctrl-C re-raised by anything after the shutdown
        pass
    finally:
        error_log.removeFilter(malformed)
        sock.close()
        summary = malformed.summary()
        if summary:
            print(summary, file=out, flush=True)
    return 0


@contextlib.contextmanager
def _ctrl_c_stops(server: uvicorn.Server) -> Iterator[None]:
    """From the banner on, Ctrl-C asks ``server`` to stop, also before uvicorn installs its own handler.

    With Python's default handler a Ctrl-C in that window raises KeyboardInterrupt wherever
    the interpreter is, and when that is a finalizer or weakref callback (garbage collection
    during startup) the exception is printed and dropped: the mock then served on, ignoring
    the Ctrl-C. ``server.handle_exit`` only sets a flag, which uvicorn checks once started.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, server.handle_exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
