"""Turning Sim snapshots and pages into the JSON documents the API returns, and into their bytes.

Every URL is absolute and built from the base URL the *request* arrived at (so a proxy in
front of the mock, or a client following ``next_page_url`` verbatim, stays on the mock).
The URL-shaped planted faults live here and nowhere else.

:func:`encode` is the one JSON encoder of the Twilio surface (the same bytes Starlette's
``JSONResponse`` would send). :func:`sim_bytes` and :func:`page_bytes` are the encoded forms
of :func:`sim_json` and :func:`page_json`, byte for byte, built from memoised per-Sim
encodings: encoding is most of the cost of a list page, and most Sims do not change between
two requests.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from conformance.mock.clock import iso
from conformance.mock.model import ListQuery, PageResult, SimView

EVIL_BASE = "http://evil.example.invalid"
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
#: Encoded Sims :func:`sim_bytes` remembers (a few full 1,000-Sim pages).
SIM_CACHE_SIZE = 4096
#: List page URLs :func:`list_url` remembers.
URL_CACHE_SIZE = 256
#: Distinct (scheme, forwarding headers, Host, socket) combinations :func:`base_url_of` remembers.
BASE_CACHE_SIZE = 256

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def encode(document: Any) -> bytes:
    """Compact UTF-8 JSON, exactly as Starlette's ``JSONResponse`` renders a document."""
    return _ENCODER.encode(document).encode("utf-8")


def base_url(scheme: str, headers: dict[str, str], server: tuple[str, int | None] | None) -> str:
    """``scheme://host`` the client used: X-Forwarded-Proto/-Host first, then Host, then the socket.

    ``headers`` are the request's headers with lower-case names.
    """
    return base_url_of(
        scheme,
        headers.get("x-forwarded-proto", ""),
        headers.get("x-forwarded-host", ""),
        headers.get("host", ""),
        tuple(server) if server is not None else None,
    )


@lru_cache(maxsize=BASE_CACHE_SIZE)
def base_url_of(
    scheme: str, forwarded_proto: str, forwarded_host: str, host: str, server: tuple[str, int | None] | None
) -> str:
    """:func:`base_url` from the three header values ("" when absent) and the socket.

    Header values that do not look like a host (or a scheme) are ignored, so a hostile
    header cannot inject a path or a second URL into the links the mock hands out.
    Memoised: a client sends the same few values on every request, and checking them
    cost about as much as finding the Sim.
    """
    proto = forwarded_proto.split(",")[0].strip().lower()
    if proto not in ("http", "https"):
        proto = scheme if scheme in ("http", "https") else "http"
    for candidate in (forwarded_host.split(",")[0].strip(), host.strip()):
        if candidate and _HOST.match(candidate):
            return f"{proto}://{candidate}"
    if server is not None:
        address, port = server
        address = f"[{address}]" if ":" in address else address
        return f"{proto}://{address}" + (f":{port}" if port else "")
    return f"{proto}://localhost"


def sim_url(base: str, sid: str, faults: frozenset[str]) -> str:
    root = "" if "relative-urls" in faults else base
    return f"{root}/v1/Sims/{sid}"


def sim_json(sim: SimView, base: str, faults: frozenset[str] = frozenset()) -> dict[str, Any]:
    """One Sim instance, in the documentation's property order."""
    url = sim_url(base, sim.sid, faults)
    sid = "hs" + sim.sid[2:] if "lowercase-sid-prefix" in faults else sim.sid
    stamp = iso_zero_offset if "dates-zero-offset" in faults else iso  # a benign variation
    document = {
        "sid": sid,
        "account_sid": sim.account_sid,
        "unique_name": sim.unique_name,
        "status": sim.status,
        "fleet_sid": sim.fleet_sid,
        "iccid": int(sim.iccid) if "iccid-as-number" in faults and sim.iccid.isdigit() else sim.iccid,
        "date_created": stamp(sim.date_created),
        "date_updated": stamp(sim.date_created - timedelta(days=1))
        if "date-updated-before-created" in faults
        else stamp(sim.date_updated),
        "url": url,
        "links": {"billing_periods": url + "/BillingPeriods", "sim_ip_addresses": url + "/IpAddresses"},
    }
    return _benign(document, faults, {"eid": None, "data_usage_hint": "not part of the contract"})


