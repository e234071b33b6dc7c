"""pytest plugin (``pytest11`` entry point ``supersim_conformance``).

Installing the kit must never change another repository's test run: this module declares
options (all in one group) and markers, and does nothing else unless the run asks for it with
``--supersim-conformance`` (run the conformance suite in this session) or uses the kit's
fixtures. The suite's own fixtures live in ``conformance.suite.fixtures`` and are loaded only
for a conformance run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SUITE_DIR = Path(__file__).resolve().parent / "suite"

MARKERS = {
    "supersim_check": "supersim_check(ID): the conformance check this test implements (its requirements come from the check registry)",
    "supersim_requirement": "supersim_requirement(*IDS): the Sim-resource requirement IDs this test covers (shown in the per-requirement report)",
    "supersim_full": "supersim_full: the test changes state on the target; it runs only with --supersim-suite full",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("supersim-conformance", "Twilio Super SIM Sim-resource conformance")
    group.addoption("--supersim-conformance", action="store_true", default=False,
                    help="run the supersim-conformance suite in this session")
    group.addoption("--supersim-target", metavar="URL", default=None,
                    help="base URL of the server under test (default: start the embedded reference mock)")
    group.addoption("--supersim-profile", metavar="FILE", default=None,
                    help="target profile (TOML): accounts, fleets, registrable SIMs, existing SIMs")
    group.addoption("--supersim-suite", choices=["read-only", "full"], default=None,
                    help="read-only sends no state-changing request (default: full, read-only for live Twilio)")
    group.addoption("--supersim-report-dir", metavar="DIR", default=None,
                    help="write report.json, junit.xml, report.md, report.html here")
    group.addoption("--supersim-max-examples", metavar="N", type=int, default=None,
                    help="examples per operation in the generated (Schemathesis) phase")
    group.addoption("--supersim-seed", metavar="N", type=int, default=None, help="seed for generated cases")
    group.addoption("--supersim-expect-failures", metavar="FILE", default=None,
                    help="file of check or requirement IDs expected to fail, 'ID: reason' per line")
    group.addoption("--supersim-callback-url-base", metavar="URL", default=None,
                    help="public URL that reaches the local callback receiver (for live targets)")
    group.addoption("--supersim-callback-timeout", metavar="S", type=float, default=None,
                    help="seconds to wait for a callback after an asynchronous update (default 10)")
    group.addoption("--supersim-timeout", metavar="S", type=float, default=None, help="per-request timeout (default 10 s)")
    group.addoption("--supersim-rate", metavar="RPS", type=float, default=None,
                    help="at most this many requests per second (default: unlimited, 5 for live Twilio)")


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    if config.getoption("supersim_conformance", default=False) and not config.pluginmanager.has_plugin("conformance.suite.fixtures"):
        from conformance.suite import fixtures

        config.pluginmanager.register(fixtures, "conformance.suite.fixtures")
        config.args.append(str(SUITE_DIR)) if str(SUITE_DIR) not in config.args else None
