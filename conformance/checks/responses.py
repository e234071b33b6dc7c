"""Response checks: rules every single response of the Sim endpoints must keep.

Each function compares the response with the request that produced it (the SID fetched, the
filters sent, the page size asked for), not just with a schema. They run on every response
of the hand-written scenarios and of the generated (Schemathesis) cases.

``ctx`` is anything with ``base_url`` (the target's base URL, as the client reaches it) and
``profile`` (the target profile, to resolve fleet unique names); see ``conformance.run.target``.
"""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance import contract
from conformance.checks import CHECKS, fail, response_check
from conformance.contract import rules
from conformance.contract.exchange import MAX_BODY_BYTES, Exchange

_SIM_SID = re.compile(r"^HS[0-9a-fA-F]{32}\Z")

SIM_SID = re.compile(r"^HS[0-9a-fA-F]{32}$")
FLEET_SID = re.compile(r"^HF[0-9a-fA-F]{32}$")
LIST_PATH = "/v1/Sims"
INSTANCE_PATH = re.compile(r"^/v1/Sims/([^/]+)$")
DEFAULT_PAGE_SIZE = 50


# --- what kind of response is this? -------------------------------------------------------


def is_list(exchange: Exchange) -> bool:
    return exchange.method == "GET" and exchange.path.rstrip("/") == LIST_PATH


def is_create(exchange: Exchange) -> bool:
    return exchange.method == "POST" and exchange.path.rstrip("/") == LIST_PATH


def instance_key(exchange: Exchange) -> str | None:
    """The SID or unique name in ``/v1/Sims/{key}``, or None for other paths."""
    match = INSTANCE_PATH.match(exchange.path)
    if not match:
        return None
    from urllib.parse import unquote

    return unquote(match.group(1))


def on_sim_surface(exchange: Exchange) -> bool:
    return is_list(exchange) or is_create(exchange) or instance_key(exchange) is not None


def _ok(exchange: Exchange) -> bool:
    return 200 <= exchange.status < 300 and exchange.is_json


def _sims_in(exchange: Exchange) -> list[dict]:
    """The Sim representations a successful response carries (none for other answers)."""
    if not _ok(exchange):
        return []
    body = exchange.json()
    if not isinstance(body, dict):
        return []
    if is_list(exchange):
        sims = body.get("sims")
        return [s for s in sims if isinstance(s, dict)] if isinstance(sims, list) else []
    return [body]


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


# --- body shape ---------------------------------------------------------------------------


@response_check("RESP-JSON", requirements=["SIM-REQ-002"], title="Every answer of the Sim endpoints is a JSON body")
def json_body(ctx, exchange: Exchange) -> None:
    if exchange.oversize and on_sim_surface(exchange):
        # The largest answer the contract allows (a page of 1,000 Sims) is about 0.6 MB.
        fail(
            "RESP-JSON",
            f"the body is larger than any answer of the Sim endpoints can be ({exchange.size_note()}); "
            "the kit stopped reading it",
            expected=f"a JSON body of at most {MAX_BODY_BYTES:,} bytes",
            received=f"{exchange.status} {exchange.content_type or 'no content type'}, {exchange.size_note()}: "
            f"{exchange.excerpt()!r}",
            exchange=exchange,
        )
    if exchange.error or not on_sim_surface(exchange):
        return
    if exchange.status == 204 or exchange.status >= 500:
        return
    if not exchange.is_json:
        fail(
            "RESP-JSON",
            "the body is not JSON",
            expected="a JSON object (application/json)",
            received=f"{exchange.content_type or 'no content type'}: {exchange.excerpt()!r}",
            exchange=exchange,
        )
    if "json" not in exchange.content_type:
        fail(
            "RESP-JSON",
            "JSON body sent with a non-JSON content type",
            expected="Content-Type: application/json",
            received=f"Content-Type: {exchange.content_type}",
            exchange=exchange,
        )


