"""``supersim-conformance compare``: one matrix of requirement x target from several runs' reports.

Why: a mock author who wants to show progress, or to set their mock beside the reference mock
and Prism, would otherwise read several report.html side by side. Each column is one run (the
report.json of its report directory), each row one requirement of the catalog (and any
requirement a report names that the catalog no longer holds) with its level and title, each
cell that run's verdict. A requirement a report does not hold at all (a kit of another
version) is ``absent`` there.

**Where the runs disagree.** The full matrix keeps the catalog's order (requirements grouped by
area: easy to look one up) and marks each row whose verdicts are not all the same with ``≠``;
the same rows are listed again, on their own, first, under "Where they differ": the difference
is what a reader comes for. One run alone differs from nothing.

**Counts per run.** Each verdict's count over the rows, and per level "passed of testable":
``MUST 96/96`` means 96 of the 96 MUST requirements a black-box check can judge (every row but
not-testable and absent) passed.

**Links.** A failed or warned cell links to the run's report.html at the failure that broke the
requirement (the first "broken by" of that requirement's row there); a blocked or not-judged
cell to the requirement's row, which names what stopped its checks. Links are relative to the
output directory, and only made when the run's report.html is there.

**Deterministic.** No time, and nothing but what the reports hold and the order the columns
were given in: the same runs give the same files. ``standalone`` also leaves out what changes
from run to run while the target does not (a target's URL, with a mock's random port; a run's
directory, often temporary) and the links, which would dangle where the runs are not kept:
that is how the committed ``reports/prism/compare.*`` is made.

Everything read from a report is escaped, in HTML and in Markdown: a report may hold what a
hostile target answered (a note, a target name), or be written by hand.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from conformance import contract
from conformance.checks import LEVELS
from conformance.report import OUTCOMES, _html_anchors, _html_token

#: The verdicts in the order the counts list them (then any other a report holds, by name).
VERDICTS = (
    "passed",
    "failed",
    "warned",
    "blocked",
    "not-judged",
    "skipped",
    "not-run",
    "not-covered",
    "expected-failure",
    "not-testable",
    "absent",
)
#: What each verdict means, for the legend.
MEANINGS = {
    "passed": "its checks ran and held",
    "failed": "a check found a MUST requirement broken",
    "warned": "a SHOULD or MAY requirement broken (the run does not fail on it)",
    "blocked": "its checks stopped on another requirement's failure first",
    "not-judged": "its checks stopped on an error of the kit itself",
    "skipped": "the target or profile lacked what its checks need",
    "not-run": "its checks were left out of the run's selection",
    "not-covered": "no check of the kit guards it",
    "expected-failure": "failed as the run's --expect-failures said it would",
    "not-testable": "no black-box check can judge it",
    "absent": "the report does not list it (a kit of another version)",
}
#: Verdicts not counted as testable in a level's "passed of testable".
UNTESTED = ("not-testable", "absent")
#: Verdicts whose cell links to the failure that broke the requirement.
BROKEN = ("failed", "warned")
#: Verdicts whose cell links to the requirement's row (which names what stopped its checks).
STOPPED = ("blocked", "not-judged")
MARKDOWN = "compare.md"
HTML = "compare.html"


class CompareError(ValueError):
    """A report directory that cannot be compared: said in one line (the CLI exits 2)."""


@dataclass(frozen=True)
class Run:
    """One column: a run's report, under the name its column shows."""

    name: str
    directory: Path
    report: dict[str, Any]


@dataclass(frozen=True)
class Cell:
    verdict: str
    checks: tuple[str, ...]
    """The checks that broke the requirement (failed, warned), else those that guard it."""
    anchor: str | None
    """Where in the run's report.html the cell points (an id), if anywhere."""


@dataclass(frozen=True)
class Row:
    id: str
    level: str
    title: str
    cells: tuple[Cell, ...]

    @property
    def differs(self) -> bool:
        return len({cell.verdict for cell in self.cells}) > 1


@dataclass(frozen=True)
class Matrix:
    runs: tuple[Run, ...]
    rows: tuple[Row, ...]

    @property
    def differing(self) -> list[Row]:
        return [row for row in self.rows if row.differs]


