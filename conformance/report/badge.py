"""badge.svg: a run's MUST result as a small shields-style badge, for a mock author's README.

``conformance | N/M MUST`` where **N** counts the MUST requirements the run *passed* and **M**
the MUST requirements it *judged*: passed plus failed. What the run did not judge stays out of
both numbers: a requirement not-testable, skipped, not-run or not-covered, one whose checks
were blocked by another requirement's failure, or not-judged because of an error of the kit
(a blocked one always has a failure beside it, so it cannot turn a badge green).

Green when every judged MUST requirement passed (N = M > 0), red when one failed, grey when no
MUST requirement was judged (``0/0 MUST``). The badge is self-contained SVG (no font, script or
external reference) and deterministic: the same verdicts give the same file.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

LABEL = "conformance"
COLOURS = {"passed": "#4c1", "failed": "#e05d44", "empty": "#9f9f9f"}
"""shields.io's brightgreen, red and lightgrey."""

#: Approximate advance widths (px) of Verdana at 11 px, shields' font; anything else counts 7.
_WIDTHS = {
    **dict.fromkeys("iIl.,:;|!'", 3.2),
    **dict.fromkeys(" /()[]frtj-", 4.6),
    **dict.fromkeys("MWmw", 10.0),
    **dict.fromkeys("ABCDEGHKNOQRSUVXYZ", 7.8),
}
_PADDING = 10  # 5 px each side of a text, as shields draws it


def must_counts(scorecard: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """(N, M): the MUST requirements passed, and those judged (passed or failed)."""
    passed = judged = 0
    for card in scorecard:
        if card.get("level") != "MUST":
            continue
        if card.get("verdict") == "passed":
            passed += 1
            judged += 1
        elif card.get("verdict") == "failed":
            judged += 1
    return passed, judged


def state(passed: int, judged: int) -> str:
    """``passed`` (all judged MUST held), ``failed`` (one did not) or ``empty`` (none judged)."""
    if not judged:
        return "empty"
    return "passed" if passed == judged else "failed"


def render_report_badge(report: Mapping[str, Any]) -> str:
    """The badge of a report (report.json's content): its scorecard's MUST counts."""
    passed, judged = must_counts(report.get("scorecard") or [])
    summary = {
        "passed": "every judged MUST requirement passed",
        "failed": f"{judged - passed} MUST requirement(s) failed",
        "empty": "no MUST requirement judged",
    }[state(passed, judged)]
    return render_badge(
        LABEL,
        f"{passed}/{judged} MUST",
        COLOURS[state(passed, judged)],
        title=f"{LABEL}: {passed} of {judged} judged MUST requirements passed ({summary})",
    )


def text_width(text: str) -> int:
    """The width a text takes in the badge's font, near enough to centre it (no font is loaded)."""
    return round(sum(_WIDTHS.get(c, 7.0) for c in text))


def render_badge(label: str, message: str, colour: str, *, title: str | None = None) -> str:
    """A flat two-part badge (shields' layout): grey ``label``, then ``message`` on ``colour``.

    Every text is escaped; ``colour`` must be a ``#rgb``/``#rrggbb`` value (anything else is grey).
    """
    e = html.escape
    if not (
        colour.startswith("#") and len(colour) in (4, 7) and all(c in "0123456789abcdefABCDEF" for c in colour[1:])
    ):
        colour = COLOURS["empty"]
    left = text_width(label) + _PADDING
    right = text_width(message) + _PADDING
    width = left + right
    spoken = e(title or f"{label}: {message}")
    texts = []
    for x, text in ((left / 2, label), (left + right / 2, message)):
        texts.append(f'<text x="{x:g}" y="15" fill="#010101" fill-opacity=".3">{e(text)}</text>')
        texts.append(f'<text x="{x:g}" y="14">{e(text)}</text>')
    return (
        "\n".join(
            [
                f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{spoken}">',
                f"<title>{spoken}</title>",
                '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
                '<stop offset="1" stop-opacity=".1"/></linearGradient>',
                f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>',
                f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
                f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
                f'<rect width="{width}" height="20" fill="url(#s)"/></g>',
                '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">',
                *texts,
                "</g>",
                "</svg>",
            ]
        )
        + "\n"
    )
