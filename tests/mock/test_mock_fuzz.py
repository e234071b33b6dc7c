"""Schemathesis over our openapi.yaml, positive and negative: the mock never answers a 5xx.

``schemathesis.pytest.from_fixture`` (4.32.5) breaks under pytest 9 (it sets the private
``Function._nodeid``), so the schema is loaded at import time and the running mock's base
URL and credentials are given to each call instead.
"""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error

from conformance.contract import openapi_path
from conformance.mock import start_mock
from conformance.profile import default_profile

MAX_EXAMPLES = 40

#: Path parameters point at a Sim that exists, so updates get past the lookup and exercise the rules.
KNOWN_SIM = default_profile().sims_by(default_profile().primary.sid, "new")[0].sid

schema = schemathesis.openapi.from_path(openapi_path())
schema.config.update(parameters={"Sid": KNOWN_SIM})
schema.config.generation.update(
    modes=["positive", "negative"], max_examples=MAX_EXAMPLES, database="none", no_shrink=True
)


@pytest.fixture(scope="module")
def fuzz_mock():
    """A mock of its own: fuzzing changes state the other tests rely on."""
    with start_mock(async_delay=0.01) as running:
        yield running


@pytest.fixture(scope="module")
def fuzz_headers(fuzz_mock):
    """HTTP Basic with the primary account's credentials."""
    sid, token = fuzz_mock.credentials()
    return {"Authorization": "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()}


@schema.parametrize()
def test_no_request_produces_a_server_error(case, fuzz_mock, fuzz_headers, check_body):
    response = case.call_and_validate(base_url=fuzz_mock.base_url, headers=fuzz_headers, checks=[not_a_server_error])
    # and whatever was asked, the answer is a contract-valid Sim, page or Twilio error body
    check_body(response.request.method, urlsplit(response.request.url).path, response.status_code, response.json())


def test_the_request_log_saw_no_5xx(fuzz_mock):
    statuses = [entry["status"] for entry in fuzz_mock.state.requests]
    assert len(statuses) > 50
    assert all(status < 500 for status in statuses)
    assert {s for s in statuses if s >= 400} and {s for s in statuses if s < 300}
