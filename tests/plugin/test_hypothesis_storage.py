"""A conformance run keeps Hypothesis' storage (``.hypothesis/``) out of the user's current directory.

The generated phase runs on Hypothesis, which writes its caches to ``./.hypothesis`` by default;
``conformance.run.session.prepare_run`` (shared by ``run`` and ``--supersim-conformance``) points it
at a temporary directory instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import configuration

from conformance.run.session import HYPOTHESIS_STORAGE, hypothesis_home_outside_cwd

#: A small selection of the suite that runs Hypothesis (the generated phase, one operation).
GENERATED = "generated and FetchSim"


@pytest.fixture
def fresh_hypothesis_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A process whose Hypothesis home is not resolved yet, in an empty current directory."""
    monkeypatch.delenv(HYPOTHESIS_STORAGE, raising=False)
    monkeypatch.setattr(configuration, "__hypothesis_home_directory", None)
    monkeypatch.setattr(configuration, "__hypothesis_home_directory_default", tmp_path / ".hypothesis")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_home_is_a_temporary_directory_for_the_run_and_restored_after(fresh_hypothesis_home):
    with ExitStack() as stack:
        home = hypothesis_home_outside_cwd(stack)
        assert home is not None and home.is_dir() and not home.is_relative_to(fresh_hypothesis_home)
        assert os.environ[HYPOTHESIS_STORAGE] == str(home)  # for the pytest-xdist workers
        storage = configuration.storage_directory("constants")
        assert storage.path == home / "constants"  # what Hypothesis itself uses, in this process
        storage.create_if_missing()
    assert not home.exists()
    assert HYPOTHESIS_STORAGE not in os.environ
    assert configuration.storage_directory("x", intent_to_write=False).path == Path.cwd() / ".hypothesis" / "x"
    assert not (fresh_hypothesis_home / ".hypothesis").exists()


def test_a_storage_the_user_chose_is_left_alone(fresh_hypothesis_home, monkeypatch):
    monkeypatch.setenv(HYPOTHESIS_STORAGE, str(fresh_hypothesis_home / "mine"))
    with ExitStack() as stack:
        assert hypothesis_home_outside_cwd(stack) is None
    monkeypatch.delenv(HYPOTHESIS_STORAGE)
    monkeypatch.setattr(configuration, "__hypothesis_home_directory", fresh_hypothesis_home / "set-in-code")
    with ExitStack() as stack:
        assert hypothesis_home_outside_cwd(stack) is None


def test_a_pytest_session_keeps_using_an_existing_hypothesis_directory(fresh_hypothesis_home):
    """A session's own Hypothesis tests keep their example database; nothing new appears in the directory."""
    (fresh_hypothesis_home / ".hypothesis").mkdir()
    with ExitStack() as stack:
        assert hypothesis_home_outside_cwd(stack, side="pytest") is None
        assert hypothesis_home_outside_cwd(stack, side="cli") is not None  # the CLI's process is its own


def test_run_leaves_no_hypothesis_directory_in_the_current_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != HYPOTHESIS_STORAGE}
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "-k", GENERATED, "--max-examples", "3", "--workers", "2"]
        + ["--no-progress", "--report-dir", "reports"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["reports"]


def test_a_conformance_session_leaves_no_hypothesis_directory(pytester, run_subprocess, monkeypatch):
    monkeypatch.delenv(HYPOTHESIS_STORAGE, raising=False)
    pytester.makepyfile(test_user="def test_user():\n    pass\n")
    result = run_subprocess("--supersim-conformance", "-k", f"{GENERATED} or test_user", "--supersim-max-examples", "3")
    result.assert_outcomes(passed=5)
    assert not (pytester.path / ".hypothesis").exists()
