"""Methods the Sim resource does not have (PUT, PATCH, DELETE): refused, and nothing changes.

The page documents GET and POST only. Another method is "an unsupported method", which gets a
4xx and never a 5xx (SIM-ERR-007); a 2xx would mean the target does something the contract
does not have, and the Sim it was sent to must be exactly as before. DELETE is sent, so this
is the full suite only (never against a live account by default).
"""

from __future__ import annotations

import pytest

from conformance.checks import expect
from conformance.checks.scenarios import METHODS
from conformance.suite.helpers import fetch_sim

check = pytest.mark.supersim_check
pytestmark = pytest.mark.usefixtures("sc_full_suite")


@check(METHODS)
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_unsupported_methods_are_refused_and_change_nothing(sc_primary, sc_pool, method):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new")
    before = fetch_sim(sc_primary, sim["sid"])
    for path in ("/v1/Sims", f"/v1/Sims/{sim['sid']}"):
        answer = sc_primary.request(method, path, form={"UniqueName": f"m-{sim['sid'][-6:]}"})
        expect(
            400 <= answer.status < 500,
            METHODS,
            f"{method} {path} was not refused with a 4xx (the Sim resource has GET and POST only)",
            expected="a 4xx, such as 405 Method Not Allowed, with Twilio's error body",
            received=f"{answer.status} {answer.excerpt()}",
            exchange=answer,
        )
    after = sc_primary.get(f"/v1/Sims/{sim['sid']}")
    expect(
        after.status == 200 and after.json() == before,
        METHODS,
        f"after a refused {method}, the Sim is not as it was",
        expected=before,
        received=f"{after.status} {after.excerpt()}",
        exchange=after,
    )