@response_check(
    "RESP-SERVER-ERROR",
    requirements=["SIM-ERR-007"],
    title="No request gets 500 Internal Server Error or 501 Not Implemented",
)
def server_error(ctx, exchange: Exchange) -> None:
    # A 500 or 501 is the server's own bug or gap, never an answer of the contract. 502, 503 and
    # 504 are left alone: a gateway or a service briefly down says nothing about the Sim API.
    if exchange.error or exchange.status not in (500, 501) or not on_sim_surface(exchange):
        return
    fail(
        "RESP-SERVER-ERROR",
        f"the target answered {exchange.status} (a request, valid or not, gets a 2xx or a 4xx, never a 5xx)",
        expected="a 2xx, or a 4xx with Twilio's error body",
        received=f"{exchange.status} {exchange.excerpt()}",
        exchange=exchange,
    )


@response_check(
    "RESP-RATE-LIMIT",
    requirements=["SIM-ERR-006"],
    title="A 429 Too Many Requests says when to retry (Retry-After: seconds or an HTTP date)",
)
def rate_limit(ctx, exchange: Exchange) -> None:
    seen = list(exchange.rate_limited)  # the 429s the client waited out before this answer
    if exchange.status == 429:
        seen.append(exchange.response_headers.get("retry-after"))
    for value in seen:
        if not readable_retry_after(value):
            fail(
                "RESP-RATE-LIMIT",
                "a 429 Too Many Requests did not say when to retry",
                expected="Retry-After: a number of seconds or an HTTP date",
                received="no Retry-After" if value is None else f"Retry-After: {value!r}",
                exchange=exchange,
            )


def readable_retry_after(value: str | None) -> bool:
    """Retry-After as RFC 9110 allows it: delta-seconds (digits) or an HTTP-date."""
    if value is None:
        return False
    value = value.strip()
    if value.isdigit():
        return True
    try:
        return parsedate_to_datetime(value) is not None
    except (TypeError, ValueError, IndexError):
        return False


@response_check(
    "RESP-SIM-SCHEMA",
    requirements=[
        "SIM-PROP-001",
        "SIM-PROP-003",
        "SIM-PROP-004",
        "SIM-PROP-006",
        "SIM-PROP-008",
        "SIM-PROP-009",
        "SIM-PROP-011",
        "SIM-PROP-012",
        "SIM-PROP-013",
        "SIM-PROP-014",
    ],
    title="A Sim representation has every documented property, pattern and format",
)
def sim_schema(ctx, exchange: Exchange) -> None:
    if is_list(exchange) or not (is_create(exchange) or instance_key(exchange)) or not _ok(exchange):
        return
    errors = contract.validate("sim", exchange.json())
    if errors:
        fail(
            "RESP-SIM-SCHEMA",
            f"{len(errors)} schema violation(s) in the Sim",
            expected="a Sim valid against schemas/sim.schema.json",
            received="; ".join(str(e) for e in errors[:5]),
            exchange=exchange,
            requirements=schema_requirements("sim", exchange.json(), "RESP-SIM-SCHEMA"),
        )


@response_check(
    "RESP-PAGE-SCHEMA",
    requirements=[
        "SIM-LIST-001",
        "SIM-LIST-002",
        "SIM-LIST-003",
        "SIM-LIST-004",
        "SIM-LIST-005",
        "SIM-LIST-006",
        "SIM-LIST-007",
        "SIM-LIST-008",
        "SIM-LIST-009",
        "SIM-PAGE-010",
        "SIM-PROP-001",
        "SIM-PROP-008",
    ],
    title="A list page has the sims array and the full meta block, each Sim valid",
)
def page_schema(ctx, exchange: Exchange) -> None:
    if not is_list(exchange) or not _ok(exchange):
        return
    errors = contract.validate("sim-page", exchange.json())
    if errors:
        fail(
            "RESP-PAGE-SCHEMA",
            f"{len(errors)} schema violation(s) in the list page",
            expected="a page valid against schemas/sim-page.schema.json",
            received="; ".join(str(e) for e in errors[:5]),
            exchange=exchange,
            requirements=schema_requirements("sim-page", exchange.json(), "RESP-PAGE-SCHEMA"),
        )


def schema_requirements(kind: str, document: Any, check_id: str) -> list[str] | None:
    """The requirements a schema-invalid document breaks, of those the check guards (None: all).

    A wrong ``sid`` pattern breaks SIM-PROP-001, not the ten property rules RESP-SIM-SCHEMA
    guards; the validators know which property each problem is about.
    """
    from conformance.contract.validators import problems

    guarded = set(CHECKS[check_id].requirements)
    found = {r for problem in problems(kind, document) for r in problem.requirements if r in guarded}
    return sorted(found) or None


