"""The ASGI apps bench_mock.py serves on several stacks: factories, so any server can build them.

* :func:`mock_app` is the reference mock, ``conformance.mock.app.create_app(profile)``, with the
  profile named by ``BENCH_PROFILE`` (the kit's default profile when unset). The async delay
  is ``serve``'s default, so it is the same app ``supersim-conformance serve`` runs.
* :func:`bare_app` is "the ceiling": a one-route Starlette app answering one constant,
  Sim-sized JSON document (Twilio's published example Sim, ~600 bytes) on
  ``GET /v1/Sims/{sid}``. Whatever the mock costs above it is the mock's own work; whatever
  it costs itself is the server stack's (uvicorn/granian, the HTTP parser, the event loop,
  Starlette's routing).

Used by ``serve_app.py`` (uvicorn) and by granian's CLI::

    granian --interface asgi --factory --working-dir tests/benchmarks asgi_apps:mock_app

The imports are inside the factories so that importing this module costs nothing and pulls
in the ``conformance`` package of whichever interpreter runs it (the fresh venv's).
"""

from __future__ import annotations

import json
import os

_SID = "HS" + "a" * 32
#: Twilio's example Sim from the published OpenAPI document (``fetch`` example), with a fleet.
SIM_EXAMPLE = {
    "sid": _SID,
    "account_sid": "AC" + "a" * 32,
    "unique_name": "My SIM",
    "status": "active",
    "fleet_sid": "HF" + "a" * 32,
    "iccid": "89883070000123456789",
    "date_created": "2015-07-30T20:00:00Z",
    "date_updated": "2015-07-30T20:00:00Z",
    "url": f"https://supersim.twilio.com/v1/Sims/{_SID}",
    "links": {
        "billing_periods": f"https://supersim.twilio.com/v1/Sims/{_SID}/BillingPeriods",
        "sim_ip_addresses": f"https://supersim.twilio.com/v1/Sims/{_SID}/IpAddresses",
    },
}
#: Encoded once, as the mock encodes its answers (compact separators).
SIM_BODY = json.dumps(SIM_EXAMPLE, separators=(",", ":")).encode()


def bare_app():
    """One route, one constant document: the fastest a Starlette app on this stack can answer a fetch."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def fetch(request):
        return Response(SIM_BODY, media_type="application/json")

    return Starlette(routes=[Route("/v1/Sims/{sid}", fetch, methods=["GET"])])


def mock_app():
    """The reference mock with the profile in ``BENCH_PROFILE`` (default profile when unset)."""
    from conformance.mock.app import create_app
    from conformance.profile import default_profile, load_profile

    path = os.environ.get("BENCH_PROFILE")
    return create_app(load_profile(path) if path else default_profile())


FACTORIES = {"mock": mock_app, "bare": bare_app}
