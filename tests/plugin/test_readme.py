"""The README's examples of the plugin are real: its python blocks run as a user's project."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Using the kit in your own tests"


def plugin_section() -> str:
    text = README.read_text(encoding="utf-8")
    assert SECTION in text
    return text.split(SECTION, 1)[1].split("\n## ", 1)[0]


def python_blocks() -> dict[str, str]:
    """Each python block of the section, by the file name its first line (``# name.py``) gives."""
    blocks = {}
    for block in re.findall(r"```python\n(.*?)```", plugin_section(), re.S):
        first = block.splitlines()[0]
        match = re.fullmatch(r"# ([\w.]+\.py)", first.strip())
        assert match, f"a README python block must start with '# <file>.py', not {first!r}"
        assert match.group(1) not in blocks, f"two README blocks are named {match.group(1)}"
        blocks[match.group(1)] = block
    return blocks


def test_the_readme_examples_pass_as_a_users_project(pytester, run_subprocess, read_report):
    blocks = python_blocks()
    assert {"conftest.py", "test_sims.py", "test_documents.py", "test_marked.py"} <= set(blocks)
    for name, code in blocks.items():
        (pytester.path / name).write_text(code, encoding="utf-8")
    result = run_subprocess("-v", "--supersim-report-dir", "reports/")
    tests = sum(len(re.findall(r"^def test_", code, re.M)) for code in blocks.values())
    result.assert_outcomes(passed=tests)
    report = read_report(pytester.path / "reports")
    assert [row["nodeid"] for row in report["results"]] == ["test_marked.py::test_iccid_lookup_finds_one_sim"]


def test_every_option_the_readme_names_exists(pytester, run_inprocess):
    help_text = run_inprocess("--help").stdout.str()
    named = set(re.findall(r"--supersim-[a-z-]+", plugin_section()))
    assert len(named) >= 12
    for option in sorted(named):
        assert re.search(rf"{option}\b", help_text), f"the README names {option}, which the plugin does not offer"


def test_the_readme_lists_every_fixture_of_the_plugin(pytester, run_inprocess):
    listing = run_inprocess("--fixtures").stdout.lines
    names = [
        m.group(1)
        for line in listing
        if (m := re.match(r"^(\w+)( \[\w+ scope\])? -- .*conformance/fixtures\.py", line))
    ]
    assert len(names) == 13, names
    section = plugin_section()
    for name in names:
        assert f"`{name}`" in section, f"the README does not mention the fixture {name}"
