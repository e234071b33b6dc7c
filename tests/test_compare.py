"""`supersim-conformance compare` and badge.svg: small report directories written by hand (or by
write_reports), the matrix read back cell by cell, the escaping, the links and the usage errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance import contract
from conformance.cli import main
from conformance.report import Result, RunInfo, write_reports
from conformance.report.badge import must_counts, render_badge, render_report_badge
from conformance.report.compare import (
    CompareError,
    build_matrix,
    level_line,
    load_runs,
    parse_spec,
    render_html,
    render_markdown,
    verdict_counts,
)

#: A catalog of four requirements, so a matrix can be read row by row.
CATALOG = [
    {"id": "SIM-PROP-001", "level": "MUST", "title": "sid matches the pattern"},
    {"id": "SIM-PROP-002", "level": "MUST", "title": "the second MUST"},
    {"id": "SIM-ERR-006", "level": "SHOULD", "title": "429 with Retry-After"},
    {"id": "SIM-AUTH-009", "level": "MUST", "title": "not black-box testable"},
]


def card(ident: str, verdict: str, level: str = "MUST", **extra: Any) -> dict[str, Any]:
    return {"id": ident, "level": level, "title": f"title of {ident}", "verdict": verdict, "checks": [], **extra}


def write_run(directory: Path, cards: list[dict[str, Any]], **fields: Any) -> Path:
    """A report directory holding a hand-written report.json."""
    directory.mkdir(parents=True)
    report = {
        "target": "http://127.0.0.1:1234",
        "target_kind": "reference-mock",
        "suite": "full",
        "seed": 1,
        "start_time": "2026-12-01T15:00:00Z",
        "duration": 4321.5,
        "summary": {"total": 3, "passed": 2, "failed": 1},
        "results": [],
        "scorecard": cards,
        **fields,
    }
    (directory / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return directory


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    good = write_run(
        tmp_path / "good",
        [
            card("SIM-PROP-001", "passed"),
            card("SIM-PROP-002", "passed"),
            card("SIM-ERR-006", "passed", "SHOULD"),
            card("SIM-AUTH-009", "not-testable"),
        ],
    )
    bad = write_run(
        tmp_path / "bad",
        [
            card("SIM-PROP-001", "passed"),
            card("SIM-PROP-002", "failed", failed_checks=["RESP-SIM-SCHEMA"]),
            card("SIM-ERR-006", "warned", "SHOULD", failed_checks=["RESP-RATE-LIMIT"]),
            card("SIM-AUTH-009", "not-testable"),
        ],
        target="http://127.0.0.1:9999",
        target_kind="url",
    )
    return good, bad


def test_cells_counts_and_the_level_split(two_runs):
    good, bad = two_runs
    matrix = build_matrix(load_runs([f"good={good}", f"bad={bad}"]), CATALOG)
    cells = {row.id: [cell.verdict for cell in row.cells] for row in matrix.rows}
    assert cells == {
        "SIM-PROP-001": ["passed", "passed"],
        "SIM-PROP-002": ["passed", "failed"],
        "SIM-ERR-006": ["passed", "warned"],
        "SIM-AUTH-009": ["not-testable", "not-testable"],
    }
    assert verdict_counts(matrix, 0) == {"passed": 3, "not-testable": 1}
    assert verdict_counts(matrix, 1) == {"passed": 1, "failed": 1, "warned": 1, "not-testable": 1}
    # not-testable rows are not counted as testable
    assert level_line(matrix, 0) == "MUST 2/2, SHOULD 1/1 passed"
    assert level_line(matrix, 1) == "MUST 1/2, SHOULD 0/1 passed"
    assert [row.id for row in matrix.differing] == ["SIM-PROP-002", "SIM-ERR-006"]
    failed = next(row for row in matrix.rows if row.id == "SIM-PROP-002").cells[1]
    assert failed.checks == ("RESP-SIM-SCHEMA",)


def test_markdown_marks_and_lists_first_the_rows_that_differ(two_runs, tmp_path):
    good, bad = two_runs
    matrix = build_matrix(load_runs([f"good={good}", f"bad={bad}"]), CATALOG)
    text = render_markdown(matrix, tmp_path / "out")
    differ, full = text.split("## All requirements")
    differ = differ.split("## Where they differ (2)")[1]
    assert "| SIM-PROP-002 | MUST | passed | **failed** |" in differ
    assert "| SIM-ERR-006 | SHOULD | passed | warned |" in differ
    assert "SIM-PROP-001" not in differ  # the same verdict in both
    assert "| ≠ | SIM-PROP-002 |" in full and "|  | SIM-PROP-001 |" in full
    assert "| **requirements passed** | MUST 2/2, SHOULD 1/1 passed | MUST 1/2, SHOULD 0/1 passed |" in text
    assert "| failed | 0 | 1 |" in text and "| warned | 0 | 1 |" in text
    assert "2 row(s) differ" in text


def test_one_run_alone_differs_from_nothing(two_runs, tmp_path):
    good, _ = two_runs
    matrix = build_matrix(load_runs([str(good)]), CATALOG)
    assert not matrix.differing
    assert "Every requirement has the same verdict in every run." in render_markdown(matrix, tmp_path)


def test_rows_are_the_catalog_and_what_a_report_adds(tmp_path):
    run = write_run(tmp_path / "a", [card("SIM-PROP-001", "passed"), card("SIM-ZZZ-999", "failed", title="gone")])
    matrix = build_matrix(load_runs([str(run)]))
    ids = [row.id for row in matrix.rows]
    catalog = [e["id"] for e in contract.load_catalog() if not e.get("retired")]
    assert ids == [*catalog, "SIM-ZZZ-999"]
    by_id = {row.id: row for row in matrix.rows}
    assert by_id["SIM-ZZZ-999"].title == "gone" and by_id["SIM-ZZZ-999"].cells[0].verdict == "failed"
    assert by_id["SIM-PROP-002"].cells[0].verdict == "absent"  # the report does not list it
    assert by_id["SIM-PROP-001"].title == next(e["title"] for e in contract.load_catalog() if e["id"] == "SIM-PROP-001")


def test_default_names_are_the_kind_or_target_and_distinct(tmp_path):
    a = write_run(tmp_path / "a", [card("SIM-PROP-001", "passed")])
    b = write_run(tmp_path / "b", [card("SIM-PROP-001", "failed")])
    c = write_run(
        tmp_path / "c", [card("SIM-PROP-001", "passed")], target="http://example.test:8080", target_kind="url"
    )
    assert [run.name for run in load_runs([str(a), str(b), str(c)])] == [
        "reference-mock",
        "reference-mock #2",
        "http://example.test:8080",
    ]
    # an explicit name is kept; a default that collides with it is numbered
    assert [run.name for run in load_runs([str(a), f"reference-mock={b}"])] == ["reference-mock #2", "reference-mock"]
    with pytest.raises(CompareError, match="two columns are named 'x'"):
        load_runs([f"x={a}", f"x={b}"])


def test_a_directory_whose_name_holds_an_equals_sign_is_a_directory(tmp_path):
    odd = write_run(tmp_path / "a=b", [card("SIM-PROP-001", "passed")])
    assert parse_spec(str(odd)) == (None, odd)
    assert parse_spec("mock=reports/latest") == ("mock", Path("reports/latest"))


HOSTILE = "<script>alert(1)</script>"


def test_html_and_markdown_escape_what_a_report_holds(tmp_path):
    run = write_run(
        tmp_path / "evil",
        [card("SIM-PROP-001", "passed"), card("SIM-EVIL-001", "failed", title=f"{HOSTILE}|x", level="<b>MUST</b>")],
        target=f"http://evil.test/{HOSTILE}",
        target_kind=HOSTILE,
        suite="<img src=x onerror=alert(1)>",
    )
    matrix = build_matrix(load_runs([str(run), f"<b>me<b>={run}"]), CATALOG)
    page = render_html(matrix, tmp_path / "out")
    assert "<script>" not in page and "<img" not in page and "<b>me" not in page and "<b>MUST" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;me&lt;b&gt;" in page
    markdown = render_markdown(matrix, tmp_path / "out")
    assert "<script>" not in markdown and "<img" not in markdown and "<b>me" not in markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\|x |" in markdown  # a | cannot break the table either


def _failing_run(directory: Path) -> Path:
    """A run written by write_reports: a failure of SIM-PROP-001, a warning of SIM-ERR-006."""
    info = RunInfo(target="http://127.0.0.1:1", target_kind="reference-mock", suite="full", started_at="now", seed=1)
    results = [
        Result("RESP-JSON", "json", ["SIM-REQ-002"], "passed"),
        Result("RESP-SIM-SCHEMA", "schema", ["SIM-PROP-001"], "passed"),
        Result("RESP-SIM-SCHEMA", "schema", ["SIM-PROP-001"], "failed", "boom", failed_requirements=["SIM-PROP-001"]),
        Result(
            "RESP-RATE-LIMIT",
            "429",
            ["SIM-ERR-006"],
            "warned",
            "slow",
            level="SHOULD",
            warned_requirements=["SIM-ERR-006"],
        ),
    ]
    write_reports(directory, info, results)
    return directory


def test_failed_and_warned_cells_link_to_the_failure_in_the_runs_report(tmp_path):
    run = _failing_run(tmp_path / "runs" / "mine")
    out = tmp_path / "out"
    matrix = build_matrix(load_runs([str(run)]))
    page = render_html(matrix, out)
    report_html = (run / "report.html").read_text(encoding="utf-8")
    links = {verdict: href for href, verdict in re.findall(r"<a href='([^'#]+#[^']+)'>(failed|warned)</a>", page)}
    assert links == {
        "failed": "../runs/mine/report.html#result-RESP-SIM-SCHEMA",
        "warned": "../runs/mine/report.html#result-RESP-RATE-LIMIT",
    }
    for href in links.values():
        path, anchor = href.split("#")
        assert (out / path).resolve() == (run / "report.html").resolve()
        assert f"id='{anchor}'" in report_html  # the anchor exists in the run's report
    assert "[**failed**](../runs/mine/report.html#result-RESP-SIM-SCHEMA)" in render_markdown(matrix, out)
    # standalone: no link, no target URL, no run directory
    alone = render_html(matrix, out, standalone=True) + render_markdown(matrix, out, standalone=True)
    assert "report.html#" not in alone and "127.0.0.1" not in alone and "runs/mine" not in alone


def test_no_link_without_the_runs_report_html(two_runs, tmp_path):
    good, bad = two_runs  # hand-written: report.json only
    page = render_html(build_matrix(load_runs([str(good), str(bad)]), CATALOG), tmp_path / "out")
    assert "<a href='" not in page.split("<section id='differ'>")[1]


def test_output_is_deterministic_and_holds_no_time(two_runs, tmp_path):
    good, bad = two_runs
    first = main(["compare", str(good), str(bad), "--out", str(tmp_path / "one")])
    (good / "report.json").write_text(
        (good / "report.json")
        .read_text()
        .replace("2026-12-01T15:00:00Z", "2027-01-01T00:00:00Z")
        .replace("4321.5", "99")
    )
    second = main(["compare", str(good), str(bad), "--out", str(tmp_path / "two")])
    assert first == second == 0
    for name in ("compare.md", "compare.html"):
        text = (tmp_path / "one" / name).read_text()
        assert text == (tmp_path / "two" / name).read_text()
        assert "2026-12-01" not in text and "4321" not in text


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "no such report directory"),
        (lambda d: d.mkdir(), "holds no report.json"),
        (lambda d: (d.mkdir(), (d / "report.json").write_text("{not json")), "is not valid JSON"),
        (lambda d: (d.mkdir(), (d / "report.json").write_bytes(b"\xff\xfe\x00")), "cannot read"),
        (lambda d: (d.mkdir(), (d / "report.json").write_text("[1, 2]")), "not a JSON object"),
        (lambda d: (d.mkdir(), (d / "report.json").write_text('{"scorecard": [{"id": 1}]}')), "scorecard[0]"),
        (lambda d: (d.mkdir(), (d / "report.json").write_text('{"scorecard": [], "results": [7]}')), "results[0]"),
    ],
    ids=["missing", "no-report", "malformed", "undecodable", "not-an-object", "bad-card", "bad-result"],
)
def test_a_bad_report_directory_is_a_usage_error(tmp_path, capsys, setup, message, two_runs):
    good, _ = two_runs
    bad = tmp_path / "broken"
    setup(bad)
    assert main(["compare", str(good), str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: supersim-conformance compare")
    assert "supersim-conformance compare: error: " in err and message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_no_report_directory_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["compare"])
    assert stopped.value.code == 2
    assert "usage: supersim-conformance compare" in capsys.readouterr().err


def test_compare_end_to_end(two_runs, tmp_path):
    good, bad = two_runs
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "compare", f"mock={good}", str(bad), "--out", "o"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["wrote o/compare.md", "wrote o/compare.html"]
    page = (tmp_path / "o" / "compare.html").read_text()
    assert "<script" not in page
    assert "<th class='run'>mock</th>" in page and "<th class='run'>http://127.0.0.1:9999</th>" in page
    assert "<td class='v failed' title='http://127.0.0.1:9999: failed (RESP-SIM-SCHEMA)'>failed</td>" in page


# --- badge.svg ---------------------------------------------------------------------------------


def _badge(cards: list[dict[str, Any]]) -> tuple[str, ET.Element]:
    svg = render_report_badge({"scorecard": cards})
    return svg, ET.fromstring(svg)


def test_badge_of_a_run_that_passed_every_judged_must():
    svg, root = _badge(
        [card("A", "passed"), card("B", "passed"), card("C", "not-testable"), card("D", "failed", "SHOULD")]
    )
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["conformance", "conformance", "2/2 MUST", "2/2 MUST"]
    assert 'fill="#4c1"' in svg


def test_badge_of_a_failing_run_counts_only_what_was_judged():
    cards = [card("A", "passed"), card("B", "failed"), card("C", "blocked"), card("D", "skipped"), card("E", "not-run")]
    assert must_counts(cards) == (1, 2)
    svg, root = _badge(cards)
    assert "1/2 MUST" in [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert 'fill="#e05d44"' in svg and "1 MUST requirement(s) failed" in svg


def test_badge_of_a_run_that_judged_nothing_is_grey():
    svg, _ = _badge([card("A", "skipped"), card("B", "not-run"), card("C", "passed", "SHOULD")])
    assert "0/0 MUST" in svg and 'fill="#9f9f9f"' in svg and "#4c1" not in svg


def test_badge_escapes_its_texts_and_refuses_a_colour_that_is_not_one():
    svg = render_badge("<x>", "a&b", 'red"/><script>')
    root = ET.fromstring(svg)  # well-formed
    assert "<script>" not in svg and "&lt;x&gt;" in svg and "a&amp;b" in svg and 'fill="#9f9f9f"' in svg
    assert root.get("width") and int(root.get("width")) > 20


def test_write_reports_writes_the_badge(tmp_path):
    written = write_reports(tmp_path, RunInfo("t", "reference-mock", "full", "now"), [])
    assert written["badge"] == tmp_path / "badge.svg"
    assert "0/0 MUST" in (tmp_path / "badge.svg").read_text()
    run = _failing_run(tmp_path / "failing")
    badge = (run / "badge.svg").read_text()
    assert "1/2 MUST" in badge and 'fill="#e05d44"' in badge  # SIM-REQ-002 passed, SIM-PROP-001 failed
