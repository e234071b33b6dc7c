"""``run --target cassette:DIR`` on a proxy's recording: the recorded traffic judged again, offline.

A recording of real traffic holds the requests an application sent, not the suite's, so the suite
cannot replay from it; what can be re-run is the judging. Each recorded exchange goes through
the same :class:`conformance.proxy.journal.Journal` as in the live session (the client's request
rules, every response check, the cross-request rules) with the kit's current checks, and the
usual reports are written. Callbacks are not recorded (a callback is the target's request to
the proxy), so their checks are not judged again.
"""

from __future__ import annotations

import sys
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TextIO

from conformance import EXIT_USAGE
from conformance.cassettes import CANONICAL_BASE
from conformance.contract.exchange import Exchange
from conformance.proxy.journal import Journal
from conformance.proxy.recording import exchanges_of, query_bytes
from conformance.proxy.session import Session, print_summary


def _date_of(exchange: Exchange) -> float | None:
    try:
        return parsedate_to_datetime(exchange.response_headers.get("date", "")).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def judge_recording(directory: Path, report_dir: str | None, out: TextIO | None = None) -> int:
    """Judge every exchange of a proxy recording; write the reports; return the exit code."""
    out = out or sys.stdout
    try:
        exchanges = exchanges_of(directory)
    except (OSError, ValueError) as error:
        print(f"supersim-conformance run: error: {directory}: cannot read the recording: {error}", file=sys.stderr)
        return EXIT_USAGE
    journal = Journal(CANONICAL_BASE)
    for exchange, body, content_type in exchanges:
        # the recorded answers' own Date is the clock: freshness guards hold as they did live
        when = _date_of(exchange)
        if when is not None:
            journal.observer.clock = lambda moment=when: moment
        client, pairs, sent = journal.judge_request(exchange, query_bytes(exchange.url), body, content_type)
        journal.judge(exchange, client, dict(pairs or []), sent)
    journal.note(f"re-judged {len(exchanges)} recorded exchange(s) of {directory} offline (callbacks are not recorded)")
    session = Session(journal=journal, report_dir=Path(report_dir) if report_dir else None)
    session.write_reports()
    print_summary(session, out)
    return session.exit_code()
