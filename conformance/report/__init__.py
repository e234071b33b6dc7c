"""Run reports: report.json, junit.xml, report.md and a single-file report.html.

A report is built from a list of ``Result`` rows (one per check run) and the requirement
catalog, so every row says which documented requirement it guards, and the scorecard says,
requirement by requirement, what holds. Every file is scrubbed of the run's secrets before it
is written: a token can never reach a report even if a target echoes it back.
"""

from __future__ import annotations

import html
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance import __version__, contract

OUTCOMES = ("passed", "failed", "errored", "warned", "skipped", "xfailed", "fixed")
#: Outcomes that make a run fail (exit code 1).
FAILING = ("failed", "errored")


@dataclass
class Result:
    """One check run: what it guards and how it ended."""

    id: str
    title: str
    requirements: list[str]
    outcome: str
    message: str = ""
    nodeid: str = ""
    duration: float = 0.0
    violation: dict[str, Any] | None = None
    """The structured failure (check, expected, received, exchange with a curl command)."""
    failed_requirements: list[str] = field(default_factory=list)
    """For a failure: the MUST requirements the violations broke (those of the violation, when a
    response check tripped inside a scenario); the scenario's other requirements were not reached."""
    level: str = "MUST"
    """The level of what it found (a failure or warning), else of its check: MUST, SHOULD or MAY."""
    warned_requirements: list[str] = field(default_factory=list)
    """The SHOULD or MAY requirements its violations broke (a warning: the run does not fail on it)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunInfo:
    target: str
    target_kind: str
    suite: str
    started_at: str
    duration: float = 0.0
    profile: str | None = None
    seed: int | None = None
    notes: list[str] = field(default_factory=list)
    strict: bool = False
    """SHOULD and MAY violations failed the run too (``--strict``)."""
    not_restored: list[str] = field(default_factory=list)
    """What a full run changed on a target that outlives it and could not put back (one note says how many)."""

    def add_restore_notes(self, notes: list[str]) -> None:
        """Record what could not be put back: nothing for the throw-away embedded mock (its state
        goes with it), else the list in report.json's ``not_restored`` and one summarising note."""
        if not notes or self.target_kind.startswith("reference-mock"):
            return
        self.not_restored.extend(notes)
        self.notes.append(
            f"{len(notes)} change(s) the run made could not be put back on the target (the API cannot "
            "return a Sim to an earlier status, for one): each is listed under not_restored in report.json"
        )


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def summarize(results: Iterable[Result]) -> dict[str, int]:
    counts = {name: 0 for name in OUTCOMES}
    total = 0
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        total += 1
    return {"total": total, **counts}


#: How the reports order requirement verdicts: what needs attention first.
VERDICT_RANK = {
    "failed": 0,
    "warned": 1,
    "not-judged": 1,
    "blocked": 1,
    "not-covered": 2,
    "skipped": 3,
    "not-run": 4,
    "expected-failure": 5,
    "passed": 6,
    "not-testable": 7,
}


