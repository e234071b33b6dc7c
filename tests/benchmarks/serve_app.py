"""Serve one of asgi_apps' apps on uvicorn with a chosen HTTP implementation and event loop.

Run by bench_mock.py with the fresh venv's python::

    python tests/benchmarks/serve_app.py --app mock|bare [--profile FILE] [--http auto|h11|httptools]
                                         [--loop auto|asyncio|uvloop]

It starts uvicorn exactly as ``supersim-conformance serve`` does (``lifespan="on"``,
``log_level="warning"``, no access log, ``server.run(sockets=[sock])`` on a socket bound
first), so with ``--http auto --loop auto`` the stack is the one ``serve`` gets, and
``--http h11 --loop asyncio`` is what a fresh install got before uvicorn[standard].

The listening socket is made like ``conformance.mock.server._bind`` makes it (copied, not
imported, so the ceiling does not depend on the kit's code): protocol ``IPPROTO_TCP`` and
TCP_NODELAY, without which asyncio leaves Nagle on for accepted connections and keep-alive
answers wait ~40 ms for a delayed ACK. Port 0; the URL is printed once bound. Ctrl-C or
SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import os
import socket

from asgi_apps import FACTORIES


def bind_loopback() -> socket.socket:
    """127.0.0.1, port 0, ``IPPROTO_TCP`` + TCP_NODELAY: the same socket as the mock's ``_bind``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", choices=sorted(FACTORIES), required=True)
    parser.add_argument("--profile", help="target profile for the mock (default: the kit's default profile)")
    parser.add_argument("--http", default="auto", choices=["auto", "h11", "httptools"])
    parser.add_argument("--loop", default="auto", choices=["auto", "asyncio", "uvloop"])
    args = parser.parse_args()
    if args.profile:
        os.environ["BENCH_PROFILE"] = args.profile

    import uvicorn  # the venv's

    app = FACTORIES[args.app]()
    sock = bind_loopback()
    config = uvicorn.Config(app, http=args.http, loop=args.loop, lifespan="on", log_level="warning", access_log=False)
    print(
        f"{args.app} app listening on http://127.0.0.1:{sock.getsockname()[1]} "
        f"(uvicorn {uvicorn.__version__}, http={args.http}, loop={args.loop})",
        flush=True,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
