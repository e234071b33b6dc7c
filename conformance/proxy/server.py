"""Running the proxy: in a background thread (:func:`start_proxy`, for tests and the fixture) or in
the foreground until Ctrl-C (:func:`serve_proxy`, ``supersim-conformance proxy``).

Both bind the socket first (port 0 works, the real URL is known before the first request) and
probe the upstream once: an upstream that does not answer HTTP is exit 3 before anything listens.
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import httpx
import uvicorn

from conformance import EXIT_UNREACHABLE, EXIT_USAGE
from conformance.mock.server import MalformedRequests, _bind, _ctrl_c_stops, _url, start_in_thread, stop_in_thread
from conformance.proxy.app import ProxyApp
from conformance.proxy.callbacks import CallbackRouter
from conformance.proxy.journal import Entry, Journal
from conformance.proxy.recording import Recorder
from conformance.proxy.session import DEFAULT_CALLBACK_TIMEOUT, Session, describe, print_summary
from conformance.report import scrubber

BANNER = "supersim-conformance proxy listening on {url} (upstream {upstream})"
#: The client gets the upstream's own Date and Server headers, not a second pair from the proxy's server.
_OWN_HEADERS_OFF: dict[str, Any] = {"server_header": False, "date_header": False}


class UpstreamUnreachable(Exception):
    """The upstream did not answer HTTP (exit 3)."""


@dataclass
class ProxyOptions:
    """What a proxy session is: where it forwards, where it listens, what it writes."""

    upstream: str
    host: str = "127.0.0.1"
    port: int = 0
    report_dir: str | None = None
    record: str | None = None
    keep_pii: bool = False
    observe_callbacks: bool = False
    callback_base: str | None = None
    """The public base URL through which the target reaches the proxy's callback route (a tunnel);
    default: the proxy's own URL."""
    callback_timeout: float = DEFAULT_CALLBACK_TIMEOUT
    timeout: float = 30.0


def check_upstream(upstream: str) -> str:
    """``upstream`` as the upstream writes its own URLs (lower-case scheme and host, no default port, no
    trailing slash), or ValueError for one that is no http(s) base URL: answers are judged, and their
    links rewritten, against exactly this spelling."""
    try:
        parts = urlsplit(upstream)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ValueError(f"--upstream must be an http:// or https:// base URL, not {upstream!r}")
    scheme, host = parts.scheme.lower(), parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}[scheme]
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path}".rstrip("/")


def probe(upstream: str, timeout: float = 10.0) -> None:
    """One unauthenticated GET of the list: any HTTP answer (401 included) means it is up."""
    try:
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            client.get(upstream + "/v1/Sims")
    except httpx.HTTPError as error:
        raise UpstreamUnreachable(f"the upstream {upstream} did not answer: {type(error).__name__}: {error}") from None


def _app(options: ProxyOptions, upstream: str, sock: Any) -> ProxyApp:
    """The ASGI app of one session, knowing where it listens (``sock``) and routing callbacks if asked."""
    app = ProxyApp(_session(options, upstream), upstream, timeout=options.timeout)
    app.own_base = _url(options.host, sock.getsockname()[1])
    if options.observe_callbacks:
        app.session.router = CallbackRouter(options.callback_base or app.own_base, app.session.journal.tokens_for)
    return app


def _session(options: ProxyOptions, upstream: str) -> Session:
    journal = Journal(upstream)
    recorder = Recorder(Path(options.record), upstream, keep_pii=options.keep_pii) if options.record else None
    return Session(
        journal=journal,
        report_dir=Path(options.report_dir) if options.report_dir else None,
        recorder=recorder,
        callback_timeout=options.callback_timeout,
    )


