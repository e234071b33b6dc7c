"""report.html as a person sees it: the summary first, each failure once, everything escaped and
bounded; and the page of a real failing run rendered by a real browser (headless Chromium)."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from typing import Any

import pytest

from conformance.report import render_html

HOSTILE = "</pre></td><script>alert(1)</script><img src=x onerror=alert(2)>'\"&"
FAILURE_TEXT = "UNIQUE-FAILURE-TEXT: sid hs0123 does not match ^HS[0-9a-fA-F]{32}$"
FIVE = ["SIM-PROP-001", "SIM-PROP-002", "SIM-FETCH-001", "SIM-LIST-001", "SIM-ADDR-001"]


def _result(ident: str, outcome: str, **extra: Any) -> dict[str, Any]:
    row = {
        "id": ident,
        "title": f"title of {ident}",
        "requirements": [],
        "outcome": outcome,
        "message": "",
        "nodeid": f"test_x.py::test_{ident.lower()}",
        "duration": 0.1,
        "violation": None,
        "failed_requirements": [],
        "level": "MUST",
        "warned_requirements": [],
    }
    row.update(extra)
    return row


def _card(ident: str, verdict: str, checks: list[str], level: str = "MUST") -> dict[str, Any]:
    return {
        "id": ident,
        "level": level,
        "title": f"title of {ident}",
        "verdict": verdict,
        "checks": checks,
        "failed_checks": checks if verdict in ("failed", "warned") else [],
        "reason": "needs a real SIM" if verdict == "not-testable" else None,
    }


def synthetic_report(**changes: Any) -> dict[str, Any]:
    exchange = {"method": "GET", "url": "http://127.0.0.1:1/v1/Sims/HS1", "status": 200, "error": None}
    results = [
        _result(
            "SCN-FETCH-SID",
            "failed",
            requirements=[*FIVE, "SIM-ERR-001", "SIM-FETCH-002"],
            failed_requirements=FIVE,
            message=FAILURE_TEXT + "\nreproduce: curl -sS http://127.0.0.1:1/v1/Sims/HS1",
            violation={"check": "RESP-SIM-SCHEMA", "requirements": FIVE, "also": [], "exchange": exchange},
        ),
        _result("SCN-BROKEN", "errored", requirements=["SIM-ERR-001"], message="KIT-ERROR-TEXT: kit crashed"),
        _result(
            "SCN-PAGE-SHOULD",
            "warned",
            requirements=["SIM-PAGE-001", "SIM-PAGE-002"],
            warned_requirements=["SIM-PAGE-002"],
            level="SHOULD",
            message="WARNING-TEXT: PageSize not echoed",
        ),
        _result("SCN-LIST", "passed", requirements=["SIM-LIST-002", "SIM-PAGE-001"]),
        _result("SCN-SKIP", "skipped", requirements=["SIM-MOVE-001"], message="the profile has no subaccount"),
    ]
    scorecard = [
        *(_card(r, "failed", ["RESP-SIM-SCHEMA", "SCN-FETCH-SID"]) for r in FIVE),
        _card("SIM-ERR-001", "not-judged", ["SCN-BROKEN", "SCN-FETCH-SID"]),
        _card("SIM-FETCH-002", "blocked", ["SCN-FETCH-SID"]),
        _card("SIM-PAGE-001", "passed", ["SCN-LIST", "SCN-PAGE-SHOULD"]),
        _card("SIM-PAGE-002", "warned", ["SCN-PAGE-SHOULD"], level="SHOULD"),
        _card("SIM-LIST-002", "passed", ["SCN-LIST"]),
        _card("SIM-MOVE-001", "skipped", ["SCN-SKIP"]),
        _card("SIM-CB-001", "not-testable", []),
    ]
    verdicts: dict[str, int] = {}
    for card in scorecard:
        verdicts[card["verdict"]] = verdicts.get(card["verdict"], 0) + 1
    report = {
        "tool": "supersim-conformance",
        "version": "0.0.0",
        "target": "http://127.0.0.1:1",
        "target_kind": "reference-mock",
        "profile": "reference-mock",
        "suite": "full",
        "seed": None,
        "start_time": "2026-01-02T03:04:05Z",
        "duration": 1.5,
        "summary": {
            "total": 5,
            "passed": 1,
            "failed": 1,
            "errored": 1,
            "warned": 1,
            "skipped": 1,
            "xfailed": 0,
            "fixed": 0,
        },
        "warnings": 1,
        "strict": False,
        "requirements_summary": verdicts,
        "notes": ["a note of the run"],
        "results": results,
        "scorecard": scorecard,
    }
    report.update(changes)
    return report


class _Page(HTMLParser):
    """What the tests need of a page: its tags in order, ids, internal links and any external reference."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        if "id" in values:
            self.ids.append(values["id"])
        if "href" in values:
            self.hrefs.append(values["href"])
        for name in ("src", "srcset", "action", "data"):
            if name in values:
                self.external.append(f"{tag} {name}={values[name]}")
        if tag in ("script", "link", "iframe", "object", "embed", "img", "base"):
            self.external.append(tag)


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def test_the_summary_comes_before_the_first_failure():
    page = render_html(synthetic_report())
    summary = page.index("id='summary'")
    assert summary < page.index("<article")
    assert summary < page.index(FAILURE_TEXT)
    head = page[summary : page.index("</header>")]
    for text in ("http://127.0.0.1:1", "full", "2026-01-02T03:04:05Z", "FAILED"):
        assert text in head
    # check counts and requirement verdict counts, each in its outcome's class
    for outcome in ("failed", "errored", "warned", "passed", "skipped"):
        assert re.search(rf"class='chip {outcome}'[^>]*><b>1</b> {outcome}<", head), outcome
    assert re.search(r"class='chip failed'><b>5</b> failed<", head)
    assert "class='chip not-judged'><b>1</b> not-judged<" in head
    # the bar of verdicts by area, labelled with readable names
    for name, area in (("Properties", "PROP"), ("Fetch", "FETCH"), ("Pagination", "PAGE"), ("Callbacks", "CB")):
        assert f"{name} <small>{area}</small>" in head
    assert "class='bar'" in head and "flex-grow:2" in head  # the two PROP requirements that failed
    tags = [tag for tag, _ in parse(page).tags]
    assert tags.index("header") < tags.index("article")