def _worst_first(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(cards, key=lambda c: (VERDICT_RANK.get(c["verdict"], 9), c["id"]))


def scorecard(results: list[Result]) -> list[dict[str, Any]]:
    """Per requirement: its checks and a verdict.

    failed (a check that guards it failed), passed (at least one passed, none failed),
    not-judged (its checks stopped on an error of the kit itself: nothing was judged),
    blocked (its checks stopped on another requirement's failure before reaching it),
    expected-failure, skipped (every check was skipped), not-covered (testable, but no check
    ran), not-testable.
    """
    from conformance.checks import load_all

    guarded = {r for check in load_all().values() for r in check.requirements}
    by_requirement: dict[str, list[Result]] = {}
    for result in results:
        for requirement in result.requirements:
            by_requirement.setdefault(requirement, []).append(result)
    rows = []
    for entry in contract.load_catalog():
        if entry.get("retired"):
            continue
        runs = by_requirement.get(entry["id"], [])
        failing = [r for r in runs if r.outcome in FAILING]
        # only a failed check breaks a requirement; an errored one (the kit's error) judged nothing
        broken = [r for r in runs if r.outcome == "failed" and entry["id"] in r.failed_requirements]
        warned = [r for r in runs if r.outcome in ("warned", "failed") and entry["id"] in r.warned_requirements]
        # a warned check judged everything else it guards, and that held: a pass for those
        outcomes = {"passed" if r.outcome == "warned" and r not in warned else r.outcome for r in runs}
        if broken:
            verdict = "failed"
        elif warned:
            verdict = "warned"  # a SHOULD or MAY requirement broken: reported, the run does not fail
        elif "passed" in outcomes or "fixed" in outcomes:
            verdict = "passed"
        elif "errored" in outcomes and all(r.outcome in ("errored", "skipped") for r in runs):
            verdict = "not-judged"  # its checks stopped on an error of the kit, not of the target
        elif failing:
            verdict = "blocked"
        elif "xfailed" in outcomes:
            verdict = "expected-failure"
        elif runs:
            verdict = "skipped"
        elif not entry.get("testable", True):
            verdict = "not-testable"
        elif entry["id"] in guarded:
            verdict = "not-run"  # its checks exist but were not selected (-k) in this run
        else:
            verdict = "not-covered"
        rows.append(
            {
                "id": entry["id"],
                "level": entry["level"],
                "title": entry["title"],
                "verdict": verdict,
                "checks": sorted({r.id for r in runs}),
                "failed_checks": sorted(
                    {check for r in (broken or warned) for check in _checks_breaking(r, entry["id"])}
                ),
                "reason": entry.get("untestable_reason") if verdict == "not-testable" else None,
            }
        )
    return rows


def _checks_breaking(result: Result, requirement: str) -> list[str]:
    """The checks of a failed result (its violation and those seen with it) that guard ``requirement``."""
    violation = result.violation
    if not violation:
        return [result.id]
    found = [v["check"] for v in [violation, *violation.get("also", [])] if requirement in v["requirements"]]
    return found or [result.id]


def build_report(info: RunInfo, results: list[Result]) -> dict[str, Any]:
    """The content of report.json."""
    cards = scorecard(results)
    verdicts: dict[str, int] = {}
    for card in cards:
        verdicts[card["verdict"]] = verdicts.get(card["verdict"], 0) + 1
    return {
        "tool": "supersim-conformance",
        "version": __version__,
        "target": info.target,
        "target_kind": info.target_kind,
        "profile": info.profile,
        "suite": info.suite,
        "seed": info.seed,
        "start_time": info.started_at,
        "duration": round(info.duration, 3),
        "summary": summarize(results),
        "warnings": sum(1 for r in results if r.outcome == "warned"),
        "strict": info.strict,
        "requirements_summary": verdicts,
        "notes": info.notes,
        "not_restored": info.not_restored,
        "results": [r.to_dict() for r in _ordered(results)],
        "scorecard": cards,
    }


def _ordered(results: Iterable[Result]) -> list[Result]:
    """Failures first, then the rest, each group by check ID."""
    rank = {"failed": 0, "errored": 0, "warned": 1, "fixed": 1, "xfailed": 2, "skipped": 3, "passed": 4}
    return sorted(results, key=lambda r: (rank.get(r.outcome, 5), r.id, r.nodeid))


def write_reports(
    report_dir: Path, info: RunInfo, results: list[Result], secrets: Iterable[str] = ()
) -> dict[str, Path]:
    """Write the four report files and badge.svg; return their paths. Secrets are replaced everywhere."""
    from conformance.report.badge import render_report_badge

    report_dir.mkdir(parents=True, exist_ok=True)
    report = build_report(info, results)
    scrub = _scrubber(secrets)
    files = {
        "json": ("report.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n"),
        "junit": ("junit.xml", render_junit(report)),
        "markdown": ("report.md", render_markdown(report)),
        "html": ("report.html", render_html(report)),
        "badge": ("badge.svg", render_report_badge(report)),
    }
    written = {}
    for key, (name, text) in files.items():
        path = report_dir / name
        path.write_text(scrub(text), encoding="utf-8")
        written[key] = path
    return written


def scrubber(secrets: Iterable[str]) -> Callable[[str], str]:
    """A function that replaces every secret (6+ characters) in a text with [REDACTED]."""
    return _scrubber(secrets)


def _scrubber(secrets: Iterable[str]) -> Callable[[str], str]:
    values = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def scrub(text: str) -> str:
        for value in values:
            text = text.replace(value, "[REDACTED]")
        return text

    return scrub


#: Where reports go when no directory is given: a new ``reports/<UTC time>/``, ``reports/latest`` on it.
REPORTS_ROOT = Path("reports")


def new_run_dir(root: Path = REPORTS_ROOT) -> Path:
    """A report directory not used yet: ``root/<UTC time>``, or ``…-2``, ``…-3`` within one second."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir, suffix = root / stamp, 1
    while run_dir.exists():
        suffix += 1
        run_dir = root / f"{stamp}-{suffix}"
    return run_dir


def point_latest(reports_root: Path, run_dir: Path) -> None:
    """Make ``reports/latest`` point at the newest run (a symlink, or a text file where links fail)."""
    latest = reports_root / "latest"
    try:
        if latest.is_symlink() or latest.is_file():
            latest.unlink()
        os.symlink(run_dir.name, latest, target_is_directory=True)
    except OSError:
        latest.write_text(run_dir.name + "\n", encoding="utf-8")


# --- renderers ----------------------------------------------------------------------------


def render_junit(report: dict[str, Any]) -> str:
    summary = report["summary"]
    suite = ET.Element(
        "testsuite",
        {
            "name": "supersim-conformance",
            "tests": str(summary["total"]),
            "failures": str(summary["failed"]),
            "errors": str(summary["errored"]),
            "skipped": str(summary["skipped"] + summary["xfailed"]),
            "time": str(report["duration"]),
            "timestamp": report["start_time"],
        },
    )
    for result in report["results"]:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"supersim.{result['id'].split('-')[0].lower()}",
                "name": f"{result['id']} {result['title']}".strip(),
                "time": f"{result['duration']:.3f}",
            },
        )
        properties = ET.SubElement(case, "properties")
        ET.SubElement(properties, "property", {"name": "requirements", "value": " ".join(result["requirements"])})
        ET.SubElement(properties, "property", {"name": "nodeid", "value": result["nodeid"]})
        ET.SubElement(properties, "property", {"name": "level", "value": result.get("level", "MUST")})
        outcome = result["outcome"]
        if outcome in ("failed", "errored"):
            tag = "failure" if outcome == "failed" else "error"
            element = ET.SubElement(case, tag, {"message": (result["message"].splitlines() or [""])[0][:500]})
            element.text = result["message"]
        elif outcome in ("skipped", "xfailed"):
            ET.SubElement(case, "skipped", {"message": result["message"][:500]})
        elif outcome == "warned":  # a passed test case that carries its warning
            ET.SubElement(case, "system-out").text = f"warning ({result.get('level', 'SHOULD')}): {result['message']}"
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def _request_line(result: dict[str, Any]) -> str | None:
    """The request that failed and what it got back; the message above it already carries the
    check, expected, received and the curl command (see ``collect._failure_message``)."""
    exchange = (result.get("violation") or {}).get("exchange")
    if not exchange:
        return None
    return f"{exchange['method']} {exchange['url']} → {exchange['status'] or exchange['error']}"


def render_markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    out = [
        "# supersim-conformance report",
        "",
        f"- target: `{report['target']}` ({report['target_kind']})",
        f"- suite: {report['suite']}; started {report['start_time']}; {report['duration']:.1f} s",
        f"- checks: {s['total']} — {s['passed']} passed, {s['failed']} failed, {s['errored']} errored, "
        f"{s.get('warned', 0)} warned, {s['skipped']} skipped, {s['xfailed']} expected failures, {s['fixed']} fixed",
        "- requirements: " + ", ".join(f"{n} {k}" for k, n in sorted(report["requirements_summary"].items())),
        "",
    ]
    for note in report["notes"]:
        out.append(f"> {note}")
    failures = [r for r in report["results"] if r["outcome"] in FAILING]
    warnings = [r for r in report["results"] if r["outcome"] == "warned"]
    for heading, rows in (
        ("## Failures", failures),
        ("## Warnings (SHOULD or MAY requirements broken; the run does not fail on them)", warnings),
    ):
        if not rows:
            continue
        out += ["", heading, ""]
        for result in rows:
            broken = result.get("failed_requirements") or result.get("warned_requirements") or result["requirements"]
            out.append(f"### {result['id']} — {result['title']}")
            out.append(f"Requirements broken: {', '.join(broken) or '—'} ({result.get('level', 'MUST')})  ")
            out.append(f"Test: `{result['nodeid']}`")
            out.append("")
            out.append("```")
            out.append(result["message"].strip())
            out.append("```")
            request = _request_line(result)
            if request:
                out.append(f"- request: `{request}`")
            out.append("")
    out += ["", "## Requirements", "", "| requirement | level | verdict | checks | title |", "|---|---|---|---|---|"]
    for card in _worst_first(report["scorecard"]):
        title = card["title"].replace("|", "\\|")
        extra = f" ({card['reason']})" if card.get("reason") else ""
        out.append(
            f"| {card['id']} | {card['level']} | {card['verdict']} | {', '.join(card['checks'])} | {title}{extra} |"
        )
    out += ["", "## Checks", "", "| check | outcome | requirements | test |", "|---|---|---|---|"]
    for result in report["results"]:
        out.append(
            f"| {result['id']} | {result['outcome']} | {', '.join(result['requirements'])} | `{result['nodeid']}` |"
        )
    return "\n".join(out) + "\n"


_CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;padding:0 24px 48px;max-width:1180px;color:#222;background:#fff}
h1{font-size:1.35em;margin:0}h2{font-size:1.25em;margin:1.6em 0 .5em;padding-bottom:.2em;border-bottom:2px solid #ddd}
h3{font-size:1.05em;margin:0 0 .3em}a{color:#0645ad}code{font-size:.95em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
td.wrap{overflow-wrap:anywhere}td.nw,th.nw{white-space:nowrap}
.failed,.errored{background:#fde8e8}.warned{background:#fff0d6}.blocked,.not-judged{background:#f3e8fd}.passed{background:#e8f7e8}.skipped,.not-covered,.not-run{background:#fff6dd}
.xfailed,.expected-failure{background:#eef}.fixed{background:#e0f0ff}.not-testable{color:#777}
pre{background:#f6f6f6;padding:8px;margin:.4em 0;overflow-x:auto;white-space:pre-wrap;word-break:break-word;border-radius:3px}
.summary{padding:16px 0 12px;border-bottom:2px solid #ddd;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.title-row{display:flex;align-items:center;gap:14px;flex-wrap:wrap}
.headline{font-weight:700;font-size:1.15em;padding:4px 14px;border-radius:4px;color:#fff;letter-spacing:.04em}
.headline.run-failed{background:#c62828}.headline.run-warned{background:#c77700}.headline.run-passed{background:#2e7d32}.headline.run-empty{background:#777}
.meta{margin:.5em 0 .6em;color:#444}.meta code{background:#f3f3f3;padding:0 4px;border-radius:3px;word-break:break-all}
.counts{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:.35em 0}
.counts .label{min-width:9.5em;font-weight:600;color:#444}
.chip{display:inline-block;padding:1px 9px;border-radius:11px;border:1px solid #ccc;color:#222;text-decoration:none;white-space:nowrap}
.chip b{font-size:1.05em}.chip.zero{opacity:.45}.chip.total{background:#f3f3f3}
.areas{display:grid;grid-template-columns:14em 1fr 27em;gap:3px 10px;align-items:center;margin:.8em 0 .2em;font-size:13px}
.areas .area-name{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}.areas .area-name small{color:#888}
.bar{display:flex;height:15px;border-radius:3px;overflow:hidden;background:#eee}
.bar span{display:block;min-width:3px;border-right:1px solid #fff}
.bar .failed,.legend .failed{background:#d64545}.bar .warned,.legend .warned{background:#e8a33d}
.bar .blocked,.legend .blocked{background:#9b6bd6}.bar .not-judged,.legend .not-judged{background:#c3a3ea}
.bar .not-covered,.legend .not-covered{background:#e2c04a}.bar .skipped,.legend .skipped{background:#ead68a}
.bar .not-run,.legend .not-run{background:#e2dcc3}.bar .expected-failure,.legend .expected-failure{background:#8c9bdc}
.bar .passed,.legend .passed{background:#43a04f}.bar .not-testable,.legend .not-testable{background:#c4c4c4}
.area-count{color:#444;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;color:#444;margin:.3em 0 0 15.2em}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:4px;vertical-align:-1px}
nav.toc{margin:.6em 0 0;font-size:13px}nav.toc a{margin-right:1.2em}
.note{font-style:italic;color:#444;margin:.3em 0}details.notes{margin:.8em 0}details.notes summary{cursor:pointer;font-weight:600}
article.result{border:1px solid #e3c3c3;border-left:6px solid #d64545;border-radius:4px;padding:8px 12px;margin:.7em 0;background:#fff}
article.result.errored{border-color:#dccbf0;border-left-color:#9b6bd6}article.result.warned{border-color:#efdcb8;border-left-color:#e8a33d}
article.result:target{outline:3px solid #0645ad}
.tag{display:inline-block;font-size:12px;font-weight:600;padding:0 7px;border-radius:3px;vertical-align:1px;border:1px solid #ccc}
.facts{margin:.1em 0;color:#333}.facts span{margin-right:1.2em}.facts a{white-space:nowrap}
.gist{color:#333;font-size:1.05em}.truncated{color:#a33;font-size:12px}
.reqs td:first-child,.checks td:first-child,.reqs a{white-space:nowrap}
.seeall{font-size:12px}small{color:#555}
"""

#: Readable names of the requirement areas (the middle part of SIM-<AREA>-NNN).
_AREA_NAMES = {
    "PROP": "Properties",
    "ADDR": "Addressing",
    "STATUS": "Status",
    "TRANS": "Transitions",
    "CREATE": "Create (register)",
    "FETCH": "Fetch",
    "LIST": "List",
    "FILTER": "Filters",
    "PAGE": "Pagination",
    "UPDATE": "Update",
    "ASYNC": "Async updates",
    "CB": "Callbacks",
    "MOVE": "Account moves",
    "AUTH": "Authentication",
    "ERR": "Errors",
    "REQ": "Request encoding",
}
#: What one failure's message may take in report.html (the full text is in report.json).
_HTML_MESSAGE_LIMIT = 4096
#: How many failure links a requirement row shows before it refers to the Failures section.
_HTML_LINKS_LIMIT = 20
#: How many of the run's notes report.html shows.
_HTML_NOTES_LIMIT = 200
_OUTCOME_LABELS = {"xfailed": "expected failures"}


def _html_token(value: str) -> str:
    """``value`` reduced to characters safe in an id or class attribute."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in str(value)) or "_"


def _html_clip(text: str, limit: int) -> tuple[str, int]:
    """``text`` cut to ``limit`` characters, and how many it had when cut (else 0)."""
    return (text, 0) if len(text) <= limit else (text[:limit], len(text))


def _area(requirement_id: str) -> str:
    parts = requirement_id.split("-")
    return parts[1] if len(parts) >= 3 else "OTHER"


def _html_anchors(results: list[dict[str, Any]]) -> dict[int, tuple[str, str]]:
    """Per failed, errored or warned result (by index): its anchor id and its link label."""
    anchors: dict[int, tuple[str, str]] = {}
    seen: dict[str, int] = {}
    for index, result in enumerate(results):
        if result["outcome"] not in (*FAILING, "warned"):
            continue
        base = _html_token(result["id"])
        seen[base] = seen.get(base, 0) + 1
        n = seen[base]
        anchors[index] = (f"result-{base}" + (f"-{n}" if n > 1 else ""), result["id"] + (f" #{n}" if n > 1 else ""))
    return anchors


def _html_summary(report: dict[str, Any]) -> list[str]:
    """The top of the page: the run, its counts and a bar of requirement verdicts by area."""
    e = html.escape
    s = report["summary"]
    failing = s.get("failed", 0) + s.get("errored", 0)
    warned = s.get("warned", 0)
    if not s.get("total"):
        state, headline = "empty", "NOTHING RAN"
    elif failing or (warned and report.get("strict")):
        state, headline = "failed", "FAILED"
    elif warned:
        state, headline = "warned", "PASSED WITH WARNINGS"
    else:
        state, headline = "passed", "PASSED"
    meta = [
        f"target <code>{e(str(report['target']))}</code> ({e(str(report['target_kind']))})",
        f"suite <b>{e(str(report['suite']))}</b>",
    ]
    if report.get("profile"):
        meta.append(f"profile {e(str(report['profile']))}")
    if report.get("seed") is not None:
        meta.append(f"seed {e(str(report['seed']))}")
    if report.get("strict"):
        meta.append("strict (SHOULD and MAY fail the run)")
    meta.append(f"started {e(str(report['start_time']))}, {float(report['duration']):.1f} s")
    if report.get("version"):
        meta.append(f"kit {e(str(report['version']))}")
    out = [
        "<header class='summary' id='summary'>",
        f"<div class='title-row'><span class='headline run-{state}'>{headline}</span>"
        f"<h1>supersim-conformance report</h1><span class='gist'>{_html_gist(report)}</span></div>",
        f"<p class='meta'>{' · '.join(meta)}</p>",
        f"<div class='counts'><span class='label'>Checks</span><span class='chip total'><b>{s['total']}</b> run</span>",
    ]
    links = {"failed": "#failures", "errored": "#failures", "warned": "#warnings"}
    for outcome in ("failed", "errored", "warned", "passed", "skipped", "xfailed", "fixed"):
        n = int(s.get(outcome, 0))
        label = e(_OUTCOME_LABELS.get(outcome, outcome))
        cls = f"chip {outcome}" + ("" if n else " zero")
        if n and outcome in links:
            out.append(f"<a class='{cls}' href='{links[outcome]}'><b>{n}</b> {label}</a>")
        else:
            out.append(f"<span class='{cls}'><b>{n}</b> {label}</span>")
    out.append("</div>")
    cards = report["scorecard"]
    verdicts = report.get("requirements_summary") or {}
    out.append(
        f"<div class='counts'><span class='label'>Requirements</span>"
        f"<a class='chip total' href='#requirements'><b>{len(cards)}</b> in the catalog</a>"
    )
    for verdict in sorted(verdicts, key=lambda v: (VERDICT_RANK.get(v, 9), v)):
        out.append(f"<span class='chip {_html_token(verdict)}'><b>{int(verdicts[verdict])}</b> {e(verdict)}</span>")
    out.append("</div>")
    out += _html_area_bars(cards)
    n_fail = sum(1 for r in report["results"] if r["outcome"] in FAILING)
    n_warn = sum(1 for r in report["results"] if r["outcome"] == "warned")
    out.append(
        f"<nav class='toc'><a href='#failures'>Failures ({n_fail})</a><a href='#warnings'>Warnings ({n_warn})</a>"
        f"<a href='#requirements'>Requirements ({len(cards)})</a>"
        f"<a href='#checks'>Checks ({len(report['results'])})</a></nav>"
    )
    out.append("</header>")
    return out


def _html_gist(report: dict[str, Any]) -> str:
    """One line a person reads first: how many checks and requirements went wrong."""
    s = report["summary"]
    cards = report["scorecard"]
    failing = s.get("failed", 0) + s.get("errored", 0)
    broken = sum(1 for card in cards if card["verdict"] == "failed")
    warned = sum(1 for card in cards if card["verdict"] == "warned")
    passed = sum(1 for card in cards if card["verdict"] == "passed")
    if failing or broken:
        bits = [f"{failing} of {s['total']} checks failed or errored", f"{broken} of {len(cards)} requirements broken"]
    else:
        bits = [f"no check of {s['total']} failed", f"{passed} of {len(cards)} requirements passed"]
    if warned:
        bits.append(f"{warned} warned")
    return html.escape(" · ".join(bits))


def _html_area_bars(cards: list[dict[str, Any]]) -> list[str]:
    """One stacked bar per requirement area: how many of its requirements got each verdict."""
    e = html.escape
    areas: dict[str, dict[str, int]] = {}
    for card in cards:
        counts = areas.setdefault(_area(card["id"]), {})
        counts[card["verdict"]] = counts.get(card["verdict"], 0) + 1
    if not areas:
        return []
    out = ["<div class='areas' role='list' aria-label='Requirement verdicts by area'>"]
    used: set[str] = set()
    for area, counts in areas.items():
        name = _AREA_NAMES.get(area, area.title())
        ordered = sorted(counts, key=lambda v: (VERDICT_RANK.get(v, 9), v))
        used.update(ordered)
        total = sum(counts.values())
        words = " · ".join(f"{counts[v]} {v}" for v in ordered)
        segments = "".join(
            f"<span class='{_html_token(v)}' style='flex-grow:{counts[v]}' title='{e(name)}: {counts[v]} {e(v)}'></span>"
            for v in ordered
        )
        out.append(
            f"<span class='area-name' role='listitem' title='SIM-{e(area)}-…'>{e(name)} <small>{e(area)}</small></span>"
            f"<span class='bar' role='img' aria-label='{e(name)}: {e(words)}'>{segments}</span>"
            f"<span class='area-count'>{e(words)} <small>(of {total})</small></span>"
        )
    out.append("</div>")
    legend = "".join(
        f"<span><i class='{_html_token(v)}'></i>{e(v)}</span>"
        for v in sorted(used, key=lambda v: (VERDICT_RANK.get(v, 9), v))
    )
    out.append(f"<div class='legend'>{legend}</div>")
    return out


def _html_notes(notes: list[str]) -> list[str]:
    """The run's notes: a few in the open, many folded (a clean run may leave one per Sim)."""
    e = html.escape
    shown = [f"<p class='note'>{e(_html_clip(str(note), 1024)[0])}</p>" for note in notes[:_HTML_NOTES_LIMIT]]
    if len(notes) > _HTML_NOTES_LIMIT:
        shown.append(f"<p class='note'>… and {len(notes) - _HTML_NOTES_LIMIT} more in report.json</p>")
    if len(notes) <= 3:
        return shown
    return [f"<details class='notes'><summary>Notes of the run ({len(notes)})</summary>", *shown, "</details>"]


def _html_requirement_links(requirements: list[str], known: set[str]) -> str:
    e = html.escape
    return ", ".join(f"<a href='#req-{_html_token(r)}'>{e(r)}</a>" if r in known else e(r) for r in requirements) or "—"


def render_html(report: dict[str, Any]) -> str:
    """A single-file report for a person: the summary first, each failure once, then the tables.

    No script, no external resource; every text of the target is escaped and each message is
    cut to a bounded size (report.json keeps the full text).
    """
    e = html.escape
    results = report["results"]
    cards = report["scorecard"]
    known = {card["id"] for card in cards}
    anchors = _html_anchors(results)
    s = report["summary"]
    failing = s.get("failed", 0) + s.get("errored", 0)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>{'FAILED' if failing else 'passed'}: supersim-conformance report</title>",
        f"<style>{_CSS}</style></head><body>",
    ]
    parts += _html_summary(report)
    parts += _html_notes(report["notes"])

    for section, heading, outcomes, empty in (
        ("failures", "Failures", FAILING, "No check failed or errored."),
        (
            "warnings",
            "Warnings <small>(SHOULD or MAY requirements broken; the run does not fail on them)</small>",
            ("warned",),
            "No warnings.",
        ),
    ):
        chosen = [(i, r) for i, r in enumerate(results) if r["outcome"] in outcomes]
        parts.append(f"<section id='{section}'><h2>{heading} ({len(chosen)})</h2>")
        if not chosen:
            parts.append(f"<p>{empty}</p>")
        for index, result in chosen:
            parts.append(_html_result(result, anchors[index][0], known))
        parts.append("</section>")

    # which failures (by anchor) a requirement row points at: those that broke it (a failed or
    # warned row), or those that stopped its checks before they judged it (a blocked or not-judged row)
    breaking: dict[str, list[tuple[str, str, str]]] = {}
    stopping: dict[str, list[tuple[str, str, str]]] = {}
    for index, result in enumerate(results):
        if index not in anchors:
            continue
        link = (*anchors[index], result["nodeid"])
        if result["outcome"] == "failed":
            named = [*result.get("failed_requirements", []), *result.get("warned_requirements", [])]
        elif result["outcome"] == "warned":
            named = result.get("warned_requirements") or result["requirements"]
        else:
            named = []
        for requirement in dict.fromkeys(named):
            breaking.setdefault(requirement, []).append(link)
        if result["outcome"] in FAILING:
            for requirement in dict.fromkeys(result["requirements"]):
                stopping.setdefault(requirement, []).append(link)
    pointers = {"failed": breaking, "warned": breaking, "blocked": stopping, "not-judged": stopping}
    parts.append(f"<section id='requirements'><h2>Requirements ({len(cards)})</h2>")
    parts.append(
        "<table class='reqs'><tr><th>requirement</th><th>level</th><th>verdict</th><th>checks</th><th>title</th></tr>"
    )
    for card in _worst_first(cards):
        verdict = card["verdict"]
        cell = e(", ".join(card["checks"])) or "—"
        links = pointers.get(verdict, {}).get(card["id"], [])
        if links:
            word = {"failed": "broken by", "warned": "warned by"}.get(verdict, "stopped by")
            shown = ", ".join(
                f"<a href='#{anchor}' title='{e(nodeid)}'>{e(label)}</a>"
                for anchor, label, nodeid in links[:_HTML_LINKS_LIMIT]
            )
            more = len(links) - _HTML_LINKS_LIMIT
            if more > 0:
                shown += f" <span class='seeall'>and {more} more in <a href='#failures'>Failures</a></span>"
            cell += f"<br><b>{word}</b> {shown}"
        title = e(card["title"]) + (f" <small>({e(card['reason'])})</small>" if card.get("reason") else "")
        parts.append(
            f"<tr class='{_html_token(verdict)}' id='req-{_html_token(card['id'])}'><td>{e(card['id'])}</td>"
            f"<td class='nw'>{e(card['level'])}</td><td class='nw'>{e(verdict)}</td>"
            f"<td class='wrap'><small>{cell}</small></td><td>{title}</td></tr>"
        )
    parts.append("</table></section>")

    parts.append(f"<section id='checks'><h2>Checks ({len(results)})</h2>")
    parts.append("<table class='checks'><tr><th>check</th><th>outcome</th><th>title</th><th>test</th></tr>")
    for index, result in enumerate(results):
        ident = e(result["id"])
        if index in anchors:
            ident = f"<a href='#{anchors[index][0]}'>{ident}</a>"
        test = f"<code>{e(result['nodeid'])}</code>"
        if index not in anchors and result["message"]:
            reason, cut = _html_clip((result["message"].strip().splitlines() or [""])[0], 300)
            test += f"<br><small>{e(reason)}{' …' if cut else ''}</small>"
        parts.append(
            f"<tr class='{_html_token(result['outcome'])}'><td>{ident}</td><td class='nw'>{e(result['outcome'])}</td>"
            f"<td><small>{e(result['title'])}</small></td><td class='wrap'>{test}</td></tr>"
        )
    parts.append("</table></section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_result(result: dict[str, Any], anchor: str, known: set[str]) -> str:
    """One failure, error or warning, written once; requirement rows link here."""
    e = html.escape
    outcome = result["outcome"]
    named = result.get("failed_requirements") or result.get("warned_requirements") or result["requirements"]
    word = {"failed": "Breaks", "errored": "Not judged (an error of the kit, not of the target)"}.get(
        outcome, "Warns on"
    )
    facts = (
        f"<p class='facts'><b>{word}</b> {_html_requirement_links(list(named), known)}</p>"
        f"<p class='facts'><span><b>level</b> {e(str(result.get('level', 'MUST')))}</span>"
        f"<span><b>test</b> <code>{e(result['nodeid'])}</code></span></p>"
    )
    return (
        f"<article class='result {_html_token(outcome)}' id='{anchor}'>"
        f"<h3><span class='tag {_html_token(outcome)}'>{e(outcome)}</span> <code>{e(result['id'])}</code> "
        f"{e(result['title'])}</h3>{facts}{_html_details(result)}</article>"
    )


def _html_details(result: dict[str, Any]) -> str:
    """A result's message (cut to a bounded size) and the request that failed."""
    e = html.escape
    message, cut = _html_clip(result["message"].strip(), _HTML_MESSAGE_LIMIT)
    bits = [f"<pre>{e(message)}</pre>"] if message else []
    if cut:
        bits.append(
            f"<p class='truncated'>(cut to the first {_HTML_MESSAGE_LIMIT:,} of {cut:,} characters; "
            "report.json has the full text)</p>"
        )
    request = _request_line(result)
    if request:
        request, long = _html_clip(request, 1024)
        bits.append(f"<p class='request'><b>request</b> <code>{e(request)}{' …' if long else ''}</code></p>")
    return "".join(bits)


def render_comparison(report: dict[str, Any], title: str) -> str:
    """A deterministic Markdown summary of a run, for committing and comparing across runs.

    Only what the target did is in it: per requirement its verdict and checks, per check its
    outcomes and the check that failed. No times, ports, SIDs or messages, so a regenerated
    summary differs from the committed one only when the target's behaviour (or the suite) did.
    """
    rows: dict[str, dict[str, Any]] = {}
    for result in report["results"]:
        row = rows.setdefault(result["id"], {"title": result["title"], "outcomes": {}, "caught_by": set()})
        row["outcomes"][result["outcome"]] = row["outcomes"].get(result["outcome"], 0) + 1
        if result["outcome"] in (*FAILING, "warned") and result.get("violation"):
            row["caught_by"].add(result["violation"]["check"])
        elif result["outcome"] in FAILING:
            row["caught_by"].add(result["id"])
    s = report["summary"]
    out = [
        f"# {title}",
        "",
        f"Suite: {report['suite']}. Checks: {s['total']} — {s['passed']} passed, {s['failed']} failed, "
        f"{s['errored']} errored, {s['skipped']} skipped.",
        "",
        "Requirements: " + ", ".join(f"{n} {k}" for k, n in sorted(report["requirements_summary"].items())) + ".",
        "",
        "## What it gets right (requirements whose checks all passed)",
        "",
    ]
    cards = report["scorecard"]
    for verdict, heading in (
        ("passed", None),
        ("failed", "## What it gets wrong (requirements whose guarding check failed; the failing checks named)"),
        ("warned", "## Warnings (SHOULD or MAY requirements broken; the checks named)"),
        ("blocked", "## Not reached (its checks stopped on another failure first)"),
        ("not-judged", "## Not judged (its checks stopped on an error of the kit itself, not of the target)"),
        ("skipped", "## Not exercised (the profile or target lacked what the checks need)"),
        ("not-run", "## Not run (its checks were left out of this selection)"),
        ("not-covered", "## Not covered (no check of the kit guards it)"),
    ):
        if heading:
            out += ["", heading, ""]
        chosen = [c for c in cards if c["verdict"] == verdict]
        out += [
            f"- {c['id']} [{c['level']}] {c['title']} — "
            f"{', '.join(c['failed_checks'] if verdict in ('failed', 'warned') else c['checks'])}"
            for c in chosen
        ] or ["- (none)"]
    out += ["", "## Checks", "", "| check | outcomes | failed on |", "|---|---|---|"]
    for ident in sorted(rows):
        row = rows[ident]
        outcomes = ", ".join(f"{n} {k}" for k, n in sorted(row["outcomes"].items()))
        out.append(f"| {ident} | {outcomes} | {', '.join(sorted(row['caught_by'])) or '—'} |")
    return "\n".join(out) + "\n"