def iso_zero_offset(moment: datetime) -> str:
    """:func:`iso` with the zero offset written ``+00:00`` (the ``dates-zero-offset`` variation)."""
    return iso(moment).removesuffix("Z") + "+00:00"


def _benign(document: dict[str, Any], faults: frozenset[str], extra: dict[str, Any]) -> dict[str, Any]:
    """The benign variations that change an object's shape: extra properties, reversed key order."""
    if "extra-properties" in faults:
        document = {**document, **extra}
    if "reordered-keys" in faults:
        document = dict(reversed(list(document.items())))
    return document


@lru_cache(maxsize=URL_CACHE_SIZE)
def list_url(base: str, query: ListQuery, page: int, token: str | None, faults: frozenset[str]) -> str:
    """A list page URL: the filters as the client gave them, then PageSize, Page, PageToken.

    Memoised (``urlencode`` was a tenth of a 50-Sim page): each page carries three or four of
    these, and a client walking or re-reading a list asks for the same ones again.
    """
    root = "" if "relative-urls" in faults else base
    params: list[tuple[str, str]] = []
    for name, value in (("Status", query.status), ("Fleet", query.fleet), ("Iccid", query.iccid)):
        if value is not None:
            params.append((name, value))
    params += [("PageSize", str(query.page_size)), ("Page", str(page))]
    if token and "page-token-with-plus" in faults:  # the token's "+" written raw, not as %2B
        return f"{root}/v1/Sims?{urlencode(params)}&PageToken={token}"
    if token:
        params.append(("PageToken", token))
    return f"{root}/v1/Sims?{urlencode(params)}"


@lru_cache(maxsize=SIM_CACHE_SIZE)
def sim_bytes(sim: SimView, base: str, faults: frozenset[str] = frozenset()) -> bytes:
    """:func:`sim_json`, encoded.

    Memoised on the snapshot itself: a :class:`SimView` is immutable and holds every field
    that is rendered, so equal views (with the same base URL and faults) encode to the same
    bytes, and a changed Sim is a different key.
    """
    return encode(sim_json(sim, base, faults))


