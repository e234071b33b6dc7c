"""The same twilio-python scenarios offline: answered from cassettes/ by vcrpy, no server, no socket."""

from __future__ import annotations

import shutil

import pytest
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException

from . import harness
from .scenarios import SCENARIOS


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_replays_offline(no_network, name):
    cassette = harness.replay(SCENARIOS[name])
    assert len(cassette) > 0 and no_network == []


def test_every_scenario_has_a_cassette_and_every_cassette_a_scenario():
    assert sorted(p.stem for p in harness.CASSETTES.glob("*.yaml")) == sorted(SCENARIOS)


def test_a_request_missing_from_the_cassette_fails_instead_of_reaching_the_network(tmp_path, no_network):
    shutil.copy(harness.CASSETTES / "pagination.yaml", tmp_path / "pagination.yaml")
    data = yaml.safe_load((tmp_path / "pagination.yaml").read_text())
    dropped = data["interactions"].pop(1)
    (tmp_path / "pagination.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(CannotOverwriteExistingCassetteException) as info:
        harness.replay(SCENARIOS["pagination"], tmp_path)
    assert dropped["request"]["uri"] in str(info.value)
    assert no_network == []
