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
    """Write the four report files; return their paths. Secrets are replaced everywhere."""
    report_dir.mkdir(parents=True, exist_ok=True)
    report = build_report(info, results)
    scrub = _scrubber(secrets)
    files = {
        "json": ("report.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n"),
        "junit": ("junit.xml", render_junit(report)),
        "markdown": ("report.md", render_markdown(report)),
        "html": ("report.html", render_html(report)),
    }
    written = {}
    for key, (name, text) in files.items():
        path = report_dir / name
        path.write_text(scrub(text), encoding="utf-8")
        written[key] = path
    return written


def _scrubber(secrets: Iterable[str]) -> Callable[[str], str]:
    values = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def scrub(text: str) -> str:
        for value in values:
            text = text.replace(value, "[REDACTED]")
        return text

    return scrub


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
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}table{border-collapse:collapse;width:100%;margin:1em 0}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
.failed,.errored{background:#fde8e8}.warned{background:#fff0d6}.blocked,.not-judged{background:#f3e8fd}.passed{background:#e8f7e8}.skipped,.not-covered,.not-run{background:#fff6dd}
.xfailed,.expected-failure{background:#eef}.fixed{background:#e0f0ff}.not-testable{color:#777}
pre{background:#f6f6f6;padding:8px;overflow-x:auto;white-space:pre-wrap}
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
"""


def render_html(report: dict[str, Any]) -> str:
    e = html.escape
    s = report["summary"]
    results_by_id: dict[str, list[dict[str, Any]]] = {}
    for result in report["results"]:
        for requirement in result["requirements"] or ["(no requirement)"]:
            results_by_id.setdefault(requirement, []).append(result)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>supersim-conformance report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>supersim-conformance report</h1>",
        f"<p>Target <code>{e(report['target'])}</code> ({e(report['target_kind'])}), suite {e(report['suite'])}, "
        f"started {e(report['start_time'])}, {report['duration']:.1f} s.</p>",
        f"<p><b>{s['total']}</b> checks: {s['passed']} passed, <b>{s['failed']}</b> failed, {s['errored']} errored, "
        f"<b>{s.get('warned', 0)}</b> warned, {s['skipped']} skipped, {s['xfailed']} expected failures, "
        f"{s['fixed']} fixed.</p>",
    ]
    for note in report["notes"]:
        parts.append(f"<p><i>{e(note)}</i></p>")
    parts.append("<h2>Requirements (failures first)</h2>")
    for card in _worst_first(report["scorecard"]):
        verdict = card["verdict"]
        parts.append(f"<details class='{e(verdict)}'{' open' if verdict in ('failed', 'warned') else ''}>")
        parts.append(f"<summary>{e(card['id'])} [{e(card['level'])}] — {e(verdict)} — {e(card['title'])}</summary>")
        if card.get("reason"):
            parts.append(f"<p>Not testable: {e(card['reason'])}</p>")
        runs = results_by_id.get(card["id"], [])
        if runs:
            parts.append("<table><tr><th>check</th><th>outcome</th><th>details</th></tr>")
            for result in runs:
                parts.append(
                    f"<tr class='{e(result['outcome'])}'><td>{e(result['id'])}<br><small>{e(result['title'])}</small></td>"
                    f"<td>{e(result['outcome'])}</td><td>{_html_details(result)}</td></tr>"
                )
            parts.append("</table>")
        parts.append("</details>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_details(result: dict[str, Any]) -> str:
    e = html.escape
    if result["outcome"] not in FAILING and not result["message"]:
        return f"<small>{e(result['nodeid'])}</small>"
    bits = [f"<pre>{e(result['message'].strip())}</pre>"]
    request = _request_line(result)
    if request:
        bits.append(f"<div><b>request</b> <code>{e(request)}</code></div>")
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
