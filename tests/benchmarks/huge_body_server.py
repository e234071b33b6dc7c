"""A hostile HTTP server for bench_run.py: every answer, to every method and path, is one ~20 MB JSON document.

::

    python tests/benchmarks/huge_body_server.py [--mb 20]

It listens on 127.0.0.1, port 0, and prints its URL once bound. Each answer is ``200 OK``,
``Content-Type: application/json``, with a correct Content-Length (keep-alive works), and
the body an object holding one big array, ``{"sims": ["<64 hex characters>", ...]}``: valid
JSON, so a client that reads and parses whatever it is sent pays for all of it, on the
``GET /v1/Sims?PageSize=1`` probe as on every other request. The document is built once at
start-up. Ctrl-C or SIGTERM stops it; it then prints how many requests it answered.

The point is a kit run against a broken or hostile target: it must end, in bounded time and
memory, with a report, rather than keep every 20 MB body it was sent.
"""

from __future__ import annotations

import argparse
import collections
import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def huge_document(megabytes: float) -> bytes:
    """``{"sims": [...]}`` of about ``megabytes`` MB: 64-character strings, each different."""
    count = int(megabytes * 1_000_000 / 67)  # '"' + 64 + '",' per item
    items = [f"{i:064x}" for i in range(count)]
    return json.dumps({"sims": items}, separators=(",", ":")).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client decides when to close
    body = b""
    served: collections.Counter = collections.Counter()

    def _answer(self, with_body: bool = True) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)  # consume what was sent, so the connection stays in step
        self.served[self.command] += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        if with_body:
            self.wfile.write(self.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _answer

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def log_message(self, format: str, *args) -> None:  # no per-request log
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    broken = 0  # answers cut short because the client went away (e.g. a run killed mid-read)

    def handle_error(self, request, client_address) -> None:
        """Count a client that went away instead of printing a traceback per connection."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            Server.broken += 1
        else:
            super().handle_error(request, client_address)


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM ends serve_forever like Ctrl-C, so the count is printed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=20.0, help="size of every answer in MB (default 20)")
    args = parser.parse_args()
    Handler.body = huge_document(args.mb)
    server = Server(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, _stop)
    print(
        f"huge-body server listening on http://127.0.0.1:{server.server_address[1]} "
        f"({len(Handler.body):,} bytes per answer)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        total = sum(Handler.served.values())
        print(
            f"answered {total} requests: {json.dumps(dict(Handler.served))}; "
            f"{Server.broken} answers cut short by the client",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