def test_a_passing_run_says_so():
    report = synthetic_report(
        results=[_result("SCN-LIST", "passed", requirements=["SIM-LIST-002"])],
        scorecard=[_card("SIM-LIST-002", "passed", ["SCN-LIST"])],
        requirements_summary={"passed": 1},
        summary={
            "total": 1,
            "passed": 1,
            "failed": 0,
            "errored": 0,
            "warned": 0,
            "skipped": 0,
            "xfailed": 0,
            "fixed": 0,
        },
    )
    page = render_html(report)
    assert "PASSED" in page and "FAILED" not in page
    assert "No check failed or errored." in page and "No warnings." in page


def test_each_failure_is_written_once_even_when_it_breaks_five_requirements():
    page = render_html(synthetic_report())
    assert page.count(FAILURE_TEXT) == 1
    assert page.count("KIT-ERROR-TEXT") == 1
    assert page.count("WARNING-TEXT") == 1
    # failures (failed and errored) first, then the warnings, then the tables
    order = [page.index(t) for t in ("id='failures'", FAILURE_TEXT, "KIT-ERROR-TEXT", "id='warnings'", "WARNING-TEXT")]
    assert order == sorted(order)
    assert page.index("WARNING-TEXT") < page.index("id='requirements'") < page.index("id='checks'")
    # the failure shows what it breaks, its level, its test and the request
    article = page[page.index("<article class='result failed'") : page.index("</article>")]
    for requirement in FIVE:
        assert f"href='#req-{requirement}'" in article
    assert "SIM-ERR-001" not in article and "SIM-FETCH-002" not in article  # guarded, not broken
    assert "MUST" in article and "test_x.py::test_scn-fetch-sid" in article
    assert "GET http://127.0.0.1:1/v1/Sims/HS1 → 200" in article