# --- reading the runs -----------------------------------------------------------------------


def parse_spec(spec: str) -> tuple[str | None, Path]:
    """``NAME=DIR`` (a named column) or ``DIR``; a directory whose own name holds ``=`` stays a DIR."""
    name, sep, rest = spec.partition("=")
    if sep and name and rest and "/" not in name and os.sep not in name and not Path(spec).is_dir():
        return name, Path(rest)
    return None, Path(spec)


def load_runs(specs: Sequence[str]) -> list[Run]:
    """The runs to compare, in the order given, each with a distinct column name.

    An explicit ``NAME=`` is kept as given (two equal ones are an error); a default name (the
    run's target kind, or its target when the kind is only ``url``) gets ``#2``, ``#3`` when
    another column already has it.
    """
    if not specs:
        raise CompareError("give at least one report directory")
    parsed = [parse_spec(spec) for spec in specs]
    explicit = [given for given, _ in parsed if given is not None]
    for twice in explicit:
        if explicit.count(twice) > 1:
            raise CompareError(f"two columns are named {twice!r}: give each NAME=DIR a different NAME")
    taken = set(explicit)
    runs = []
    for given, directory in parsed:
        report = read_report(directory)
        name = given
        if name is None:
            base = name = default_name(report, directory)
            n = 1
            while name in taken:
                n += 1
                name = f"{base} #{n}"
            taken.add(name)
        runs.append(Run(name, directory, report))
    return runs


def default_name(report: Mapping[str, Any], directory: Path) -> str:
    """The run's target kind (``reference-mock``, ``live``, ...), its target where the kind says
    only ``url``, else its directory's name."""
    kind = _text(report.get("target_kind")).strip()
    target = _text(report.get("target")).strip()
    if kind and kind != "url":
        return kind
    return target or kind or directory.name or str(directory)


