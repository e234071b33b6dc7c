"""Small building blocks the scenarios share: walking pages, waiting for async updates."""

from __future__ import annotations

import time
from typing import Any

from conformance.checks import expect, fail
from conformance.checks.scenarios import ERROR_CODE, PAGE_WALK, STEP
from conformance.contract.exchange import Exchange
from conformance.run.target import TargetClient

#: A walk longer than this many pages is reported as a loop or a runaway target.
MAX_PAGES = 400


def body(exchange: Exchange) -> Any:
    return exchange.json() if exchange.is_json else None


def error_code(exchange: Exchange) -> Any:
    data = body(exchange)
    return data.get("code") if isinstance(data, dict) else None


#: Twilio's Super SIM error code for each refusal, with the catalog entry that cites its page.
ERROR_CODES = {
    83001: "SIM-ERR-008",
    83002: "SIM-ERR-009",
    83003: "SIM-ERR-010",
    83006: "SIM-ERR-011",
    83007: "SIM-ERR-012",
    83008: "SIM-ERR-013",
    83010: "SIM-ERR-014",
    83011: "SIM-ERR-015",
}


def expect_error_code(exchange: Exchange, code: int, what: str) -> None:
    """SHOULD: the refusal carries Twilio's documented Super SIM code (a warning otherwise).

    Call it last in a scenario, after the MUST part (the refusal itself, nothing changed):
    a missing code is worth saying, never worth hiding a broken MUST behind.
    """
    got = error_code(exchange)
    expect(
        got == code,
        ERROR_CODE,
        f"{what} was refused with error code {got!r}, not Twilio's {code}",
        expected=f"code {code} (https://www.twilio.com/docs/api/errors/{code})",
        received=got,
        exchange=exchange,
        requirements=[ERROR_CODES[code]],
    )


def walk(
    client: TargetClient,
    params: dict[str, Any] | None = None,
    *,
    max_pages: int = MAX_PAGES,
    check_id: str = PAGE_WALK,
    stop_after: int | None = None,
) -> list[Exchange]:
    """Follow next_page_url from the first page to the end; fail ``check_id`` on a loop, a runaway or a refusal.

    With ``stop_after``, return the first that many pages if the walk goes on past them (the
    bounded walks of a large account, see :mod:`conformance.suite.lists`).
    """
    pages: list[Exchange] = []
    seen_urls: set[str] = set()
    exchange = client.get("/v1/Sims", params=params)
    while True:
        expect(
            exchange.status == 200
            and isinstance(body(exchange), dict)
            and isinstance(body(exchange).get("meta"), dict),
            check_id,
            "a page of the walk did not answer 200 with a list page",
            expected=200,
            received=exchange.status,
            exchange=exchange,
        )
        pages.append(exchange)
        next_url = body(exchange)["meta"].get("next_page_url")
        if next_url is None:
            return pages
        if next_url in seen_urls or next_url == exchange.url:
            fail(
                check_id,
                "next_page_url leads back to a page already visited (a loop)",
                expected="a URL not visited before",
                received=next_url,
                exchange=exchange,
            )
        if stop_after is not None and len(pages) >= stop_after:
            return pages
        if len(pages) >= max_pages:
            fail(
                check_id,
                f"the walk did not end within {max_pages} pages",
                expected=f"<= {max_pages} pages",
                received=f"still going at {next_url}",
                exchange=exchange,
            )
        seen_urls.add(exchange.url)
        seen_urls.add(next_url)
        exchange = client.get(next_url)


def sims_of(pages: list[Exchange]) -> list[dict[str, Any]]:
    return [sim for page in pages for sim in body(page)["sims"]]


def fetch_sim(client: TargetClient, ref: str) -> dict[str, Any]:
    """The Sim ``ref`` (a SID or unique name the scenario holds) as the target shows it now.

    A scenario rests on being able to read back the Sim it works on; when it cannot (a 404, a
    body that is no Sim), the scenario's own rule cannot be judged: SCN-STEP fails, and the
    scenario is reported as blocked by it rather than with a story about its own rule.
    """
    exchange = client.get(f"/v1/Sims/{ref}")
    sim = body(exchange)
    if exchange.status != 200 or not isinstance(sim, dict) or not isinstance(sim.get("sid"), str):
        fail(
            STEP,
            f"the Sim {ref} that the scenario works on could not be read back",
            expected="200 with the Sim",
            received=f"{exchange.status} {exchange.excerpt()}",
            exchange=exchange,
        )
    return sim


def wait_until(
    client: TargetClient, sid: str, done, *, timeout: float = 15.0, interval: float = 0.05
) -> dict[str, Any]:
    """Poll the Sim until ``done(sim)`` or ``timeout``; return the last representation seen."""
    deadline = time.monotonic() + timeout
    while True:
        sim = fetch_sim(client, sid)
        if done(sim) or time.monotonic() > deadline:
            return sim
        time.sleep(interval)
        interval = min(interval * 1.5, 1.0)
