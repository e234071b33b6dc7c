"""An error of the kit itself is never reported as the target's failure.

A suite check that raises anything but a Violation (a bug of the kit, of Schemathesis or of
Hypothesis) is ``errored``: its message says it is the kit's error, its requirements are "not
judged" in the scorecard, and a run with no real failure exits 4, not 1.
"""

from __future__ import annotations

import json
import sys
import textwrap

from conformance import EXIT_KIT_ERROR
from conformance.plugin import RunConfig
from conformance.run import target
from conformance.run.runner import run

PLANTED_BUG = """
import conformance.run.target as target

def pytest_configure(config):
    original = target.TargetClient.get

    def broken(self, url, *args, **kwargs):
        if url == "/v1/Sims" and not kwargs.get("params") and not args:
            raise RuntimeError("planted kit bug")
        return original(self, url, *args, **kwargs)

    target.TargetClient.get = broken
"""


def test_a_kit_error_is_errored_not_judged_and_exit_4(tmp_path, monkeypatch, capsys):
    (tmp_path / "planted_kit_bug.py").write_text(textwrap.dedent(PLANTED_BUG))
    monkeypatch.syspath_prepend(str(tmp_path))
    # the planted plugin replaces TargetClient.get in this process: put it back afterwards
    monkeypatch.setattr(target.TargetClient, "get", target.TargetClient.get)
    report_dir = tmp_path / "report"
    config = RunConfig(keyword="test_plain_list", report_dir=str(report_dir), no_progress=True, workers=1,
                       extra_pytest_args=["-p", "planted_kit_bug"])  # fmt: skip
    try:
        code = run(config)
    finally:
        sys.modules.pop("planted_kit_bug", None)
    report = json.loads((report_dir / "report.json").read_text())
    [result] = [r for r in report["results"] if r["id"] == "SCN-LIST-DEFAULT"]
    assert code == EXIT_KIT_ERROR, capsys.readouterr()
    assert result["outcome"] == "errored" and result["failed_requirements"] == []
    assert "kit error: RuntimeError: planted kit bug" in result["message"]
    assert "not a failure of the target" in result["message"]
    verdicts = {card["id"]: card["verdict"] for card in report["scorecard"]}
    assert all(verdicts[requirement] == "not-judged" for requirement in result["requirements"]), verdicts
    assert "could not be judged because of an error of the kit" in capsys.readouterr().err
