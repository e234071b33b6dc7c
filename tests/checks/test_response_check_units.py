"""Unit tests of every response check, one hand-built exchange at a time (like jsonschema's keywords).

Each registered ``RESP-*`` check has rows in two tables: ``BREAKS`` (an exchange that breaks
exactly that check's rule: the check raises a ``Violation`` with its own ID and requirements)
and ``PASSES`` (a correct Twilio answer, or an answer the check must leave alone: no exception).
No server and no network: the exchanges and the ``ctx`` stand-in are built here.

A row may name ``also``: the other checks the same exchange rightly trips (a relative URL is a
schema error too). Each exchange is also run through every response check, so a row that trips
an unexpected check fails: the row then does not test what its id says.

``test_every_response_check_has_unit_cases`` fails when a check is registered without a
breaking and a passing row, so a new check cannot land without unit tests.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest

from conformance.checks import (
    CHECKS,
    Violation,
    load_all,
    response_checks,
    run_response_checks,
)
from conformance.contract.exchange import Exchange
from conformance.profile import Fleet, Profile, check_profile, default_profile

load_all()

# --- the target and its data -------------------------------------------------------------------

LIVE = "https://supersim.twilio.com"
LOCAL = "http://127.0.0.1:8080"
PROFILE = default_profile()
ACCOUNT = PROFILE.primary.sid
SUBACCOUNT = PROFILE.subaccounts[0].sid
FLEET_A, FLEET_B = PROFILE.fleets_of(ACCOUNT)[:2]
CARD = PROFILE.registrable[0]

SID_1 = "HS" + "1a" * 16
SID_2 = "HS" + "2b" * 16
SID_3 = "HS" + "3c" * 16
ICCID_1 = "89883070000123456781"
ICCID_2 = "89883070000123456782"
ICCID_3 = "89883070000123456783"
JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Ctx:
    """What a check sees of the target: its base URL and profile (cf. ``conformance.run.target``)."""

    base_url: str = LIVE
    profile: Profile = PROFILE

    def fleet_sid_for(self, name: str) -> str | None:
        for fleet in self.profile.fleets:
            if fleet.unique_name == name or fleet.sid == name:
                return fleet.sid
        return None


def sim(sid: str = SID_1, *, base: str = LIVE, drop: tuple[str, ...] = (), **over: Any) -> dict:
    """A correct Sim representation (schemas/sim.schema.json), with ``over`` replacing properties."""
    url = over.pop("url", f"{base}/v1/Sims/{sid}")
    body = {
        "sid": sid,
        "unique_name": "pump-7",
        "account_sid": ACCOUNT,
        "iccid": ICCID_1,
        "status": "active",
        "fleet_sid": FLEET_A.sid,
        "date_created": "2026-01-02T03:04:05Z",
        "date_updated": "2026-01-03T04:05:06Z",
        "url": url,
        "links": {"billing_periods": f"{url}/BillingPeriods", "sim_ip_addresses": f"{url}/IpAddresses"},
    }
    body.update(over)
    for name in drop:
        del body[name]
    return body


def page(
    sims: list,
    query: dict | None = None,
    *,
    base: str = LIVE,
    page_no: int = 0,
    more: bool = False,
    drop: tuple[str, ...] = (),
    **meta_over: Any,
) -> dict:
    """A correct list page for a GET /v1/Sims with ``query`` (filters kept in every meta URL)."""
    query = dict(query or {})
    size = int(query.pop("PageSize", 50))
    filters = {k: v for k, v in query.items() if k in ("Status", "Fleet", "Iccid")}

    def at(number: int, token: str | None = None) -> str:
        params = {**filters, "PageSize": size, "Page": number}
        if token:
            params["PageToken"] = token
        return f"{base}/v1/Sims?{urlencode(params)}"

    meta = {
        "first_page_url": at(0),
        "key": "sims",
        "next_page_url": at(page_no + 1, f"PA{SID_2}") if more else None,
        "page": page_no,
        "page_size": size,
        "previous_page_url": at(page_no - 1, f"PB{SID_1}") if page_no > 0 else None,
        "url": at(page_no),
    }
    meta.update(meta_over)
    for name in drop:
        del meta[name]
    return {"sims": sims, "meta": meta}


def exchange(
    method: str,
    target: str,
    *,
    status: int = 200,
    body: Any = None,
    text: str | None = None,
    form: dict | None = None,
    account: str | None = ACCOUNT,
    content_type: str | None = JSON_TYPE,
    base: str = LIVE,
    **fields: Any,
) -> Exchange:
    """One request to ``base + target`` and its answer (``body`` sent as JSON unless ``text``)."""
    if text is None:
        text = json.dumps(body) if body is not None else ""
    headers = {"content-type": content_type} if content_type else {}
    return Exchange(
        method=method,
        url=base + target,
        account_sid=account,
        form=list((form or {}).items()),
        status=status,
        response_headers=headers,
        text=text,
        **fields,
    )


def get(target: str, body: Any = None, **kw: Any) -> Exchange:
    return exchange("GET", target, body=body, **kw)


def post(target: str, form: dict, body: Any = None, **kw: Any) -> Exchange:
    return exchange("POST", target, form=form, body=body, **kw)


def error(code: int, status: int, message: str = "The requested resource was not found") -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def list_of(query: dict, sims: list, **page_kw: Any) -> Exchange:
    """GET /v1/Sims?query answered with a correct page holding ``sims``."""
    base = page_kw.get("base", LIVE)
    target = "/v1/Sims" + (f"?{urlencode(query)}" if query else "")
    return get(target, page(sims, query, **page_kw), base=base)


REGISTER = {"Iccid": CARD.iccid, "RegistrationCode": CARD.registration_code}
NEW_SIM = sim(
    iccid=CARD.iccid,
    status="new",
    fleet_sid=None,
    unique_name=None,
    date_created="2026-02-01T10:00:00Z",
    date_updated="2026-02-01T10:00:00Z",
)

#: A profile whose fleet has a valid unique name that happens to start with "HF".
HF_NAMED_FLEET = Fleet(sid="HF" + "4d" * 16, account=ACCOUNT, unique_name="HF-north")
HF_PROFILE = dataclasses.replace(PROFILE, fleets=PROFILE.fleets + (HF_NAMED_FLEET,))


# --- the tables --------------------------------------------------------------------------------


@dataclass
class Row:
    check_id: str
    what: str
    exchange: Exchange
    ctx: Ctx = field(default_factory=Ctx)
    also: frozenset[str] = frozenset()
    """Other checks this exchange rightly trips when every check runs on it."""
    xfail: str | None = None
    """Why this row fails today (a bug of the check, reported, not fixed here)."""
    raises: type[BaseException] | None = None
    """What the xfail row raises today (None: any failure)."""

    @property
    def id(self) -> str:
        return f"{self.check_id}:{self.what}"

    def param(self):
        marks = [pytest.mark.xfail(strict=True, reason=self.xfail, raises=self.raises)] if self.xfail else []
        return pytest.param(self, id=self.id, marks=marks)


def row(check_id: str, what: str, ex: Exchange, *, also: tuple[str, ...] = (), **kw: Any) -> Row:
    return Row(check_id, what, ex, also=frozenset(also), **kw)


def with_headers(ex: Exchange, **headers: str) -> Exchange:
    """``ex`` with more response headers (names in lower case, as the client stores them)."""
    ex.response_headers.update(headers)
    return ex


def after_429s(ex: Exchange, *retry_after: str | None) -> Exchange:
    """``ex`` as the answer the client got after waiting out 429s with these Retry-After values."""
    ex.rate_limited.extend(retry_after)
    return ex


BREAKS: list[Row] = [
    # RESP-SERVER-ERROR
    row("RESP-SERVER-ERROR", "500-on-fetch", get(f"/v1/Sims/{SID_1}", status=500, body=error(20500, 500, "Internal"))),
    row("RESP-SERVER-ERROR", "501-on-update", post(f"/v1/Sims/{SID_1}", {"Status": "ready"}, status=501, text="")),
    # RESP-RATE-LIMIT
    row("RESP-RATE-LIMIT", "429-without-retry-after", get("/v1/Sims", status=429, body=error(20429, 429, "Too Many"))),
    row("RESP-RATE-LIMIT", "list-after-a-429-without-retry-after", after_429s(list_of({}, [sim()]), None)),
    row("RESP-RATE-LIMIT", "fetch-after-a-429-saying-soon", after_429s(get(f"/v1/Sims/{SID_1}", sim()), "1", "soon")),
    # RESP-JSON
    row(
        "RESP-JSON",
        "html-body-on-list",
        get("/v1/Sims", text="<html><body>Sims</body></html>", content_type="text/html"),
    ),
    row("RESP-JSON", "json-body-labelled-text-plain", get(f"/v1/Sims/{SID_1}", sim(), content_type="text/plain")),
    row("RESP-JSON", "json-body-without-content-type", get(f"/v1/Sims/{SID_1}", sim(), content_type=None)),
    row("RESP-JSON", "empty-body-on-404", get(f"/v1/Sims/{SID_1}", status=404, text=""), also=("RESP-ERROR-BODY",)),
    row(
        "RESP-JSON",
        "truncated-json-on-create",
        post("/v1/Sims", REGISTER, status=201, text=json.dumps(NEW_SIM)[:-20]),
        also=("RESP-CREATE",),
    ),
    row(
        "RESP-JSON",
        "body-past-the-read-cap",
        get("/v1/Sims", status=200, text='{"sims": [' + "{}, " * 1000, oversize=True),
    ),
    # RESP-SIM-SCHEMA
    row("RESP-SIM-SCHEMA", "lowercase-sid-prefix", get(f"/v1/Sims/{SID_1}", sim("hs" + SID_1[2:]))),
    row("RESP-SIM-SCHEMA", "sid-too-short", get("/v1/Sims/pump-7", sim("HS1234"))),
    row("RESP-SIM-SCHEMA", "missing-fleet_sid", get(f"/v1/Sims/{SID_1}", sim(drop=("fleet_sid",)))),
    row("RESP-SIM-SCHEMA", "missing-links", get(f"/v1/Sims/{SID_1}", sim(drop=("links",)))),
    row("RESP-SIM-SCHEMA", "status-not-in-enum", get(f"/v1/Sims/{SID_1}", sim(status="enabled"))),
    row("RESP-SIM-SCHEMA", "account_sid-pattern", get(f"/v1/Sims/{SID_1}", sim(account_sid="AC123"))),
    row("RESP-SIM-SCHEMA", "iccid-too-short", get(f"/v1/Sims/{SID_1}", sim(iccid="8988307"))),
    row("RESP-SIM-SCHEMA", "date-not-gmt", get(f"/v1/Sims/{SID_1}", sim(date_updated="2026-01-03T05:05:06+01:00"))),
    row(
        "RESP-SIM-SCHEMA",
        "date-unknown-local-offset",
        get(f"/v1/Sims/{SID_1}", sim(date_updated="2026-01-03T05:05:06-00:00")),
    ),
    row(
        "RESP-SIM-SCHEMA",
        "fleet_sid-pattern-on-update",
        post(f"/v1/Sims/{SID_1}", {"Fleet": FLEET_A.unique_name}, sim(fleet_sid=FLEET_A.unique_name)),
    ),
    row(
        "RESP-SIM-SCHEMA",
        "unique_name-number-on-create",
        post("/v1/Sims", REGISTER, {**NEW_SIM, "unique_name": 7}, status=201),
    ),
    # RESP-PAGE-SCHEMA
    row("RESP-PAGE-SCHEMA", "meta-missing-next_page_url", list_of({}, [sim()], drop=("next_page_url",))),
    row("RESP-PAGE-SCHEMA", "meta-missing", get("/v1/Sims", {"sims": [sim()]})),
    row("RESP-PAGE-SCHEMA", "sims-not-an-array", get("/v1/Sims", {**page([]), "sims": {"0": sim()}})),
    row("RESP-PAGE-SCHEMA", "invalid-sim-in-page", list_of({}, [sim(), sim(SID_2, status="enabled")])),
    row("RESP-PAGE-SCHEMA", "page_size-zero", list_of({"PageSize": 0}, [])),
    row("RESP-PAGE-SCHEMA", "negative-page", list_of({}, [], page_no=-1)),
    # RESP-ERROR-BODY
    row(
        "RESP-ERROR-BODY",
        "404-missing-code",
        get(f"/v1/Sims/{SID_1}", status=404, body={k: v for k, v in error(20404, 404).items() if k != "code"}),
    ),
    row(
        "RESP-ERROR-BODY",
        "400-body-says-404",
        post(f"/v1/Sims/{SID_1}", {"Status": "enabled"}, status=400, body=error(20001, 404, "Invalid Status")),
    ),
    row(
        "RESP-ERROR-BODY",
        "422-problem-json",
        get(
            "/v1/Sims?PageSize=0",
            status=422,
            content_type="application/problem+json",
            body={
                "type": "https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY",
                "title": "Invalid request",
                "status": 422,
                "detail": "PageSize must be >= 1",
            },
        ),
    ),
    row(
        "RESP-ERROR-BODY",
        "401-plain-text",
        get("/v1/Sims", status=401, text="Unauthorized", content_type="text/plain", account=None),
        also=("RESP-JSON",),
    ),
    row(
        "RESP-ERROR-BODY",
        "409-relative-more_info",
        post(
            "/v1/Sims",
            REGISTER,
            status=409,
            body={**error(83003, 409, "Already registered"), "more_info": "/docs/errors/83003"},
        ),
    ),
    # RESP-SIM-URL
    row(
        "RESP-SIM-URL",
        "url-on-live-host-from-local-target",
        get(f"/v1/Sims/{SID_1}", sim(base=LIVE), base=LOCAL),
        ctx=Ctx(LOCAL),
    ),
    row("RESP-SIM-URL", "url-by-unique-name", get("/v1/Sims/pump-7", sim(url=f"{LIVE}/v1/Sims/pump-7"))),
    row("RESP-SIM-URL", "url-of-another-sid", get(f"/v1/Sims/{SID_1}", sim(url=f"{LIVE}/v1/Sims/{SID_2}"))),
    row("RESP-SIM-URL", "url-without-version", get(f"/v1/Sims/{SID_1}", sim(url=f"{LIVE}/Sims/{SID_1}"))),
    row(
        "RESP-SIM-URL",
        "billing_periods-wrong-suffix",
        get(
            f"/v1/Sims/{SID_1}",
            {**sim(), "links": {**sim()["links"], "billing_periods": f"{LIVE}/v1/Sims/{SID_1}/BillingPeriod"}},
        ),
    ),
    row(
        "RESP-SIM-URL",
        "sim_ip_addresses-of-another-sim",
        get(
            f"/v1/Sims/{SID_1}",
            {**sim(), "links": {**sim()["links"], "sim_ip_addresses": f"{LIVE}/v1/Sims/{SID_2}/IpAddresses"}},
        ),
    ),
    row(
        "RESP-SIM-URL", "second-sim-of-page-on-other-host", list_of({}, [sim(), sim(SID_2, base="https://example.com")])
    ),
    # RESP-SIM-DATES
    row(
        "RESP-SIM-DATES",
        "updated-a-second-before-created",
        get(f"/v1/Sims/{SID_1}", sim(date_created="2026-01-02T03:04:05Z", date_updated="2026-01-02T03:04:04Z")),
    ),
    row(
        "RESP-SIM-DATES",
        "fraction-earlier",
        get(f"/v1/Sims/{SID_1}", sim(date_created="2026-01-02T03:04:05.500Z", date_updated="2026-01-02T03:04:05Z")),
    ),
    row("RESP-SIM-DATES", "second-sim-of-page", list_of({}, [sim(), sim(SID_2, date_updated="2025-12-31T23:59:59Z")])),
    row(
        "RESP-SIM-DATES",
        "update-answer",
        post(f"/v1/Sims/{SID_1}", {"UniqueName": "pump-7"}, sim(date_updated="2026-01-01T00:00:00Z")),
    ),
    # RESP-FETCH-IDENTITY
    row("RESP-FETCH-IDENTITY", "fetch-by-sid-answers-other-sim", get(f"/v1/Sims/{SID_1}", sim(SID_2))),
    row(
        "RESP-FETCH-IDENTITY",
        "update-by-sid-answers-other-sim",
        post(f"/v1/Sims/{SID_1}", {"Status": "active"}, sim(SID_2, status="scheduled")),
    ),
    row("RESP-FETCH-IDENTITY", "fetch-by-name-answers-other-name", get("/v1/Sims/pump-7", sim(unique_name="pump-8"))),
    row("RESP-FETCH-IDENTITY", "fetch-by-name-answers-unnamed-sim", get("/v1/Sims/pump-7", sim(unique_name=None))),
    row(
        "RESP-FETCH-IDENTITY",
        "rename-answers-third-name",
        post("/v1/Sims/pump-7", {"UniqueName": "pump-9"}, sim(unique_name="pump-10")),
    ),
    # RESP-ACCOUNT
    row("RESP-ACCOUNT", "subaccount-sim-in-primary-list", list_of({}, [sim(), sim(SID_2, account_sid=SUBACCOUNT)])),
    row(
        "RESP-ACCOUNT",
        "every-sim-of-another-account",
        get("/v1/Sims", page([sim(account_sid=SUBACCOUNT)]), account=PROFILE.unrelated.sid),
    ),
    # RESP-PAGE-META
    row(
        "RESP-PAGE-META", "page_size-differs-from-PageSize", get("/v1/Sims?PageSize=5", page([sim()], {"PageSize": 50}))
    ),
    row("RESP-PAGE-META", "default-page_size-not-50", get("/v1/Sims", page([sim()], {"PageSize": 20}))),
    row(
        "RESP-PAGE-META",
        "more-sims-than-page_size",
        list_of({"PageSize": 2}, [sim(), sim(SID_2), sim(SID_3)], more=True),
    ),
    row(
        "RESP-PAGE-META",
        "key-names-other-array",
        get("/v1/Sims", {"items": [sim()], "meta": {**page([])["meta"], "key": "items"}}),
        also=("RESP-PAGE-SCHEMA",),
    ),
    row(
        "RESP-PAGE-META",
        "key-sims-but-body-lacks-it",
        get("/v1/Sims", {"meta": page([])["meta"]}),
        also=("RESP-PAGE-SCHEMA",),
    ),
    row(
        "RESP-PAGE-META",
        "url-drops-Status",
        get("/v1/Sims?Status=active", page([sim()], {"Status": "active"}, url=f"{LIVE}/v1/Sims?PageSize=50&Page=0")),
    ),
    row(
        "RESP-PAGE-META",
        "next_page_url-changes-Fleet",
        get(
            f"/v1/Sims?Fleet={FLEET_A.unique_name}&PageSize=1",
            page(
                [sim()],
                {"Fleet": FLEET_A.unique_name, "PageSize": 1},
                next_page_url=f"{LIVE}/v1/Sims?Fleet={FLEET_B.unique_name}&PageSize=1&Page=1&PageToken=PA{SID_1}",
            ),
        ),
    ),
    row(
        "RESP-PAGE-META",
        "first_page_url-drops-Iccid",
        get(
            f"/v1/Sims?Iccid={ICCID_1}",
            page([sim()], {"Iccid": ICCID_1}, first_page_url=f"{LIVE}/v1/Sims?PageSize=50&Page=0"),
        ),
    ),
    row(
        "RESP-PAGE-META",
        "previous_page_url-drops-Status-on-page-1",
        get(
            "/v1/Sims?Status=active&Page=1&PageToken=PAx",
            page(
                [sim()],
                {"Status": "active"},
                page_no=1,
                previous_page_url=f"{LIVE}/v1/Sims?PageSize=50&Page=0&PageToken=PBx",
            ),
        ),
    ),
    row(
        "RESP-PAGE-META",
        "previous_page_url-not-null-on-page-0",
        list_of({}, [sim()], previous_page_url=f"{LIVE}/v1/Sims?PageSize=50&Page=0"),
    ),
    # RESP-PAGE-HOST
    row(
        "RESP-PAGE-HOST",
        "next_page_url-on-random-host",
        list_of(
            {"PageSize": 1},
            [sim(base=LOCAL)],
            base=LOCAL,
            next_page_url="http://xjq.example.net/v1/Sims?PageSize=1&Page=1",
        ),
        ctx=Ctx(LOCAL),
    ),
    row(
        "RESP-PAGE-HOST",
        "live-host-from-local-target",
        get("/v1/Sims", page([sim(base=LOCAL)], base=LIVE), base=LOCAL),
        ctx=Ctx(LOCAL),
    ),
    row(
        "RESP-PAGE-HOST",
        "first_page_url-https-for-http-target",
        list_of({}, [sim(base=LOCAL)], base=LOCAL, first_page_url="https://127.0.0.1:8080/v1/Sims?PageSize=50&Page=0"),
        ctx=Ctx(LOCAL),
    ),
    row(
        "RESP-PAGE-HOST",
        "url-on-other-port",
        list_of({}, [sim(base=LOCAL)], base=LOCAL, url="http://127.0.0.1:9999/v1/Sims?PageSize=50&Page=0"),
        ctx=Ctx(LOCAL),
    ),
    row(
        "RESP-PAGE-HOST",
        "relative-url",
        list_of({}, [sim()], url="/v1/Sims?PageSize=50&Page=0"),
        also=("RESP-PAGE-SCHEMA",),
    ),
    # RESP-FILTER-ICCID
    row("RESP-FILTER-ICCID", "two-sims-for-one-iccid", list_of({"Iccid": ICCID_1}, [sim(), sim(SID_2, iccid=ICCID_2)])),
    row("RESP-FILTER-ICCID", "sim-with-other-iccid", list_of({"Iccid": ICCID_3}, [sim()])),
    # RESP-FILTER-STATUS
    row(
        "RESP-FILTER-STATUS",
        "ready-sim-in-active-list",
        list_of({"Status": "active"}, [sim(), sim(SID_2, status="ready")]),
    ),
    row(
        "RESP-FILTER-STATUS",
        "filter-ignored",
        list_of({"Status": "inactive"}, [sim(SID_1, status="new"), sim(SID_2, status="ready"), sim(SID_3)]),
    ),
    # RESP-FILTER-FLEET
    row(
        "RESP-FILTER-FLEET",
        "by-sid-answers-other-fleet",
        list_of({"Fleet": FLEET_A.sid}, [sim(), sim(SID_2, fleet_sid=FLEET_B.sid)]),
    ),
    row(
        "RESP-FILTER-FLEET",
        "by-unique-name-answers-other-fleet",
        list_of({"Fleet": FLEET_A.unique_name}, [sim(fleet_sid=FLEET_B.sid)]),
    ),
    row(
        "RESP-FILTER-FLEET",
        "by-unique-name-answers-fleetless-sim",
        list_of({"Fleet": FLEET_A.unique_name}, [sim(), sim(SID_2, fleet_sid=None)]),
    ),
    # RESP-CREATE
    row("RESP-CREATE", "200-instead-of-201", post("/v1/Sims", REGISTER, NEW_SIM, status=200)),
    row("RESP-CREATE", "status-not-new", post("/v1/Sims", REGISTER, {**NEW_SIM, "status": "ready"}, status=201)),
    row("RESP-CREATE", "fleet-assigned", post("/v1/Sims", REGISTER, {**NEW_SIM, "fleet_sid": FLEET_A.sid}, status=201)),
    row("RESP-CREATE", "iccid-not-the-one-sent", post("/v1/Sims", REGISTER, {**NEW_SIM, "iccid": ICCID_3}, status=201)),
]

PASSES: list[Row] = [
    # RESP-JSON
    row("RESP-JSON", "json-sim", get(f"/v1/Sims/{SID_1}", sim())),
    row("RESP-JSON", "json-error-on-404", get(f"/v1/Sims/{SID_1}", status=404, body=error(20404, 404))),
    row(
        "RESP-JSON",
        "5xx-html-not-judged",
        get("/v1/Sims", status=503, text="<html>Service Unavailable</html>", content_type="text/html"),
    ),
    row(
        "RESP-JSON",
        "other-resource-not-judged",
        get("/v1/Fleets", status=200, text="<html></html>", content_type="text/html"),
    ),
    row("RESP-JSON", "no-response-not-judged", get("/v1/Sims", status=0, content_type=None, error="timed out")),
    # RESP-SIM-SCHEMA
    row("RESP-SIM-SCHEMA", "fetch-by-sid", get(f"/v1/Sims/{SID_1}", sim())),
    row("RESP-SIM-SCHEMA", "fetch-by-unique-name", get("/v1/Sims/pump-7", sim())),
    row(
        "RESP-SIM-SCHEMA",
        "unnamed-fleetless-fraction-dates",
        get(
            f"/v1/Sims/{SID_1}",
            sim(
                unique_name=None,
                fleet_sid=None,
                status="new",
                date_created="2026-01-02T03:04:05.123Z",
                date_updated="2026-01-02T03:04:05.123Z",
            ),
        ),
    ),
    row(
        "RESP-SIM-SCHEMA", "update-scheduled", post(f"/v1/Sims/{SID_1}", {"Status": "active"}, sim(status="scheduled"))
    ),
    row("RESP-SIM-SCHEMA", "create", post("/v1/Sims", REGISTER, NEW_SIM, status=201)),
    row("RESP-SIM-SCHEMA", "extra-property-tolerated", get(f"/v1/Sims/{SID_1}", {**sim(), "eid": None})),
    row(
        "RESP-SIM-SCHEMA",
        "dates-with-zero-offset-not-Z",  # GMT written +00:00: correct, though Twilio writes Z
        get(
            f"/v1/Sims/{SID_1}",
            sim(date_created="2026-01-02T03:04:05+00:00", date_updated="2026-01-02T03:04:06.5+00:00"),
        ),
    ),
    row(
        "RESP-SIM-DATES",
        "mixed-Z-and-zero-offset-in-order",
        get(f"/v1/Sims/{SID_1}", sim(date_created="2026-01-02T03:04:05Z", date_updated="2026-01-02T03:04:05+00:00")),
    ),
    # RESP-PAGE-SCHEMA
    row(
        "RESP-PAGE-SCHEMA",
        "filtered-first-page",
        list_of({"Status": "active", "Fleet": FLEET_A.sid}, [sim(), sim(SID_2, iccid=ICCID_2)]),
    ),
    row("RESP-PAGE-SCHEMA", "empty-page-for-unknown-iccid", list_of({"Iccid": ICCID_3}, [])),
    row("RESP-PAGE-SCHEMA", "page-1-of-many", list_of({"PageSize": 1}, [sim(SID_2)], page_no=1, more=True)),
    # RESP-ERROR-BODY
    row("RESP-ERROR-BODY", "404-not-found", get(f"/v1/Sims/{SID_3}", status=404, body=error(20404, 404))),
    row(
        "RESP-ERROR-BODY",
        "401-authenticate",
        get("/v1/Sims", status=401, account=None, body=error(20003, 401, "Authenticate")),
    ),
    row(
        "RESP-ERROR-BODY",
        "400-missing-registration-code",
        post("/v1/Sims", {"Iccid": CARD.iccid}, status=400, body=error(83001, 400, "Missing RegistrationCode")),
    ),
    row(
        "RESP-ERROR-BODY",
        "429-with-details",
        with_headers(
            get("/v1/Sims", status=429, body={**error(20429, 429, "Too Many Requests"), "details": {}}),
            **{"retry-after": "1"},
        ),
    ),
    # RESP-SERVER-ERROR
    row("RESP-SERVER-ERROR", "503-unavailable", get("/v1/Sims", status=503, text="", content_type="text/plain")),
    row("RESP-SERVER-ERROR", "404-unknown", get(f"/v1/Sims/{SID_3}", status=404, body=error(20404, 404))),
    # RESP-RATE-LIMIT
    row(
        "RESP-RATE-LIMIT",
        "429-with-seconds",
        with_headers(get("/v1/Sims", status=429, body=error(20429, 429, "Too Many")), **{"retry-after": "2"}),
    ),
    row(
        "RESP-RATE-LIMIT",
        "list-after-429s-with-seconds-and-an-http-date",
        after_429s(list_of({}, [sim()]), "3", "Wed, 21 Oct 2026 07:28:00 GMT"),
    ),
    # RESP-SIM-URL
    row("RESP-SIM-URL", "live-fetch", get(f"/v1/Sims/{SID_1}", sim())),
    row(
        "RESP-SIM-URL",
        "local-target-with-trailing-slash",
        get(f"/v1/Sims/{SID_1}", sim(base=LOCAL), base=LOCAL),
        ctx=Ctx(LOCAL + "/"),
    ),
    row("RESP-SIM-URL", "fetch-by-name-answers-sid-url", get("/v1/Sims/pump-7", sim())),
    row(
        "RESP-SIM-URL",
        "page-of-local-sims",
        list_of({}, [sim(base=LOCAL), sim(SID_2, base=LOCAL)], base=LOCAL),
        ctx=Ctx(LOCAL),
    ),
    # RESP-SIM-DATES
    row("RESP-SIM-DATES", "equal-dates-of-new-sim", post("/v1/Sims", REGISTER, NEW_SIM, status=201)),
    row("RESP-SIM-DATES", "updated-later", get(f"/v1/Sims/{SID_1}", sim())),
    row(
        "RESP-SIM-DATES",
        "fraction-later",
        get(f"/v1/Sims/{SID_1}", sim(date_created="2026-01-02T03:04:05Z", date_updated="2026-01-02T03:04:05.001Z")),
    ),
    row("RESP-SIM-DATES", "page-in-order", list_of({}, [sim(), sim(SID_2, iccid=ICCID_2)])),
    row(
        "RESP-SIM-DATES",
        "one-date-without-offset-left-to-schema",
        get(f"/v1/Sims/{SID_1}", sim(date_created="2026-01-02T03:04:05.123456")),
        also=("RESP-SIM-SCHEMA",),
    ),
    # RESP-FETCH-IDENTITY
    row("RESP-FETCH-IDENTITY", "fetch-by-sid", get(f"/v1/Sims/{SID_1}", sim())),
    row("RESP-FETCH-IDENTITY", "fetch-by-uppercase-sid", get("/v1/Sims/HS" + SID_1[2:].upper(), sim())),
    row("RESP-FETCH-IDENTITY", "fetch-by-unique-name", get("/v1/Sims/pump-7", sim())),
    row("RESP-FETCH-IDENTITY", "fetch-by-encoded-unique-name", get("/v1/Sims/pump%207", sim(unique_name="pump 7"))),
    row(
        "RESP-FETCH-IDENTITY",
        "rename-by-unique-name",
        post("/v1/Sims/pump-7", {"UniqueName": "pump-9"}, sim(unique_name="pump-9")),
    ),
    row("RESP-FETCH-IDENTITY", "404-not-judged", get(f"/v1/Sims/{SID_2}", status=404, body=error(20404, 404))),
    # RESP-ACCOUNT
    row("RESP-ACCOUNT", "own-sims", list_of({}, [sim(), sim(SID_2, iccid=ICCID_2)])),
    row(
        "RESP-ACCOUNT",
        "subaccount-lists-its-own",
        get("/v1/Sims", page([sim(account_sid=SUBACCOUNT)]), account=SUBACCOUNT),
    ),
    row(
        "RESP-ACCOUNT",
        "401-not-judged",
        get("/v1/Sims", status=401, account=None, body=error(20003, 401, "Authenticate")),
    ),
    # RESP-PAGE-META
    row("RESP-PAGE-META", "default-page", list_of({}, [sim()])),
    row("RESP-PAGE-META", "PageSize-kept-with-next-page", list_of({"PageSize": 2}, [sim(), sim(SID_2)], more=True)),
    row(
        "RESP-PAGE-META",
        "filters-kept",
        list_of({"Status": "active", "Fleet": FLEET_A.unique_name, "PageSize": 5}, [sim()], more=True),
    ),
    row("RESP-PAGE-META", "iccid-kept", list_of({"Iccid": ICCID_1}, [sim()])),
    row("RESP-PAGE-META", "page-1-has-previous", list_of({"Status": "active", "PageSize": 1}, [sim()], page_no=1)),
    # going back (a PageToken) may land on "page 0" that still has Sims before it: only a page asked
    # for without a token is the first page
    row(
        "RESP-PAGE-META",
        "page-0-reached-back-has-previous",
        get(
            f"/v1/Sims?PageSize=50&Page=0&PageToken=PB{SID_2}",
            page([sim()], previous_page_url=f"{LIVE}/v1/Sims?PageSize=50&Page=0&PageToken=PB{SID_1}"),
        ),
    ),
    row(
        "RESP-PAGE-META",
        "filter-value-encoded-differently",
        get(
            "/v1/Sims?Fleet=north+fleet",
            page([], {"Fleet": "north fleet"}, url=f"{LIVE}/v1/Sims?Fleet=north%20fleet&PageSize=50&Page=0"),
        ),
    ),
    # RESP-PAGE-HOST
    row("RESP-PAGE-HOST", "live-pages", list_of({"PageSize": 1}, [sim()], more=True)),
    row(
        "RESP-PAGE-HOST",
        "local-pages",
        list_of({"PageSize": 1}, [sim(base=LOCAL)], base=LOCAL, page_no=1, more=True),
        ctx=Ctx(LOCAL),
    ),
    row(
        "RESP-PAGE-HOST",
        "host-case-insensitive",
        get(
            "/v1/Sims",
            page([sim(base="http://localhost:8080")], base="http://LocalHost:8080"),
            base="http://localhost:8080",
        ),
        ctx=Ctx("http://localhost:8080"),
    ),
    # RESP-FILTER-ICCID
    row("RESP-FILTER-ICCID", "one-sim-with-that-iccid", list_of({"Iccid": ICCID_1}, [sim()])),
    row("RESP-FILTER-ICCID", "no-sim-with-that-iccid", list_of({"Iccid": ICCID_3}, [])),
    # RESP-FILTER-STATUS
    row("RESP-FILTER-STATUS", "only-active", list_of({"Status": "active"}, [sim(), sim(SID_2, iccid=ICCID_2)])),
    row("RESP-FILTER-STATUS", "only-new", list_of({"Status": "new"}, [sim(status="new", fleet_sid=None)])),
    row("RESP-FILTER-STATUS", "none-inactive", list_of({"Status": "inactive"}, [])),
    # RESP-FILTER-FLEET
    row("RESP-FILTER-FLEET", "by-sid", list_of({"Fleet": FLEET_A.sid}, [sim(), sim(SID_2, iccid=ICCID_2)])),
    row("RESP-FILTER-FLEET", "by-unique-name", list_of({"Fleet": FLEET_B.unique_name}, [sim(fleet_sid=FLEET_B.sid)])),
    row("RESP-FILTER-FLEET", "unknown-name-not-judged", list_of({"Fleet": "not-in-profile"}, [sim()])),
    row(
        "RESP-FILTER-FLEET",
        "by-unique-name-starting-with-HF",
        list_of({"Fleet": HF_NAMED_FLEET.unique_name}, [sim(fleet_sid=HF_NAMED_FLEET.sid)]),
        ctx=Ctx(LIVE, HF_PROFILE),
    ),
    # RESP-CREATE
    row("RESP-CREATE", "201-new-fleetless", post("/v1/Sims", REGISTER, NEW_SIM, status=201)),
    row(
        "RESP-CREATE",
        "rejected-registration-not-judged",
        post(
            "/v1/Sims",
            {"Iccid": CARD.iccid, "RegistrationCode": "WRONGCODE0"},
            status=400,
            body=error(83002, 400, "SIM card is not registrable"),
        ),
    ),
]


def _ids(rows: list[Row]) -> list[str]:
    return [r.id for r in rows]


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [r.param() for r in BREAKS])
def test_breaking_exchange_raises_the_checks_violation(case: Row):
    check = CHECKS[case.check_id]
    with pytest.raises(Violation) as caught:
        check.func(case.ctx, case.exchange)
    assert caught.value.check_id == case.check_id
    # it names the requirements this exchange breaks: some (or all) of those the check guards
    assert caught.value.requirements and set(caught.value.requirements) <= set(check.requirements)
    assert caught.value.exchange is not None


@pytest.mark.parametrize("case", [r.param() for r in PASSES])
def test_passing_exchange_raises_nothing(case: Row):
    CHECKS[case.check_id].func(case.ctx, case.exchange)


@pytest.mark.parametrize("case", [r.param() for r in BREAKS + PASSES])
def test_exchange_trips_only_the_checks_it_names(case: Row):
    """Every response check on the row's exchange: only its own check (if breaking) and ``also`` fire."""
    breaking = any(case is r for r in BREAKS)
    expected = set(case.also) | ({case.check_id} if breaking else set())
    assert {v.check_id for v in run_response_checks(case.ctx, case.exchange)} == expected


