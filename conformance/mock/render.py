"""Turning Sim snapshots and pages into the JSON documents the API returns.

Every URL is absolute and built from the base URL the *request* arrived at (so a proxy in
front of the mock, or a client following ``next_page_url`` verbatim, stays on the mock).
The URL-shaped planted faults live here and nowhere else.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from conformance.mock.clock import iso
from conformance.mock.model import ListQuery, PageResult, SimView

EVIL_BASE = "http://evil.example.invalid"
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def base_url(scheme: str, headers: dict[str, str], server: tuple[str, int | None] | None) -> str:
    """``scheme://host`` the client used: X-Forwarded-Proto/-Host first, then Host, then the socket.

    Header values that do not look like a host (or a scheme) are ignored, so a hostile
    header cannot inject a path or a second URL into the links the mock hands out.
    """
    proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    if proto not in ("http", "https"):
        proto = scheme if scheme in ("http", "https") else "http"
    for candidate in (headers.get("x-forwarded-host", "").split(",")[0].strip(), headers.get("host", "").strip()):
        if candidate and _HOST.match(candidate):
            return f"{proto}://{candidate}"
    if server is not None:
        host, port = server
        host = f"[{host}]" if ":" in host else host
        return f"{proto}://{host}" + (f":{port}" if port else "")
    return f"{proto}://localhost"


def sim_url(base: str, sid: str, faults: frozenset[str]) -> str:
    root = "" if "relative-urls" in faults else base
    return f"{root}/v1/Sims/{sid}"


def sim_json(sim: SimView, base: str, faults: frozenset[str] = frozenset()) -> dict[str, Any]:
    """One Sim instance, in the documentation's property order."""
    url = sim_url(base, sim.sid, faults)
    sid = "hs" + sim.sid[2:] if "lowercase-sid-prefix" in faults else sim.sid
    return {
        "sid": sid,
        "account_sid": sim.account_sid,
        "unique_name": sim.unique_name,
        "status": sim.status,
        "fleet_sid": sim.fleet_sid,
        "iccid": sim.iccid,
        "date_created": iso(sim.date_created),
        "date_updated": iso(sim.date_updated),
        "url": url,
        "links": {"billing_periods": url + "/BillingPeriods", "sim_ip_addresses": url + "/IpAddresses"},
    }


def list_url(base: str, query: ListQuery, page: int, token: str | None, faults: frozenset[str]) -> str:
    """A list page URL: the filters as the client gave them, then PageSize, Page, PageToken."""
    root = "" if "relative-urls" in faults else base
    params: list[tuple[str, str]] = []
    for name, value in (("Status", query.status), ("Fleet", query.fleet), ("Iccid", query.iccid)):
        if value is not None:
            params.append((name, value))
    params += [("PageSize", str(query.page_size)), ("Page", str(page))]
    if token:
        params.append(("PageToken", token))
    return f"{root}/v1/Sims?{urlencode(params)}"


def page_json(result: PageResult, query: ListQuery, base: str, faults: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A list page with the meta block exactly as the documentation shows it."""
    here = list_url(base, query, query.page, query.page_token, faults)
    next_url = None
    if result.next_token:
        if "next-page-loops" in faults:
            next_url = here
        else:
            next_base = EVIL_BASE if "next-page-other-host" in faults else base
            next_url = list_url(next_base, query, query.page + 1, result.next_token, faults)
    previous_url = None
    if result.previous_token:
        previous_url = list_url(base, query, max(query.page - 1, 0), result.previous_token, faults)
    return {
        "meta": {
            "first_page_url": list_url(base, query, 0, None, faults),
            "key": "items" if "meta-key-wrong" in faults else "sims",
            "next_page_url": next_url,
            "page": query.page,
            "page_size": query.page_size,
            "previous_page_url": previous_url,
            "url": here,
        },
        "sims": [sim_json(sim, base, faults) for sim in result.sims],
    }