def test_requirement_rows_link_to_the_failures_instead_of_repeating_them():
    page = render_html(synthetic_report())
    parsed = parse(page)
    assert len(parsed.ids) == len(set(parsed.ids)), "duplicate ids"
    internal = [h for h in parsed.hrefs if h.startswith("#")]
    assert internal and set(internal) == set(parsed.hrefs), "every link stays in the page"
    assert {h[1:] for h in internal} <= set(parsed.ids), "every link has its anchor"
    anchors = {
        values["class"].split()[1]: values["id"] for tag, values in parsed.tags if tag == "article" and "id" in values
    }
    assert set(anchors) == {"failed", "errored", "warned"}
    rows = {values["id"]: values["class"] for tag, values in parsed.tags if tag == "tr" and "id" in values}
    for requirement in FIVE:
        assert rows[f"req-{requirement}"] == "failed"
        row = page[page.index(f"id='req-{requirement}'") :]
        row = row[: row.index("</tr>")]
        assert f"href='#{anchors['failed']}'" in row and "broken by" in row
    warned = page[page.index("id='req-SIM-PAGE-002'") :]
    assert f"href='#{anchors['warned']}'" in warned[: warned.index("</tr>")]
    not_judged = page[page.index("id='req-SIM-ERR-001'") :]
    assert f"href='#{anchors['errored']}'" in not_judged[: not_judged.index("</tr>")]
    blocked = page[page.index("id='req-SIM-FETCH-002'") :]
    blocked = blocked[: blocked.index("</tr>")]
    assert "stopped by" in blocked and f"href='#{anchors['failed']}'" in blocked
    passed = page[page.index("id='req-SIM-LIST-002'") :]
    assert "href=" not in passed[: passed.index("</tr>")]
    # the checks table: one row per result, failures linked to their anchor
    checks = page[page.index("id='checks'") :]
    assert checks.count("<tr class=") == 5
    assert f"href='#{anchors['failed']}'" in checks
    assert "the profile has no subaccount" in checks  # a skip says why


def test_duplicate_check_ids_get_distinct_anchors():
    report = synthetic_report()
    twin = dict(report["results"][0], nodeid="test_x.py::test_twin", message="SECOND-RUN-TEXT")
    report["results"].insert(1, twin)
    parsed = parse(render_html(report))
    articles = [values["id"] for tag, values in parsed.tags if tag == "article"]
    assert len(articles) == len(set(articles)) == 4


def test_a_hostile_targets_text_is_escaped():
    hostile_result = _result(
        "SCN-FETCH-SID",
        "failed",
        requirements=["SIM-PROP-001"],
        failed_requirements=["SIM-PROP-001", HOSTILE],
        title=HOSTILE,
        message=HOSTILE,
        nodeid=HOSTILE,
        level=HOSTILE,
        violation={
            "check": "X",
            "requirements": [],
            "also": [],
            "exchange": {"method": "GET", "url": HOSTILE, "status": None, "error": HOSTILE},
        },
    )
    report = synthetic_report(
        target=HOSTILE,
        target_kind=HOSTILE,
        suite=HOSTILE,
        start_time=HOSTILE,
        notes=[HOSTILE],
        results=[hostile_result, _result(HOSTILE, HOSTILE, requirements=[HOSTILE], message=HOSTILE)],
    )
    report["scorecard"].append(_card(HOSTILE, HOSTILE, [HOSTILE]))
    report["requirements_summary"][HOSTILE] = 1
    page = render_html(report)
    parsed = parse(page)
    assert parsed.external == [], parsed.external
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # a quote cannot leave an attribute: every class and id is made of safe characters
    for _, values in parsed.tags:
        for name in ("class", "id"):
            assert re.fullmatch(r"[A-Za-z0-9_. -]*", values.get(name, "")), values