class RunningProxy:
    """A proxy serving in a background thread; stop it with :meth:`stop` or a ``with`` block."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, sock: Any, app: ProxyApp) -> None:
        self._server, self._thread, self._sock, self.app = server, thread, sock, app
        self.base_url: str = app.own_base
        """e.g. ``http://127.0.0.1:53211``: point the client here instead of the upstream."""

    @property
    def session(self) -> Session:
        return self.app.session

    @property
    def journal(self) -> Journal:
        return self.app.session.journal

    def violations(self, side: str | None = None) -> list[dict[str, Any]]:
        """The violations so far (as ``GET /_proxy/violations`` lists them), of one side or both."""
        found = self.journal.snapshot()["violations"]
        return [v for v in found if side is None or v["side"] == side]

    def failing(self) -> list[Entry]:
        """The MUST violations so far (what fails a session)."""
        return self.journal.failing()

    def explain(self) -> str:
        """Every failing violation, one paragraph each, tokens scrubbed."""
        from conformance.report import scrubber

        return scrubber(self.journal.secrets)("\n".join(describe(e) for e in self.failing()))

    def reset(self) -> None:
        """A fresh journal (and no routed callback): what the next test sends is judged on its own."""
        self.journal.reset()
        if self.session.router is not None:
            self.session.router.reset()

    def client(self, account_sid: str, auth_token: str) -> Any:
        """A twilio-python Client with these credentials, sending through the proxy."""
        from twilio.rest import Client

        client = Client(account_sid, auth_token)
        client.supersim.base_url = self.base_url
        return client

    def write_reports(self, directory: str | Path | None = None) -> dict[str, Path]:
        return self.session.write_reports(Path(directory) if directory else None)

    def stop(self, timeout: float = 10.0) -> None:
        stop_in_thread(self._server, self._thread, self._sock, timeout)

    def __enter__(self) -> RunningProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<RunningProxy {self.base_url} -> {self.app.upstream}>"


def start_proxy(upstream: str, **options: Any) -> RunningProxy:
    """Start a proxy in front of ``upstream`` in a background thread (options: :class:`ProxyOptions`)."""
    opts = ProxyOptions(upstream=upstream, **options)
    base = check_upstream(upstream)
    probe(base)
    sock = _bind(opts.host, opts.port)
    app = _app(opts, base, sock)
    server, thread = start_in_thread(app, sock, "supersim-proxy", probe="/_proxy", **_OWN_HEADERS_OFF)
    running = RunningProxy(server, thread, sock, app)
    return running


def serve_proxy(options: ProxyOptions, out: TextIO | None = None) -> int:
    """Serve in the foreground until Ctrl-C; then write the reports. Exit 0 clean, 1 on a MUST
    violation, 2 on a usage error, 3 when the upstream does not answer."""
    out = out or sys.stdout
    try:
        base = check_upstream(options.upstream)
    except ValueError as error:
        print(f"supersim-conformance proxy: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        probe(base)
    except UpstreamUnreachable as error:
        print(f"supersim-conformance proxy: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE
    try:
        sock = _bind(options.host, options.port)
    except OSError as error:
        print(
            f"supersim-conformance proxy: error: cannot listen on {options.host}:{options.port}: "
            f"{error.strerror or error}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    app = _app(options, base, sock)
    session = app.session
    config = uvicorn.Config(
        app, lifespan="on", log_level="warning", log_config=None, access_log=False, **_OWN_HEADERS_OFF
    )
    server = uvicorn.Server(config)
    malformed = MalformedRequests()  # HTTP too malformed to parse is refused (400) before the proxy sees it
    error_log = logging.getLogger("uvicorn.error")
    error_log.addFilter(malformed)
    try:
        with _ctrl_c_stops(server):
            print(BANNER.format(url=app.own_base, upstream=base), file=out, flush=True)
            print(
                f"violations so far: GET {app.own_base}/_proxy/violations; reports now: POST {app.own_base}/_proxy/report; "
                "Ctrl-C writes the reports and stops",
                file=out,
                flush=True,
            )
            if session.router is not None:
                print(f"callbacks routed through {session.router.public_base}/_proxy/callbacks/", file=out, flush=True)
            server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        error_log.removeFilter(malformed)
        sock.close()
    summary = malformed.summary("the proxy")
    if summary:
        session.journal.note(summary)
    session.write_reports()
    print_summary(session, out)
    scrub = scrubber(session.journal.secrets)
    for entry in session.journal.failing()[:20]:
        print(scrub(describe(entry)), file=out)
    return session.exit_code()