def test_the_hf_named_fleet_profile_is_valid():
    """The false-alarm row above uses a profile the kit itself accepts."""
    check_profile(HF_PROFILE)


def test_every_response_check_has_unit_cases():
    registered = {c.id for c in response_checks()}
    assert registered, "no response check registered"
    for table, name in ((BREAKS, "breaking"), (PASSES, "passing")):
        covered = {r.check_id for r in table if r.xfail is None}
        missing = sorted(registered - covered)
        assert not missing, f"response checks without a {name} case (that passes today): {missing}"
        unknown = sorted({r.check_id for r in table} - registered)
        assert not unknown, f"{name} rows name checks that are not registered response checks: {unknown}"
    ids = _ids(BREAKS) + _ids(PASSES)
    assert len(ids) == len(set(ids)), "row ids must be unique"


@pytest.mark.parametrize(
    ("row", "requirements"),
    [
        ("RESP-SIM-SCHEMA:lowercase-sid-prefix", ("SIM-PROP-001",)),
        ("RESP-SIM-SCHEMA:status-not-in-enum", ("SIM-PROP-008",)),
        ("RESP-SIM-URL:url-of-another-sid", ("SIM-PROP-013",)),
    ],
)
def test_a_violation_names_the_requirement_the_exchange_breaks_not_all_the_check_guards(row, requirements):
    (case,) = [r for r in BREAKS if f"{r.check_id}:{r.what}" == row]
    with pytest.raises(Violation) as caught:
        CHECKS[case.check_id].func(case.ctx, case.exchange)
    assert caught.value.requirements == requirements
