"""The reference mock of the Super SIM Sim resource: a target that passes every requirement.

It needs no credentials from Twilio and no network: accounts, fleets, registrable cards and
Sims come from a target profile (``conformance.profile``); behaviour follows the
documentation page, with the choices the page leaves open written down in ``docs/mock.md``.

    from conformance.mock import start_mock
    with start_mock(async_delay=0.05) as mock:
        sid, token = mock.credentials("primary")
        ...  # talk to mock.base_url

Modules: ``app`` (HTTP), ``store`` (state and rules), ``forms`` (parameters), ``render``
(JSON), ``callbacks`` (signed webhooks), ``control`` (/_mock endpoints), ``faults``
(planted faults), ``state`` (one instance's handle), ``server`` (running it).
"""

from conformance.mock.app import create_app
from conformance.mock.faults import FAULTS
from conformance.mock.server import RunningMock, serve, start_mock

__all__ = ["FAULTS", "RunningMock", "create_app", "serve", "start_mock"]