@response_check(
    "RESP-ERROR-BODY",
    requirements=["SIM-ERR-002"],
    title="Every 4xx answer carries Twilio's error body with a matching status",
)
def error_body(ctx, exchange: Exchange) -> None:
    if exchange.error or not (400 <= exchange.status < 500) or not on_sim_surface(exchange):
        return
    body = exchange.json() if exchange.is_json else None
    errors = contract.validate("error", body) if body is not None else ["not JSON"]
    if body is None or errors:
        fail(
            "RESP-ERROR-BODY",
            f"the {exchange.status} answer is not Twilio's error body",
            expected='{"code": int, "message": str, "more_info": absolute URL, "status": int}',
            received=exchange.excerpt(),
            exchange=exchange,
        )
    if body.get("status") != exchange.status:
        fail(
            "RESP-ERROR-BODY",
            "the error body's status differs from the HTTP status",
            expected=exchange.status,
            received=body.get("status"),
            exchange=exchange,
        )


# --- identity and URLs --------------------------------------------------------------------


@response_check(
    "RESP-SIM-URL",
    requirements=["SIM-PROP-013", "SIM-PROP-014"],
    title="url is the Sim's own absolute URL on the target; links point at its sub-resources",
)
def sim_urls(ctx, exchange: Exchange) -> None:
    for sim in _sims_in(exchange):
        if not isinstance(sim.get("sid"), str) or not _SIM_SID.match(sim["sid"]):
            continue  # a url compared with a malformed sid says nothing new: RESP-*-SCHEMA has it
        for broken in rules.own_url(sim, base_url=ctx.base_url):
            fail(
                "RESP-SIM-URL",
                "url is not the Sim's own absolute URL on the target",
                expected=broken.expected,
                received=broken.received,
                exchange=exchange,
                requirements=["SIM-PROP-013"],
            )
        for broken in rules.sub_resource_links(sim):
            name = broken.path.rsplit(".", 1)[-1]
            fail(
                "RESP-SIM-URL",
                f"links.{name} does not point at the Sim's sub-resource",
                expected=broken.expected,
                received=broken.received,
                exchange=exchange,
                requirements=["SIM-PROP-014"],
            )


@response_check(
    "RESP-SIM-DATES",
    requirements=["SIM-PROP-011", "SIM-PROP-012"],
    title="date_updated is never earlier than date_created",
)
def sim_dates(ctx, exchange: Exchange) -> None:
    for sim in _sims_in(exchange):
        for broken in rules.date_order(sim):  # malformed or offset-less dates are the schema check's
            fail(
                "RESP-SIM-DATES",
                "date_updated is earlier than date_created",
                expected=broken.expected,
                received=broken.received,
                exchange=exchange,
            )


@response_check(
    "RESP-FETCH-IDENTITY",
    requirements=["SIM-ADDR-001", "SIM-ADDR-002", "SIM-ADDR-003", "SIM-FETCH-002"],
    title="Fetching or updating /v1/Sims/{key} answers with the Sim that key names",
)
def fetched_identity(ctx, exchange: Exchange) -> None:
    key = instance_key(exchange)
    if key is None or not _ok(exchange) or not isinstance(exchange.json(), dict):
        return
    sim = exchange.json()
    if SIM_SID.match(key):
        if str(sim.get("sid", "")).lower() != key.lower():
            fail(
                "RESP-FETCH-IDENTITY",
                "the answer is a different Sim than the SID requested",
                expected=f"sid {key}",
                received=f"sid {sim.get('sid')}",
                exchange=exchange,
            )
    else:
        allowed: set[str | None] = {key}  # a Sim without a name is never the Sim a name addresses
        if exchange.method == "POST" and "UniqueName" in exchange.form_dict:
            renamed = exchange.form_dict["UniqueName"]  # renamed (or, with an empty value, unnamed) by this update
            allowed.add(renamed or None)
        if sim.get("unique_name") not in allowed:
            fail(
                "RESP-FETCH-IDENTITY",
                "the answer is not the Sim with the unique name requested",
                expected=f"unique_name {key!r}",
                received=f"unique_name {sim.get('unique_name')!r}",
                exchange=exchange,
            )