def test_the_page_is_bounded_however_long_the_messages():
    long = "x" * 1_000_000
    report = synthetic_report()
    for row in report["results"]:
        row["message"] = long
    page = render_html(report)
    assert len(page.encode()) < 60_000
    assert "cut to the first 4,096 of 1,000,000 characters" in page
    notes = render_html(synthetic_report(notes=[f"note {i} " + "y" * 5000 for i in range(1000)]))
    assert len(notes.encode()) < 400_000 and "800 more in report.json" in notes
    assert "<details class='notes'>" in notes


def test_the_page_needs_no_script_and_no_network():
    page = render_html(synthetic_report())
    parsed = parse(page)
    assert parsed.external == []
    assert "url(" not in page and "@import" not in page
    assert page.startswith("<!doctype html>") and "<meta charset='utf-8'>" in page
    # the classes of verdicts and outcomes stay what they were
    for cls in (".failed", ".warned", ".passed", ".not-judged", ".blocked", ".skipped", ".not-testable"):
        assert cls in page


# --- in a real browser --------------------------------------------------------------------------


def _png(data: bytes, rows: int) -> tuple[int, int, list[bytes], int]:
    """Width, height and the first ``rows`` decoded rows of an 8-bit RGB(A) PNG (stdlib only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    assert len(raw) == height * (stride + 1)
    out: list[bytes] = []
    prev = bytearray(stride)
    for y in range(min(rows, height)):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev, strict=True))
        elif kind:
            for x in range(stride):
                left = line[x - bpp] if x >= bpp else 0
                up, corner = prev[x], prev[x - bpp] if x >= bpp else 0
                if kind == 1:
                    line[x] = (line[x] + left) & 255
                elif kind == 3:
                    line[x] = (line[x] + (left + up) // 2) & 255
                else:
                    p = left + up - corner
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                    line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        out.append(bytes(line))
        prev = line
    return width, height, out, bpp


def _near(pixel: tuple[int, ...], color: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color, strict=False))


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.slow
@pytest.mark.skipif(
    _chromium() is None, reason="no chromium on PATH (Debian: apt-get install -y chromium) to render report.html"
)
def test_a_failing_runs_report_in_a_real_browser(tmp_path):
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--fault", "lowercase-sid-prefix", "-k", "test_fetch_by_sid"]
        + ["--no-progress", "--report-dir", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    page = out / "report.html"
    browser = [
        str(_chromium()),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,800",
    ]
    shot = tmp_path / "top.png"
    done = subprocess.run(
        [*browser, f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert shot.is_file(), done.stderr[-3000:]
    dom = subprocess.run([*browser, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout

    # what the browser built: the summary is the first thing in the body, the failures after it
    body = dom[dom.index("<body") :]
    first = re.search(r"<(\w+)[^>]*>", body[body.index(">") + 1 :])
    assert first and first.group(1) == "header" and 'id="summary"' in first.group(0), body[:300]
    assert body.index('id="summary"') < body.index('id="failures"') < body.index("<article")
    assert "RESP-SIM-SCHEMA" in body and "FAILED" in body

    # what a person sees without scrolling: a 1280x800 PNG whose top holds the headline and the bar
    width, height, rows, bpp = _png(shot.read_bytes(), 420)
    assert (width, height) == (1280, 800)
    pixels = [tuple(row[x : x + 3]) for row in rows for x in range(0, width * bpp, bpp * 4)]
    assert len(set(pixels)) > 30, "the top of the page is blank"
    assert sum(_near(p, (0xC6, 0x28, 0x28)) for p in pixels) > 50, "no red FAILED headline at the top"
    assert sum(_near(p, (0xD6, 0x45, 0x45)) for p in pixels) > 50, "no failed segment in the bar of areas"
    assert sum(_near(p, (0x9B, 0x6B, 0xD6)) for p in pixels) > 50, "no blocked segment in the bar of areas"
    assert sum(_near(p, (0xE2, 0xDC, 0xC3)) for p in pixels) > 500, "no not-run segments (-k left most out)"