def page_json(result: PageResult, query: ListQuery, base: str, faults: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A list page with the meta block exactly as the documentation shows it."""
    page = {
        "meta": page_meta(result, query, base, faults),
        "sims": [_listed(sim_json(sim, base, faults), faults) for sim in result.sims],
    }
    return dict(reversed(list(page.items()))) if "reordered-keys" in faults else page


def page_bytes(result: PageResult, query: ListQuery, base: str, faults: frozenset[str] = frozenset()) -> bytes:
    """``encode(page_json(...))``, byte for byte, from the memoised encodings of its Sims."""
    if _LISTED_FAULTS & faults:
        return encode(page_json(result, query, base, faults))
    sims = b",".join([sim_bytes(sim, base, faults) for sim in result.sims])
    meta = encode(page_meta(result, query, base, faults))
    if "reordered-keys" in faults:  # a benign variation
        return b'{"sims":[' + sims + b'],"meta":' + meta + b"}"
    return b'{"meta":' + meta + b',"sims":[' + sims + b"]}"


def page_meta(result: PageResult, query: ListQuery, base: str, faults: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The meta block of a list page: its own, first, next and previous page URLs."""
    here = list_url(base, query, query.page, query.page_token, faults)
    if faults & _META_FAULTS:
        return _planted_meta(result, query, base, faults)
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
    meta = {
        "first_page_url": list_url(base, query, 0, None, faults),
        "key": "items" if "meta-key-wrong" in faults else "sims",
        "next_page_url": next_url,
        "page": query.page,
        "page_size": query.page_size,
        "previous_page_url": previous_url,
        "url": here,
    }
    return _benign(meta, faults, {"total_hint": None})


#: Planted faults of the Sims a page lists (they are rendered without the memoised encodings).
_LISTED_FAULTS = frozenset({"list-sims-without-links", "list-sims-unique-name-null"})

#: Planted faults of the meta block, rendered by :func:`_planted_meta` (the correct one stays simple).
_META_FAULTS = frozenset(
    {
        "previous-page-is-same-page",
        "first-page-url-keeps-token",
        "first-page-url-drops-filters",
        "meta-url-is-first-page",
        "meta-url-page-off-by-one",
        "meta-page-always-0",
        "meta-page-counts-from-1",
        "meta-page-size-default",
        "links-drop-filters",
        "links-drop-page-size",
        "later-page-links-other-scheme",
        "meta-key-missing-after-first-page",
        "previous-link-on-first-page",
    }
)


def _listed(document: dict[str, Any], faults: frozenset[str]) -> dict[str, Any]:
    """A Sim as a list page shows it: the Sim itself, unless a planted fault abbreviates it."""
    if "list-sims-without-links" in faults:
        document = {k: v for k, v in document.items() if k != "links"}
    if "list-sims-unique-name-null" in faults:
        document = {**document, "unique_name": None}
    return document


def _planted_meta(result: PageResult, query: ListQuery, base: str, faults: frozenset[str]) -> dict[str, Any]:
    """The meta block with the planted faults of :data:`_META_FAULTS` (and the others) applied."""
    later = query.page_token is not None
    if later and "later-page-links-other-scheme" in faults:
        scheme, rest = base.split("://", 1)
        base = ("http" if scheme == "https" else "https") + "://" + rest
    unfiltered = ListQuery(page_size=query.page_size, page=query.page, page_token=query.page_token)
    linked = unfiltered if "links-drop-filters" in faults else query

    def link(page: int, token: str) -> str:
        url = list_url(base, linked, page, token, faults)
        if "links-drop-page-size" in faults:
            url = url.replace(f"PageSize={query.page_size}&", "")
        return url

    here = list_url(base, query, query.page, query.page_token, faults)
    next_url = None
    if result.next_token:
        next_url = here if "next-page-loops" in faults else link(query.page + 1, result.next_token)
        if "next-page-other-host" in faults:
            next_url = list_url(EVIL_BASE, query, query.page + 1, result.next_token, faults)
    previous_url = None
    if result.previous_token:
        previous_url = (
            here if "previous-page-is-same-page" in faults else link(max(query.page - 1, 0), result.previous_token)
        )
    if previous_url is None and not later and "previous-link-on-first-page" in faults:
        previous_url = list_url(base, linked, 0, None, faults)
    first = list_url(
        base,
        unfiltered if "first-page-url-drops-filters" in faults else query,
        0,
        query.page_token if "first-page-url-keeps-token" in faults else None,
        faults,
    )
    if "meta-url-is-first-page" in faults:
        here = list_url(base, query, 0, None, faults)
    elif "meta-url-page-off-by-one" in faults:
        here = list_url(base, query, query.page + 1, query.page_token, faults)
    page = query.page
    if "meta-page-always-0" in faults:
        page = 0
    elif "meta-page-counts-from-1" in faults:
        page = query.page + 1
    meta: dict[str, Any] = {
        "first_page_url": first,
        "key": "items" if "meta-key-wrong" in faults else "sims",
        "next_page_url": next_url,
        "page": page,
        "page_size": 50 if "meta-page-size-default" in faults else query.page_size,
        "previous_page_url": previous_url,
        "url": here,
    }
    if later and "meta-key-missing-after-first-page" in faults:
        del meta["key"]
    return _benign(meta, faults, {"total_hint": None})