@response_check(
    "RESP-ACCOUNT",
    requirements=["SIM-PROP-005", "SIM-AUTH-004"],
    title="A list answers only with Sims of the requesting account",
)
def list_account(ctx, exchange: Exchange) -> None:
    if not is_list(exchange) or not exchange.account_sid:
        return
    for sim in _sims_in(exchange):
        if sim.get("account_sid") != exchange.account_sid:
            fail(
                "RESP-ACCOUNT",
                "the list shows a Sim of another account",
                expected=f"account_sid {exchange.account_sid}",
                received=f"{sim.get('sid')} of {sim.get('account_sid')}",
                exchange=exchange,
            )


# --- list pages ---------------------------------------------------------------------------


def _requested_page_size(exchange: Exchange) -> int | None:
    raw = exchange.query.get("PageSize")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        return int(raw)
    except ValueError:
        return None


@response_check(
    "RESP-PAGE-META",
    requirements=["SIM-PAGE-001", "SIM-PAGE-002", "SIM-LIST-002", "SIM-LIST-009", "SIM-LIST-010", "SIM-PAGE-009"],
    title="meta agrees with the request: page size, key, filters kept, previous_page_url null on page 0",
)
def page_meta(ctx, exchange: Exchange) -> None:
    if not is_list(exchange) or not _ok(exchange):
        return
    body = exchange.json()
    meta = body.get("meta") if isinstance(body, dict) else None
    if not isinstance(meta, dict):
        return  # the schema check reports it
    asked = _requested_page_size(exchange)
    if asked is not None and 1 <= asked <= 1000 and meta.get("page_size") != asked:
        fail(
            "RESP-PAGE-META",
            "meta.page_size differs from the PageSize requested (default 50)",
            expected=asked,
            received=meta.get("page_size"),
            exchange=exchange,
        )
    for broken in rules.page_holds_its_size(body):
        fail(
            "RESP-PAGE-META",
            "the page holds more Sims than its page size",
            expected=broken.expected,
            received=broken.received,
            exchange=exchange,
        )
    key = meta.get("key")
    if key != "sims" or (isinstance(body, dict) and key not in body):
        fail(
            "RESP-PAGE-META",
            "meta.key does not name the array of Sims",
            expected="sims",
            received=key,
            exchange=exchange,
        )
    sent_filters = {k: v for k, v in exchange.query.items() if k in ("Status", "Fleet", "Iccid")}
    for field in ("url", "first_page_url", "next_page_url", "previous_page_url"):
        url = meta.get(field)
        if not isinstance(url, str):
            continue
        kept = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        lost = {k: v for k, v in sent_filters.items() if kept.get(k) != v}
        if lost:
            fail(
                "RESP-PAGE-META",
                f"meta.{field} drops or changes the request's filters",
                expected=sent_filters,
                received=url,
                exchange=exchange,
            )
    # Only a page asked for without a PageToken is the first page: a page reached by going back
    # says page 0 too, yet may have Sims before it when the list changed meanwhile.
    first_page = [] if "PageToken" in exchange.query else rules.first_page_has_no_previous(body)
    for broken in first_page:
        fail(
            "RESP-PAGE-META",
            "previous_page_url is not null on the first page",
            expected=broken.expected,
            received=broken.received,
            exchange=exchange,
            requirements=["SIM-PAGE-009"],  # a SHOULD: the Sim page's own example shows one
        )


@response_check(
    "RESP-PAGE-HOST",
    requirements=["SIM-PAGE-010", "SIM-LIST-010"],
    title="Page URLs in meta are absolute and on the target's own host",
)
def page_hosts(ctx, exchange: Exchange) -> None:
    if not is_list(exchange) or not _ok(exchange):
        return
    meta = exchange.json().get("meta") if isinstance(exchange.json(), dict) else None
    if not isinstance(meta, dict):
        return
    target = _origin(ctx.base_url)
    for field in ("url", "first_page_url", "next_page_url", "previous_page_url"):
        url = meta.get(field)
        if isinstance(url, str) and _origin(url) != target:
            fail(
                "RESP-PAGE-HOST",
                f"meta.{field} is not an absolute URL on the target (it will not be followed)",
                expected=f"{target[0]}://{target[1]}/v1/Sims?...",
                received=url,
                exchange=exchange,
            )


