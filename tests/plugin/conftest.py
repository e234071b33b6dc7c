"""The pytest plugin tested as a user runs it: temporary projects run by ``pytester``.

``pytester`` is loaded here rather than with ``pytest_plugins = ["pytester"]``: pytest refuses
``pytest_plugins`` in a conftest that is not loaded at startup, and this one is not when the
whole suite runs from the repository root (``testpaths = ["tests"]`` only pre-loads
``tests/conftest.py`` and ``tests/test*/conftest.py``).

Runs that start servers (the mock, the callback receiver) or the suite use
``runpytest_subprocess``: the kit's plugin is already loaded in this process by its entry point,
and a subprocess is what a user runs. Cheap runs (``--help``, ``--fixtures``, markers without
servers) run in-process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


#: Plugins to name explicitly when entry-point autoloading is off (as conformance.run.runner does).
AUTOLOAD_OFF_ARGS = ["-p", "supersim_conformance", "-p", "xdist.plugin", "-p", "schemathesis.pytest.plugin"]


def base_args() -> list[str]:
    args = ["-p", "no:cacheprovider"]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += AUTOLOAD_OFF_ARGS
    return args


@pytest.fixture
def run_subprocess(pytester: pytest.Pytester) -> Callable[..., pytest.RunResult]:
    """``run_subprocess(*args)``: pytest in a fresh interpreter in the temporary project."""

    def run(*args: str, timeout: float = 240) -> pytest.RunResult:
        return pytester.runpytest_subprocess(*base_args(), *args, timeout=timeout)

    return run


@pytest.fixture
def run_inprocess(pytester: pytest.Pytester) -> Callable[..., pytest.RunResult]:
    """``run_inprocess(*args)``: pytest in this process (only for runs that start no server)."""

    def run(*args: str) -> pytest.RunResult:
        return pytester.runpytest_inprocess(*base_args(), *args)

    return run


def _read_report(folder: Path) -> dict[str, Any]:
    for name in ("report.json", "junit.xml", "report.md", "report.html"):
        assert (folder / name).is_file(), f"{name} missing in {folder}"
    return json.loads((folder / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def read_report() -> Callable[[Path], dict[str, Any]]:
    """``read_report(folder)``: report.json of a run, after checking all four report files exist."""
    return _read_report
