"""Keep-alive latency of ``client.supersim.v1.sims(sid).fetch()`` through twilio-python, one Client.

Run by bench_mock.py with the fresh venv's python (so it is the twilio-python a user gets)::

    python tests/benchmarks/twilio_latency.py URL ACCOUNT_SID AUTH_TOKEN SIM_SID [--requests N] [--warmup N]

One ``twilio.rest.Client`` aimed at URL (``client.supersim.base_url = URL``), ``--warmup``
unmeasured fetches, then ``--requests`` sequential fetches, each timed on its own. That is
what an application's test suite does against the mock, one call after another on one
connection, so it shows per-request costs a throughput test hides (a Nagle / delayed-ACK
stall of ~40 ms on every keep-alive answer, for instance). Prints one JSON line: p50, p99,
mean, min, max in ms and how many TCP connections the client opened (1 = keep-alive held).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time


def connections_opened(client) -> dict[str, int] | None:
    """Connections opened and requests sent by twilio-python's requests/urllib3 pools (None if not visible).

    One connection for all the requests means keep-alive held for the whole run.
    """
    try:
        pools = [adapter.poolmanager.pools for adapter in client.http_client.session.adapters.values()]
        found = [pools_of[key] for pools_of in pools for key in pools_of.keys()]
        return {
            "connections": sum(pool.num_connections for pool in found),
            "requests": sum(pool.num_requests for pool in found),
        }
    except Exception:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("account_sid")
    parser.add_argument("auth_token")
    parser.add_argument("sim_sid")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    import twilio
    from twilio.rest import Client

    client = Client(args.account_sid, args.auth_token)
    client.supersim.base_url = args.url
    sim = client.supersim.v1.sims(args.sim_sid)
    for _ in range(args.warmup):
        sim.fetch()
    samples = []
    for _ in range(args.requests):
        started = time.perf_counter()
        sim.fetch()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
    json.dump(
        {
            "requests": len(samples),
            "warmup": args.warmup,
            "p50_ms": statistics.median(samples),
            "p99_ms": pick(0.99),
            "mean_ms": statistics.fmean(samples),
            "min_ms": samples[0],
            "max_ms": samples[-1],
            "pool": connections_opened(client),
            "twilio": twilio.__version__,
        },
        sys.stdout,
    )
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