# --- filters ------------------------------------------------------------------------------


@response_check(
    "RESP-FILTER-ICCID",
    requirements=["SIM-FILTER-005", "SIM-FILTER-006"],
    title="The Iccid filter answers zero or one Sim, with that ICCID",
)
def iccid_filter(ctx, exchange: Exchange) -> None:
    iccid = exchange.query.get("Iccid")
    if not is_list(exchange) or iccid is None or not _ok(exchange):
        return
    sims = _sims_in(exchange)
    if len(sims) > 1:
        fail(
            "RESP-FILTER-ICCID",
            "the Iccid filter returned more than one Sim",
            expected="zero or one Sims",
            received=[s.get("sid") for s in sims],
            exchange=exchange,
        )
    for sim in sims:
        if sim.get("iccid") != iccid:
            fail(
                "RESP-FILTER-ICCID",
                "the Iccid filter returned a Sim with another ICCID",
                expected=iccid,
                received=sim.get("iccid"),
                exchange=exchange,
            )


@response_check(
    "RESP-FILTER-STATUS", requirements=["SIM-FILTER-001"], title="The Status filter answers only Sims in that status"
)
def status_filter(ctx, exchange: Exchange) -> None:
    status = exchange.query.get("Status")
    if not is_list(exchange) or status is None or not _ok(exchange):
        return
    wrong = [(s.get("sid"), s.get("status")) for s in _sims_in(exchange) if s.get("status") != status]
    if wrong:
        fail(
            "RESP-FILTER-STATUS",
            f"the Status={status} filter returned Sims in other statuses",
            expected=f"every status == {status}",
            received=wrong[:5],
            exchange=exchange,
        )


@response_check(
    "RESP-FILTER-FLEET",
    requirements=["SIM-FILTER-003", "SIM-FILTER-004"],
    title="The Fleet filter (SID or unique name) answers only Sims of that Fleet",
)
def fleet_filter(ctx, exchange: Exchange) -> None:
    fleet = exchange.query.get("Fleet")
    if not is_list(exchange) or not fleet or not _ok(exchange):
        return
    # A Fleet SID is a SID only by its whole pattern: "HF-north" is a unique name like any other.
    fleet_sid = fleet if FLEET_SID.match(fleet) else ctx.fleet_sid_for(fleet)
    if fleet_sid is None:
        return  # a unique name the profile does not know: nothing to compare with
    wrong = [(s.get("sid"), s.get("fleet_sid")) for s in _sims_in(exchange) if s.get("fleet_sid") != fleet_sid]
    if wrong:
        fail(
            "RESP-FILTER-FLEET",
            f"the Fleet={fleet} filter returned Sims of other fleets",
            expected=f"every fleet_sid == {fleet_sid}",
            received=wrong[:5],
            exchange=exchange,
        )


# --- create -------------------------------------------------------------------------------


@response_check(
    "RESP-CREATE",
    requirements=["SIM-CREATE-001", "SIM-CREATE-005", "SIM-CREATE-006"],
    title="A registration answers 201 with a new Sim: status new, no fleet, the ICCID sent",
)
def created_sim(ctx, exchange: Exchange) -> None:
    if not is_create(exchange) or not (200 <= exchange.status < 300):
        return
    if exchange.status != 201:
        fail(
            "RESP-CREATE",
            "a successful registration did not answer 201 Created",
            expected=201,
            received=exchange.status,
            exchange=exchange,
        )
    sim = exchange.json() if exchange.is_json else {}
    if not isinstance(sim, dict):
        return
    observed = {"status": sim.get("status"), "fleet_sid": sim.get("fleet_sid"), "iccid": sim.get("iccid")}
    wanted = {"status": "new", "fleet_sid": None, "iccid": exchange.form_dict.get("Iccid")}
    if "Iccid" not in exchange.form_dict:
        # sent as something else than form pairs (a JSON body, say): which ICCID the target read
        # is not this check's to judge; accepting such a body at all is SCN-CREATE-JSON's
        del observed["iccid"], wanted["iccid"]
    if observed != wanted:
        fail(
            "RESP-CREATE",
            "the registered Sim is not new, fleetless, with the ICCID sent",
            expected=wanted,
            received=observed,
            exchange=exchange,
        )
