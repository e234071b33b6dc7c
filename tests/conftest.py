"""The kit's own test session: at its end, the mutation score of the zoo (``tests/test_zoo.py``)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # the controller (or a session without xdist) picks the folder the zoo's shards write their
    # verdicts to; xdist's workers are started later and inherit it through the environment
    if not hasattr(config, "workerinput") and "SUPERSIM_ZOO_DIR" not in os.environ:
        os.environ["SUPERSIM_ZOO_DIR"] = tempfile.mkdtemp(prefix="supersim-zoo-")


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    folder = os.environ.get("SUPERSIM_ZOO_DIR")
    if hasattr(config, "workerinput") or not folder or not Path(folder).is_dir():
        return
    verdicts = []
    for path in sorted(Path(folder).glob("shard-*.json")):
        verdicts += json.loads(path.read_text(encoding="utf-8"))["faults"]
    if not verdicts:
        return
    from tests.mutation_score import score_table

    terminalreporter.section("mutation score (tests/test_zoo.py)")
    terminalreporter.write(score_table(sorted(verdicts, key=lambda v: v["fault"])))
