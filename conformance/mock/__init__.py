"""The reference mock of the Super SIM Sim resource: a target that passes every requirement.

It needs no credentials from Twilio and no network: accounts, fleets, registrable cards and
Sims come from a target profile (``conformance.profile``); behaviour follows the
documentation page, with the choices the page leaves open written down in ``docs/mock.md``.

    from conformance.mock import start_mock
    with start_mock(async_delay=0.05) as mock:
        sid, token = mock.credentials("primary")
        ...  # talk to mock.base_url

Modules, each depending only on those listed after it:

* running it: ``server`` (uvicorn, ``start_mock``/``serve``);
* HTTP: ``app`` (the Starlette app, routes), ``front`` (the ASGI wrapper: request log, last
  resort, fast GETs), ``control`` (/_mock endpoints), ``operations`` (the four operations),
  ``auth`` (HTTP Basic), ``responses`` (JSON answers, error bodies);
* one instance: ``state`` (store + scheduler thread + callbacks + request log),
  ``callbacks`` (signed webhooks), ``violations`` (requests checked against the contract);
* state and rules: ``store`` (the locked facade) over ``updates``, ``scheduled``,
  ``activation``, ``pagination``, ``cards``, ``seeding``, ``access``, which work on
  ``tables`` (data and indexes) and ``records`` (one Sim);
* values: ``forms`` (parameters), ``render`` (JSON), ``model``, ``errors``, ``clock``,
  ``faults`` (the planted faults, as a table).
"""

from conformance.mock.app import create_app
from conformance.mock.faults import FAULTS
from conformance.mock.server import RunningMock, serve, start_mock

__all__ = ["FAULTS", "RunningMock", "create_app", "serve", "start_mock"]
