"""Benign variations: a correct server that differs harmlessly from Twilio must pass the whole suite.

The zoo (test_zoo.py) proves that every planted fault is caught; this is its mirror image and
proves that the kit raises no false alarm on what the documentation allows. Each variation is
first shown to be in effect (so a variation that did nothing could not pass vacuously), then
the full suite runs against the mock with it, as a user would run it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import conformance.mock
from conformance.mock import start_mock
from conformance.mock.variations import BENIGN, VARIATIONS, UnknownVariationError, validate_variations

MOCK_DIR = Path(conformance.mock.__file__).parent


def _fetch_and_list(variations: tuple[str, ...]) -> tuple[str, str]:
    """The raw bodies of one fetch and one list page (key order matters here, so not parsed)."""
    with start_mock(variations=variations, async_delay=0.05) as mock:
        auth = mock.credentials()
        sim = mock.profile.sims[0].sid
        with httpx.Client(base_url=mock.base_url, auth=auth, trust_env=False, timeout=10) as client:
            return client.get(f"/v1/Sims/{sim}").text, client.get("/v1/Sims", params={"PageSize": 2}).text


def test_each_variation_is_in_effect():
    plain_sim, plain_page = _fetch_and_list(())
    sim, page = _fetch_and_list(("dates-zero-offset",))
    assert json.loads(plain_sim)["date_created"].endswith("Z")
    assert json.loads(sim)["date_created"].endswith("+00:00") and json.loads(sim)["date_updated"].endswith("+00:00")
    sim, page = _fetch_and_list(("extra-properties",))
    assert set(json.loads(sim)) > set(json.loads(plain_sim))
    assert set(json.loads(page)["meta"]) > set(json.loads(plain_page)["meta"])
    sim, page = _fetch_and_list(("reordered-keys",))
    assert list(json.loads(sim)) == list(reversed(list(json.loads(plain_sim))))
    assert list(json.loads(page)) == ["sims", "meta"] and list(json.loads(plain_page)) == ["meta", "sims"]


def test_every_variation_has_an_effect_test_and_names_where_it_acts():
    assert set(VARIATIONS) == {"dates-zero-offset", "extra-properties", "reordered-keys"}, (
        "a new variation needs its effect asserted in test_each_variation_is_in_effect"
    )
    for variation in BENIGN:
        assert variation.description and variation.why_correct
        for module in variation.acts_in:
            assert f'"{variation.name}"' in (MOCK_DIR / f"{module}.py").read_text(), (variation.name, module)


def test_an_unknown_variation_is_refused_with_the_known_ones():
    with pytest.raises(UnknownVariationError, match="known variations: dates-zero-offset"):
        validate_variations(["dates-plus-one"])


@pytest.mark.parametrize("variation", sorted(VARIATIONS))
def test_the_whole_suite_passes_against_a_benign_variation(tmp_path, variation):
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--variation", variation, "--no-progress",
         "--report-dir", str(tmp_path / "report")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    failing = [(r["id"], r["message"][:300]) for r in report["results"] if r["outcome"] in ("failed", "errored")]
    assert result.returncode == 0 and not failing, (failing, result.stderr[-2000:])
    assert f"with benign variations: {variation}" in report["target_kind"]
