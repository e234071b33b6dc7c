"""The wheel carries the schemas: a kit installed from it, run from elsewhere, finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_schemas_and_works_from_another_directory(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("supersim_conformance-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for schema in ("openapi.yaml", "sim.schema.json", "requirements.yaml", "common.schema.json"):
        assert f"conformance/_schemas/{schema}" in names

    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "import conformance.contract as c, json;"
        "print(c.schemas_dir());"
        "print(len(c.load_catalog()));"
        "print(c.validate('sim', {}) != [])"
    )
    # Only the installed copy is importable: the repo is not on the path from here.
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); {probe}"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    schemas_dir, count, invalid = result.stdout.split()
    assert schemas_dir == str(target / "conformance" / "_schemas")
    assert int(count) > 40 and invalid == "True"
