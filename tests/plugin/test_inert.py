"""A repository that installs the kit but does not use it: its test run does not change."""

from __future__ import annotations

import json
import re

PLAIN_TESTS = """
import pytest


def test_addition():
    assert 1 + 1 == 2


@pytest.mark.parametrize("word", ["sim", "fleet"])
def test_words(word):
    assert word.isalpha()


@pytest.mark.skip(reason="not today")
def test_skipped():
    pass


def test_failing():
    assert "supersim" == "twilio"
"""

#: Records, at the very end of the session, what the kit put into this process.
SPY_CONFTEST = """
import json, sys, threading
from pathlib import Path


def pytest_unconfigure(config):
    Path(config.rootpath, "spy.json").write_text(json.dumps({
        "conformance_modules": sorted(m for m in sys.modules if m == "conformance" or m.startswith("conformance.")),
        "twilio_loaded": any(m == "twilio" or m.startswith("twilio.") for m in sys.modules),
        "threads": sorted(t.name for t in threading.enumerate()),
        "fixture_plugin": config.pluginmanager.has_plugin("supersim_conformance.fixtures"),
        "other_plugins": sorted(name for name, _ in config.pluginmanager.list_name_plugin()
                                if name and name.startswith("supersim_conformance.")),
    }))
"""

#: Lines that legitimately differ between two runs: durations, and the header's plugin list.
VOLATILE = [re.compile(r"\bin \d+\.\d+s\b"), re.compile(r"^plugins: .*$")]


def _normalise(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        for pattern in VOLATILE:
            line = pattern.sub("<volatile>", line)
        out.append(line)
    return out


def _files(pytester) -> list[str]:
    """The project's files, without pytester's own (its basetemp and captured output)."""
    own = ("runpytest-", "stdout", "stderr")
    return sorted(p.name for p in pytester.path.iterdir() if not p.name.startswith(own))


def test_an_unrelated_project_runs_exactly_as_without_the_kit(pytester, run_subprocess):
    pytester.makeconftest(SPY_CONFTEST)
    pytester.makepyfile(test_plain=PLAIN_TESTS)
    with_kit = run_subprocess("-v", "-rA")
    spy = json.loads((pytester.path / "spy.json").read_text())
    without_kit = run_subprocess("-v", "-rA", "-p", "no:supersim_conformance")

    with_kit.assert_outcomes(passed=3, failed=1, skipped=1)
    assert with_kit.ret == without_kit.ret == 1
    assert _normalise(with_kit.outlines) == _normalise(without_kit.outlines)
    assert _normalise(with_kit.errlines) == _normalise(without_kit.errlines)
    assert "supersim-conformance" in "\n".join(with_kit.outlines[:6])  # loaded (in the header) ...
    # ... but nothing of it ran: only the plugin and its fixture definitions were imported,
    assert spy["conformance_modules"] == ["conformance", "conformance.fixtures", "conformance.plugin"]
    assert spy["fixture_plugin"] and spy["other_plugins"] == ["supersim_conformance.fixtures"]
    assert not spy["twilio_loaded"]
    assert not [name for name in spy["threads"] if "mock" in name or "Thread-" in name]  # no server, no thread
    assert _files(pytester) == ["conftest.py", "spy.json", "test_plain.py"]  # no reports, no files
