"""The rules a schema cannot state, as plain functions over a decoded document.

Each rule takes a Sim (or a list page) as JSON gave it and returns what breaks it, as
:class:`Broken` items; an empty list means the rule holds. Like jsonschema's keyword functions
they know nothing of HTTP or of reports, so one rule has one home: the response checks
(``conformance.checks.responses``) raise a Violation from a Broken, the validators
(``conformance.contract.validators``) list it as a Problem with its requirement IDs.

A document too malformed for a rule (a date that is not a date, a missing ``sid``) breaks no
rule here: the schema reports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

SUB_RESOURCES = (("billing_periods", "/BillingPeriods"), ("sim_ip_addresses", "/IpAddresses"))


@dataclass(frozen=True)
class Broken:
    """One way a document breaks a rule: where, which rule, and what was expected instead."""

    path: str
    """JSON path of the offending value, e.g. ``$.sims[3].date_updated``."""
    rule: str
    """Short rule name: ``date-order``, ``own-url``, ``sub-resource-url``, ``page-size``, ``first-page``."""
    expected: Any
    received: Any


def gmt_datetime(value: Any) -> datetime | None:
    """An RFC 3339 date-time with an offset (``Z`` or ``+00:00``) as an aware datetime; None otherwise."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def date_order(sim: Any, prefix: str = "$") -> list[Broken]:
    """``date_updated`` is never earlier than ``date_created``."""
    if not isinstance(sim, Mapping):
        return []
    created, updated = gmt_datetime(sim.get("date_created")), gmt_datetime(sim.get("date_updated"))
    if created is None or updated is None or updated >= created:
        return []
    return [Broken(f"{prefix}.date_updated", "date-order", f">= {sim['date_created']}", sim["date_updated"])]


def own_url(sim: Any, prefix: str = "$", base_url: str | None = None) -> list[Broken]:
    """``url`` is the Sim's own URL (on ``base_url`` when given, else any absolute URL with its path)."""
    if not isinstance(sim, Mapping):
        return []
    sid, url = sim.get("sid"), sim.get("url")
    if not isinstance(sid, str) or not isinstance(url, str):
        return []
    if base_url is not None:
        expected = f"{base_url.rstrip('/')}/v1/Sims/{sid}"
        return [] if url == expected else [Broken(f"{prefix}.url", "own-url", expected, url)]
    parts = urlsplit(url)
    if not parts.scheme or parts.path.rstrip("/") == f"/v1/Sims/{sid}":
        return []
    return [Broken(f"{prefix}.url", "own-url", f"an absolute URL with path /v1/Sims/{sid}", url)]


def sub_resource_links(sim: Any, prefix: str = "$") -> list[Broken]:
    """``links`` point at the Sim's own sub-resources: ``url`` + ``/BillingPeriods``, ``/IpAddresses``."""
    if not isinstance(sim, Mapping) or not isinstance(sim.get("url"), str):
        return []
    links = sim.get("links")
    if not isinstance(links, Mapping):
        return []
    url = sim["url"]
    return [
        Broken(f"{prefix}.links.{name}", "sub-resource-url", url + suffix, links[name])
        for name, suffix in SUB_RESOURCES
        if isinstance(links.get(name), str) and links[name] != url + suffix
    ]


def page_holds_its_size(page: Any) -> list[Broken]:
    """A page holds at most ``meta.page_size`` Sims."""
    if not isinstance(page, Mapping) or not isinstance(page.get("meta"), Mapping):
        return []
    sims, size = page.get("sims"), page["meta"].get("page_size")
    if isinstance(sims, list) and isinstance(size, int) and not isinstance(size, bool) and len(sims) > size:
        return [Broken("$.sims", "page-size", f"<= {size}", len(sims))]
    return []


def first_page_has_no_previous(page: Any) -> list[Broken]:
    """On page 0, ``meta.previous_page_url`` is null."""
    if not isinstance(page, Mapping) or not isinstance(page.get("meta"), Mapping):
        return []
    meta = page["meta"]
    if meta.get("page") == 0 and meta.get("previous_page_url") is not None:
        return [Broken("$.meta.previous_page_url", "first-page", None, meta["previous_page_url"])]
    return []