def read_report(directory: Path) -> dict[str, Any]:
    """A run's report.json, checked to hold what the matrix reads; CompareError in one line if not."""
    if not directory.is_dir():
        raise CompareError(f"{directory}: no such report directory")
    path = directory / "report.json"
    if not path.is_file():
        raise CompareError(
            f"{directory} holds no report.json (give the report directory of a run, e.g. reports/latest)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CompareError(f"cannot read {path}: {error}") from None
    try:
        report = json.loads(text)
    except json.JSONDecodeError as error:
        raise CompareError(
            f"{path} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except (ValueError, RecursionError) as error:
        raise CompareError(f"{path} is not valid JSON: {error}") from None
    problem = _malformed(report)
    if problem:
        raise CompareError(f"{path} is not a supersim-conformance report: {problem}")
    return dict(report)


def _malformed(report: Any) -> str | None:
    """What keeps ``report`` from being read as a report.json (None when it can be)."""
    if not isinstance(report, dict):
        return "not a JSON object"
    cards = report.get("scorecard")
    if not isinstance(cards, list):
        return "no scorecard list"
    for index, card in enumerate(cards):
        if (
            not isinstance(card, dict)
            or not isinstance(card.get("id"), str)
            or not isinstance(card.get("verdict"), str)
        ):
            return f"scorecard[{index}] is not an object with a string id and verdict"
        for key in ("checks", "failed_checks"):
            if not _strings(card.get(key, [])):
                return f"scorecard[{index}].{key} is not a list of strings"
    results = report.get("results", [])
    if not isinstance(results, list):
        return "results is not a list"
    for index, result in enumerate(results):
        if not isinstance(result, dict) or not isinstance(result.get("id"), str):
            return f"results[{index}] is not an object with a string id"
        if not isinstance(result.get("outcome"), str):
            return f"results[{index}] has no string outcome"
        for key in ("requirements", "failed_requirements", "warned_requirements"):
            if not _strings(result.get(key, [])):
                return f"results[{index}].{key} is not a list of strings"
    if not isinstance(report.get("summary", {}), dict):
        return "summary is not an object"
    return None


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# --- the matrix -----------------------------------------------------------------------------


def build_matrix(runs: Sequence[Run], catalog: Iterable[Mapping[str, Any]] | None = None) -> Matrix:
    """Rows: the catalog's requirements (retired ones left out, as the scorecard does) in its
    order, then any other requirement a report names, by ID; a cell per run."""
    entries = [e for e in (contract.load_catalog() if catalog is None else catalog) if not e.get("retired")]
    per_run = [_cells(run.report) for run in runs]
    known = {str(e["id"]): (str(e["level"]), str(e["title"])) for e in entries}
    heads = dict(known)
    for run in runs:
        for card in run.report["scorecard"]:
            heads.setdefault(card["id"], (_text(card.get("level")) or "?", _text(card.get("title"))))
    order = [str(e["id"]) for e in entries] + sorted(set(heads) - set(known))
    absent = Cell("absent", (), None)
    rows = [
        Row(ident, heads[ident][0], heads[ident][1], tuple(cells.get(ident, absent) for cells in per_run))
        for ident in order
    ]
    return Matrix(tuple(runs), tuple(rows))


def _cells(report: Mapping[str, Any]) -> dict[str, Cell]:
    """One run's cell per requirement ID (the first card of an ID, should a report repeat one)."""
    broke = _breaking_anchors(report.get("results", []))
    cells: dict[str, Cell] = {}
    for card in report["scorecard"]:
        ident, verdict = card["id"], card["verdict"]
        if ident in cells:
            continue
        checks = card.get("failed_checks") if verdict in BROKEN else None
        anchor = None
        if verdict in BROKEN:
            anchor = broke.get(ident, f"req-{_html_token(ident)}")
        elif verdict in STOPPED:
            anchor = f"req-{_html_token(ident)}"
        cells[ident] = Cell(verdict, tuple(checks or card.get("checks", [])), anchor)
    return cells


def _breaking_anchors(results: list[dict[str, Any]]) -> dict[str, str]:
    """Per requirement, the anchor in report.html of the first failure or warning that broke it:
    the first "broken by" link of its row there (``render_html`` computes the same)."""
    anchors = _html_anchors(results)
    first: dict[str, str] = {}
    for index, result in enumerate(results):
        if index not in anchors:
            continue
        if result["outcome"] == "failed":
            named = [*result.get("failed_requirements", []), *result.get("warned_requirements", [])]
        elif result["outcome"] == "warned":
            named = result.get("warned_requirements") or result.get("requirements", [])
        else:
            continue
        for requirement in named:
            first.setdefault(requirement, anchors[index][0])
    return first


def verdict_counts(matrix: Matrix, column: int) -> dict[str, int]:
    """How many rows got each verdict in one column."""
    counts: dict[str, int] = {}
    for row in matrix.rows:
        verdict = row.cells[column].verdict
        counts[verdict] = counts.get(verdict, 0) + 1
    return counts


def level_counts(matrix: Matrix, column: int) -> dict[str, tuple[int, int]]:
    """Per level: (passed, testable) in one column; a level with no testable row is left out."""
    counts: dict[str, tuple[int, int]] = {}
    for level in LEVELS:
        cells = [row.cells[column] for row in matrix.rows if row.level == level]
        testable = [cell for cell in cells if cell.verdict not in UNTESTED]
        if testable:
            counts[level] = (sum(1 for cell in testable if cell.verdict == "passed"), len(testable))
    return counts


def level_line(matrix: Matrix, column: int) -> str:
    """``MUST 24/96, SHOULD 1/13, MAY 1/8 passed``."""
    parts = [f"{level} {passed}/{testable}" for level, (passed, testable) in level_counts(matrix, column).items()]
    return (", ".join(parts) + " passed") if parts else "nothing testable"


def used_verdicts(matrix: Matrix) -> list[str]:
    """The verdicts some cell holds, in the order of VERDICTS (unknown ones after, by name)."""
    seen = {cell.verdict for row in matrix.rows for cell in row.cells}
    return [v for v in VERDICTS if v in seen] + sorted(seen - set(VERDICTS))


def checks_line(report: Mapping[str, Any]) -> str:
    """``150 checks: 150 passed`` from a report's summary (its non-zero outcomes)."""
    summary = report.get("summary") or {}
    total = summary.get("total")
    parts = [f"{summary[o]} {o}" for o in OUTCOMES if isinstance(summary.get(o), int) and summary[o]]
    head = f"{total} checks" if isinstance(total, int) else "checks"
    return f"{head}: {', '.join(parts)}" if parts else head


def run_facts(runs: Sequence[Run], out: Path, standalone: bool) -> list[tuple[str, list[str]]]:
    """The rows of the runs table: a label and a value per run (plain text; the renderers escape it).
    A fact no run has (a seed, say) is left out; a run without one shows "—"."""

    def target(report: Mapping[str, Any]) -> str:
        kind = _text(report.get("target_kind")) or "?"
        return kind if standalone else f"{_text(report.get('target')) or '?'} ({kind})"

    columns: list[tuple[str, Callable[[Run], str]]] = [("target", lambda run: target(run.report))]
    if not standalone:
        columns.append(("report", lambda run: _relative(run.directory, out)))
    for label, key in (("suite", "suite"), ("seed", "seed"), ("kit", "version")):
        columns.append((label, lambda run, key=key: _text(run.report.get(key))))  # type: ignore[misc]
    columns.append(("checks", lambda run: checks_line(run.report)))
    rows = [(label, [value(run) or "—" for run in runs]) for label, value in columns]
    return [(label, values) for label, values in rows if any(v != "—" for v in values)]


def _relative(directory: Path, out: Path) -> str:
    """``directory`` as seen from ``out`` (POSIX separators), absolute where no relative path exists."""
    try:
        return Path(os.path.relpath(os.path.abspath(directory), os.path.abspath(out))).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(os.path.abspath(directory)).as_posix()


def report_href(run: Run, out: Path, standalone: bool) -> str | None:
    """The URL of the run's report.html relative to ``out``; None without one (or standalone)."""
    if standalone or not (run.directory / "report.html").is_file():
        return None
    return quote(f"{_relative(run.directory, out)}/report.html", safe="/._-~")


# --- Markdown ----------------------------------------------------------------------------------


def _md(text: str) -> str:
    """A text from a report, safe in a Markdown table cell: one line, no markup, no raw HTML."""
    text = " ".join(str(text).split())
    for char, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = text.replace(char, escaped)
    for char in "\\|`[":
        text = text.replace(char, "\\" + char)
    return text


def _md_cell(cell: Cell, href: str | None) -> str:
    word = f"**{cell.verdict}**" if cell.verdict == "failed" else _md(cell.verdict)
    if href and cell.anchor:
        return f"[{word}]({href}#{cell.anchor})"
    return word


def render_markdown(matrix: Matrix, out: Path, *, standalone: bool = False) -> str:
    """compare.md: the runs and their counts, the rows that differ, then every requirement."""
    runs = matrix.runs
    names = [_md(run.name) for run in runs]
    hrefs = [report_href(run, out, standalone) for run in runs]
    differing = matrix.differing
    out_lines = [
        "# Conformance comparison: " + " vs ".join(names),
        "",
        f"{len(runs)} run(s), {len(matrix.rows)} requirements; {len(differing)} row(s) differ "
        "(marked ≠ in the full matrix, and listed first on their own).",
        "",
        "## Runs",
        "",
        "| | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for label, values in run_facts(runs, out, standalone):
        out_lines.append(f"| {label} | " + " | ".join(_md(value) for value in values) + " |")
    out_lines.append(
        "| **requirements passed** | " + " | ".join(level_line(matrix, i) for i in range(len(runs))) + " |"
    )
    counts = [verdict_counts(matrix, i) for i in range(len(runs))]
    for verdict in used_verdicts(matrix):
        out_lines.append(f"| {_md(verdict)} | " + " | ".join(str(c.get(verdict, 0)) for c in counts) + " |")
    head = "| requirement | level | " + " | ".join(names) + " | title |"
    rule = "|---|---|" + "---|" * len(runs) + "---|"

    def line(row: Row, marker: str | None) -> str:
        cells = " | ".join(_md_cell(cell, href) for cell, href in zip(row.cells, hrefs, strict=True))
        lead = "" if marker is None else f"{marker} | "
        return f"| {lead}{_md(row.id)} | {_md(row.level)} | {cells} | {_md(row.title)} |"

    out_lines += ["", f"## Where they differ ({len(differing)})", ""]
    if differing:
        out_lines += [head, rule, *(line(row, None) for row in differing)]
    else:
        out_lines.append("Every requirement has the same verdict in every run.")
    out_lines += ["", f"## All requirements ({len(matrix.rows)})", "", "| ≠ " + head, "|---" + rule]
    out_lines += [line(row, "≠" if row.differs else "") for row in matrix.rows]
    out_lines += ["", "## Verdicts", ""]
    out_lines += [f"- **{_md(v)}**: {_md(MEANINGS.get(v, 'a verdict of this report'))}" for v in used_verdicts(matrix)]
    if standalone:
        out_lines += ["", "(Written with --standalone: no target URLs, run directories or links to the runs' reports.)"]
    return "\n".join(out_lines) + "\n"


# --- HTML --------------------------------------------------------------------------------------

_CSS = """
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;padding:8px 24px 48px;max-width:1400px;color:#222;background:#fff}
h1{font-size:1.35em;margin:.4em 0 .2em}h2{font-size:1.2em;margin:1.4em 0 .4em;padding-bottom:.2em;border-bottom:2px solid #ddd}
.gist{color:#333;margin:.2em 0 .8em}a{color:#0645ad}
table{border-collapse:collapse;margin:.4em 0}
td,th{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3;position:sticky;top:0;z-index:1}
table.runs th{position:static}table.runs td{min-width:11em}table.runs th.run{text-align:center}
.nw{white-space:nowrap}.num{text-align:right;font-variant-numeric:tabular-nums}
td.v{white-space:nowrap;text-align:center;min-width:7.5em}td.v a{color:inherit;text-decoration:underline dotted}
tr.differs td.id{border-left:5px solid #0645ad}td.mark{text-align:center;font-weight:700;color:#0645ad}
.passed{background:#cdebd0}.failed{background:#f4b4b4;font-weight:600}.warned{background:#fbd9a5}
.blocked{background:#dccbf0}.not-judged{background:#eadcf7}.skipped{background:#f6eab8}
.not-run{background:#eee9d8;color:#555}.not-covered{background:#f1df9a}.expected-failure{background:#d3d9f5}
.not-testable{background:#f4f4f4;color:#888}.absent{background:#fff;color:#999;font-style:italic}
.level-ok{color:#1b5e20;font-weight:600}.level-bad{color:#b71c1c;font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12.5px;color:#333;margin:.6em 0}
.legend span{white-space:nowrap}.legend i{display:inline-block;width:1.8em;height:1.1em;vertical-align:-2px;
border:1px solid #ccc;border-radius:2px;margin-right:5px}
small{color:#555}.note{color:#555;font-size:12.5px}
"""


def _html_cell(cell: Cell, href: str | None, run_name: str) -> str:
    e = html.escape
    tip = f"{run_name}: {cell.verdict}" + (f" ({', '.join(cell.checks)})" if cell.checks else "")
    word = e(cell.verdict)
    if href and cell.anchor:
        word = f"<a href='{e(href)}#{e(cell.anchor)}'>{word}</a>"
    return f"<td class='v {_html_token(cell.verdict)}' title='{e(tip)}'>{word}</td>"


def render_html(matrix: Matrix, out: Path, *, standalone: bool = False) -> str:
    """compare.html: one page, inline CSS, no script; colour per verdict; the differences first."""
    e = html.escape
    runs = matrix.runs
    hrefs = [report_href(run, out, standalone) for run in runs]
    differing = matrix.differing
    names = " vs ".join(run.name for run in runs)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>Conformance comparison: {e(names)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Conformance comparison: {e(names)}</h1>",
        f"<p class='gist'>{len(runs)} run(s) · {len(matrix.rows)} requirements · "
        f"<a href='#differ'><b>{len(differing)}</b> row(s) differ</a> (marked ≠ in "
        "<a href='#all'>the full matrix</a>)</p>",
        "<section id='runs'><table class='runs'><tr><th></th>",
        *(f"<th class='run'>{e(run.name)}</th>" for run in runs),
        "</tr>",
    ]
    for label, values in run_facts(runs, out, standalone):
        cells = []
        for href, text in zip(hrefs, values, strict=True):
            value = e(text)
            if label == "report" and href:
                value = f"<a href='{e(href)}'>{value}</a>"
            cells.append(f"<td><small>{value}</small></td>")
        parts.append(f"<tr><th class='nw'>{e(label)}</th>{''.join(cells)}</tr>")
    levels = []
    for column in range(len(runs)):
        bits = []
        for level, (passed, testable) in level_counts(matrix, column).items():
            cls = "level-ok" if passed == testable else "level-bad"
            bits.append(f"<span class='{cls}'>{e(level)} {passed}/{testable}</span>")
        levels.append(f"<td>{', '.join(bits) or 'nothing testable'}</td>")
    parts.append(f"<tr><th class='nw'>passed of testable</th>{''.join(levels)}</tr>")
    counts = [verdict_counts(matrix, column) for column in range(len(runs))]
    for verdict in used_verdicts(matrix):
        cls = _html_token(verdict)
        row = "".join(f"<td class='num {cls if c.get(verdict) else ''}'>{c.get(verdict, 0)}</td>" for c in counts)
        parts.append(f"<tr><th class='nw'>{e(verdict)}</th>{row}</tr>")
    parts.append("</table></section>")
    parts.append(
        "<div class='legend'>"
        + "".join(
            f"<span><i class='{_html_token(v)}'></i><b>{e(v)}</b> {e(MEANINGS.get(v, ''))}</span>"
            for v in used_verdicts(matrix)
        )
        + "</div>"
    )
    if any(hrefs):
        parts.append(
            "<p class='note'>A failed or warned cell links to the failure in that run's report.html; "
            "a blocked or not-judged one to the requirement's row there. Hover a cell for its checks.</p>"
        )
    elif standalone:
        parts.append(
            "<p class='note'>Written with --standalone: no target URLs, run directories or links to the "
            "runs' reports. Hover a cell for its checks.</p>"
        )

    heads = "".join(f"<th class='nw'>{e(run.name)}</th>" for run in runs)

    def row_html(row: Row, marker: bool) -> str:
        cells = "".join(
            _html_cell(cell, href, run.name) for cell, href, run in zip(row.cells, hrefs, runs, strict=True)
        )
        mark = f"<td class='mark'>{'≠' if row.differs else ''}</td>" if marker else ""
        cls = " class='differs'" if row.differs else ""
        return (
            f"<tr{cls}>{mark}<td class='id nw'>{e(row.id)}</td><td class='nw'>{e(row.level)}</td>{cells}"
            f"<td><small>{e(row.title)}</small></td></tr>"
        )

    parts.append(f"<section id='differ'><h2>Where they differ ({len(differing)})</h2>")
    if differing:
        parts.append(f"<table><tr><th>requirement</th><th>level</th>{heads}<th>title</th></tr>")
        parts += [row_html(row, False) for row in differing]
        parts.append("</table>")
    else:
        parts.append("<p>Every requirement has the same verdict in every run.</p>")
    parts.append("</section>")
    parts.append(f"<section id='all'><h2>All requirements ({len(matrix.rows)})</h2>")
    parts.append(
        f"<table><tr><th title='the runs differ'>≠</th><th>requirement</th><th>level</th>{heads}<th>title</th></tr>"
    )
    parts += [row_html(row, True) for row in matrix.rows]
    parts.append("</table></section></body></html>")
    return "\n".join(parts) + "\n"


# --- writing -----------------------------------------------------------------------------------


def compare(specs: Sequence[str], out: Path, *, standalone: bool = False) -> list[Path]:
    """Read the runs, write compare.md and compare.html to ``out``; return their paths."""
    matrix = build_matrix(load_runs(specs))
    return write_comparison(matrix, out, standalone=standalone)


def write_comparison(matrix: Matrix, out: Path, *, standalone: bool = False) -> list[Path]:
    written = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in (
            (MARKDOWN, render_markdown(matrix, out, standalone=standalone)),
            (HTML, render_html(matrix, out, standalone=standalone)),
        ):
            path = out / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as error:
        raise CompareError(f"cannot write to {out}: {error.strerror or error}") from None
    return written
