"""twilio-python scenarios, one per scenario family: run live against the reference mock, recorded
into ``cassettes/<name>.yaml``, replayed offline from there.

Each scenario is a plain function ``(ctx) -> None`` that drives the real ``twilio`` client and
asserts what the client *parses*: every attribute of ``SimInstance`` (``check_sim``), status codes
through ``*_with_http_info``, pagination through ``list``/``stream``/``page`` with ``limit`` and
``page_size``, and ``TwilioRestException.status``/``.code``. What the client *sends* is checked by
the live tests (the mock's request-violation log must stay empty).

A scenario must send the same requests every time (replay matches them one by one): data comes
from the mock's default profile (fixed SIDs, ICCIDs, names), made-up names are constants, and an
asynchronous update is completed with ``ctx.settle()`` (live: the mock's ``flush``; replay: nothing,
the recorded fetch already shows the final state) instead of polling.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from conformance.profile import Profile, SimSeed

SIM_SID = re.compile(r"^HS[0-9a-f]{32}$")
UNKNOWN_SID = "HS" + "0" * 32
UNKNOWN_ICCID = "89000000000000000000"
WRONG_TOKEN = "f" * 32


class CountingHttpClient(TwilioHttpClient):
    """twilio-python's own HTTP client, remembering each request's method, URL and status."""

    def __init__(self, log: list[tuple[str, str, int]]) -> None:
        super().__init__()
        self.log = log

    def request(self, method, url, *args, **kwargs):
        response = super().request(method, url, *args, **kwargs)
        self.log.append((method.upper(), url, response.status_code))
        return response


@dataclass
class Context:
    profile: Profile
    base_url: str
    """Where the client sends requests (the mock's URL live, https://supersim.twilio.com on replay)."""
    settle: Callable[[], None]
    """Complete every scheduled (asynchronous) update now."""
    log: list[tuple[str, str, int]] = field(default_factory=list)

    def client(self, account_sid: str | None = None, token: str | None = None) -> Client:
        sid = account_sid or self.profile.primary.sid
        client = Client(sid, token or self.profile.token_for(sid), http_client=CountingHttpClient(self.log))
        client.supersim.base_url = self.base_url
        return client

    @property
    def primary(self) -> str:
        return self.profile.primary.sid

    def sims(self, status: str | None = None, **filters: Any) -> list[SimSeed]:
        return list(self.profile.sims_by(self.primary, status, **filters))

    def fleet(self, index: int):
        return self.profile.fleets_of(self.primary)[index]

    def gets_since(self, mark: int) -> int:
        return sum(1 for method, _url, _status in self.log[mark:] if method == "GET")


@dataclass(frozen=True)
class Scenario:
    name: str
    family: str
    summary: str
    run: Callable[[Context], None]
    violations: tuple[tuple[str, str], ...] = ()
    """(rule, parameter) of the request violations the scenario commits on purpose (an invalid PageSize)."""


SCENARIOS: dict[str, Scenario] = {}


def scenario(family: str, summary: str, *, violations: tuple[tuple[str, str], ...] = ()):
    def register(function: Callable[[Context], None]) -> Callable[[Context], None]:
        name = function.__name__
        assert name not in SCENARIOS, name
        SCENARIOS[name] = Scenario(name, family, summary, function, violations)
        return function

    return register


# --- what the client parses ------------------------------------------------------------------


def check_sim(
    ctx: Context,
    sim: Any,
    *,
    sid: str | None = None,
    unique_name: str | None = None,
    account_sid: str | None = None,
    iccid: str | None = None,
    status: str | None = None,
    fleet_sid: str | None = None,
) -> None:
    """Every attribute of a parsed ``SimInstance``: values, types, URLs."""
    assert type(sim).__name__ == "SimInstance"
    assert SIM_SID.match(sim.sid), sim.sid
    if sid is not None:
        assert sim.sid == sid
    assert sim.unique_name == unique_name
    assert sim.account_sid == (account_sid or ctx.primary)
    if iccid is not None:
        assert sim.iccid == iccid
    assert re.fullmatch(r"[0-9]{18,22}", sim.iccid)
    assert sim.status == status
    assert sim.fleet_sid == fleet_sid
    for stamp in (sim.date_created, sim.date_updated):
        assert isinstance(stamp, datetime) and stamp.tzinfo == UTC, stamp
    assert sim.date_updated >= sim.date_created
    assert sim.url == f"{ctx.base_url}/v1/Sims/{sim.sid}"
    assert sim.links == {"billing_periods": f"{sim.url}/BillingPeriods", "sim_ip_addresses": f"{sim.url}/IpAddresses"}


def check_seed(ctx: Context, sim: Any, seed: SimSeed, **changes: Any) -> None:
    expected = {
        "sid": seed.sid,
        "unique_name": seed.unique_name,
        "account_sid": seed.account,
        "iccid": seed.iccid,
        "status": seed.status,
        "fleet_sid": seed.fleet,
    }
    expected.update(changes)
    check_sim(ctx, sim, **expected)


def rest_error(action: Callable[[], Any], status: int, code: int) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as info:
        action()
    error = info.value
    assert (error.status, error.code) == (status, code), (error.status, error.code, error.msg)
    action_text, _, message = error.msg.partition(": ")  # "Unable to fetch record: <message of the error body>"
    assert action_text.startswith("Unable to ") and message, error.msg
    return error


# --- register and fetch ----------------------------------------------------------------------


@scenario("register", "POST /v1/Sims registers a card: 201, a new Sim without fleet or name")
def register(ctx: Context) -> None:
    card = ctx.profile.registrable[0]
    answer = ctx.client().supersim.v1.sims.create_with_http_info(
        iccid=card.iccid, registration_code=card.registration_code
    )
    assert answer.status_code == 201
    sim = answer.data
    check_sim(ctx, sim, iccid=card.iccid, status="new")
    assert sim.date_created == sim.date_updated
    fetched = ctx.client().supersim.v1.sims(sim.sid).fetch()
    check_sim(ctx, fetched, sid=sim.sid, iccid=card.iccid, status="new")


@scenario("fetch", "GET /v1/Sims/{Sid} by SID: every attribute as the profile says")
def fetch_by_sid(ctx: Context) -> None:
    seed = ctx.sims("active", with_fleet=True, named=True)[0]
    check_seed(ctx, ctx.client().supersim.v1.sims(seed.sid).fetch(), seed)


@scenario("fetch", "GET /v1/Sims/{UniqueName}: the same Sim as by SID")
def fetch_by_name(ctx: Context) -> None:
    seed = ctx.sims("ready", named=True)[0]
    client = ctx.client()
    by_name = client.supersim.v1.sims(seed.unique_name).fetch()
    check_seed(ctx, by_name, seed)
    assert by_name.sid == client.supersim.v1.sims(seed.sid).fetch().sid


# --- filters ---------------------------------------------------------------------------------


@scenario("filter", "Status filter: only (and every) Sim in that status")
def filter_status(ctx: Context) -> None:
    sims = ctx.client().supersim.v1.sims.list(status="inactive")
    assert [s.sid for s in sims] == [s.sid for s in ctx.sims("inactive")]
    for sim, seed in zip(sims, ctx.sims("inactive"), strict=False):
        check_seed(ctx, sim, seed)


@scenario("filter", "Fleet filter by fleet SID")
def filter_fleet_by_sid(ctx: Context) -> None:
    fleet = ctx.fleet(0)
    sims = ctx.client().supersim.v1.sims.list(fleet=fleet.sid, page_size=50)
    expected = [s for s in ctx.profile.sims_of(ctx.primary) if s.fleet == fleet.sid]
    assert [s.sid for s in sims] == [s.sid for s in expected] and expected
    assert {s.fleet_sid for s in sims} == {fleet.sid}


@scenario("filter", "Fleet filter by fleet unique name")
def filter_fleet_by_name(ctx: Context) -> None:
    fleet = ctx.fleet(1)
    sims = ctx.client().supersim.v1.sims.list(fleet=fleet.unique_name)
    expected = [s for s in ctx.profile.sims_of(ctx.primary) if s.fleet == fleet.sid]
    assert [s.sid for s in sims] == [s.sid for s in expected] and expected
    for sim, seed in zip(sims, expected, strict=False):
        check_seed(ctx, sim, seed)


@scenario("filter", "Iccid filter: exactly the one Sim with that ICCID")
def filter_iccid_found(ctx: Context) -> None:
    seed = ctx.profile.sims_of(ctx.primary)[10]
    sims = ctx.client().supersim.v1.sims.list(iccid=seed.iccid)
    assert len(sims) == 1
    check_seed(ctx, sims[0], seed)


@scenario("filter", "Iccid filter with an ICCID no Sim has: an empty list, not an error")
def filter_iccid_not_found(ctx: Context) -> None:
    assert ctx.client().supersim.v1.sims.list(iccid=UNKNOWN_ICCID) == []


# --- pagination ------------------------------------------------------------------------------


@scenario("pagination", "list/stream/page across three pages, with limit and page_size")
def pagination(ctx: Context) -> None:
    sims = ctx.client().supersim.v1.sims
    everything = [s.sid for s in ctx.profile.sims_of(ctx.primary)]
    assert len(everything) > 100

    mark = len(ctx.log)
    assert [s.sid for s in sims.list(page_size=50)] == everything
    assert ctx.gets_since(mark) == 3

    mark = len(ctx.log)
    assert [s.sid for s in sims.list(limit=45, page_size=20)] == everything[:45]
    assert ctx.gets_since(mark) == 3

    mark = len(ctx.log)
    assert [s.sid for s in sims.stream(limit=130, page_size=60)] == everything[:130]
    assert ctx.gets_since(mark) == 3

    first = sims.page(page_size=50)
    second = first.next_page()
    third = second.next_page()
    assert [len(list(p)) for p in (first, second, third)] == [50, 50, len(everything) - 100]
    assert third.next_page_url is None and third.next_page() is None
    back = second.previous_page()
    assert [s.sid for s in back] == everything[:50]
    for sim, seed in zip(list(third), ctx.profile.sims_of(ctx.primary)[100:], strict=False):
        check_seed(ctx, sim, seed)


# --- updates ---------------------------------------------------------------------------------


@scenario("update", "UniqueName: 200, renamed at once, fetchable by the new name")
def update_unique_name(ctx: Context) -> None:
    seed = ctx.sims("new", with_fleet=False, named=False)[0]
    client = ctx.client()
    answer = client.supersim.v1.sims(seed.sid).update_with_http_info(unique_name="client-renamed")
    assert answer.status_code == 200
    check_seed(ctx, answer.data, seed, unique_name="client-renamed")
    check_seed(ctx, client.supersim.v1.sims("client-renamed").fetch(), seed, unique_name="client-renamed")


@scenario("update", "Fleet of a new Sim (by fleet unique name): synchronous, 200")
def update_fleet_sync(ctx: Context) -> None:
    seed = ctx.sims("new", with_fleet=False, named=False)[1]
    fleet = ctx.fleet(0)
    answer = ctx.client().supersim.v1.sims(seed.sid).update_with_http_info(fleet=fleet.unique_name)
    assert answer.status_code == 200
    check_seed(ctx, answer.data, seed, fleet_sid=fleet.sid)


def _async_status(ctx: Context, seed: SimSeed, new_status: str) -> None:
    client = ctx.client()
    answer = client.supersim.v1.sims(seed.sid).update_with_http_info(status=new_status)
    assert answer.status_code == 202
    check_seed(ctx, answer.data, seed, status="scheduled")
    ctx.settle()
    final = client.supersim.v1.sims(seed.sid).fetch()
    check_seed(ctx, final, seed, status=new_status)
    assert final.date_updated > answer.data.date_updated  # completing the update moves date_updated


@scenario("async-update", "Activation new -> active: 202 scheduled, then active")
def update_status_activate(ctx: Context) -> None:
    _async_status(ctx, ctx.sims("new", with_fleet=True)[0], "active")


@scenario("async-update", "Deactivation active -> inactive: 202 scheduled, then inactive")
def update_status_deactivate(ctx: Context) -> None:
    _async_status(ctx, ctx.sims("active", with_fleet=True)[1], "inactive")


@scenario("async-update", "Reactivation inactive -> active: 202 scheduled, then active")
def update_status_reactivate(ctx: Context) -> None:
    _async_status(ctx, ctx.sims("inactive", with_fleet=True)[0], "active")  # Twilio activates only in a Fleet


@scenario("async-update", "Fleet change of an active Sim: 202 scheduled keeping the old fleet, then the new one")
def update_fleet_async(ctx: Context) -> None:
    seed = ctx.sims("active", with_fleet=True)[2]
    other = next(f for f in ctx.profile.fleets_of(ctx.primary) if f.sid != seed.fleet)
    client = ctx.client()
    answer = client.supersim.v1.sims(seed.sid).update_with_http_info(fleet=other.sid)
    assert answer.status_code == 202
    check_seed(ctx, answer.data, seed, status="scheduled")  # fleet_sid is still the old one
    ctx.settle()
    check_seed(ctx, client.supersim.v1.sims(seed.sid).fetch(), seed, fleet_sid=other.sid)


@scenario("async-update", "Activation with a Fleet in the same request: 202 keeping fleet_sid null, then active in it")
def update_activate_with_fleet(ctx: Context) -> None:
    seed = ctx.sims("new", with_fleet=False, named=False)[4]
    fleet = ctx.fleet(1)
    client = ctx.client()
    answer = client.supersim.v1.sims(seed.sid).update_with_http_info(status="active", fleet=fleet.unique_name)
    assert answer.status_code == 202
    check_seed(ctx, answer.data, seed, status="scheduled")  # "the existing value of the fleet_sid property"
    ctx.settle()
    check_seed(ctx, client.supersim.v1.sims(seed.sid).fetch(), seed, status="active", fleet_sid=fleet.sid)


@scenario("update", "AccountSid moves a new Sim to a subaccount: 200; the subaccount sees it, the parent no longer")
def update_account_move(ctx: Context) -> None:
    seed = ctx.sims("new", with_fleet=False, named=False)[2]
    sub = ctx.profile.subaccounts[0].sid
    answer = ctx.client().supersim.v1.sims(seed.sid).update_with_http_info(account_sid=sub)
    assert answer.status_code == 200
    check_seed(ctx, answer.data, seed, account_sid=sub)
    check_seed(ctx, ctx.client(sub).supersim.v1.sims(seed.sid).fetch(), seed, account_sid=sub)
    rest_error(ctx.client().supersim.v1.sims(seed.sid).fetch, 404, 20404)


# --- errors ----------------------------------------------------------------------------------


@scenario("error", "Unknown Sim: TwilioRestException 404 / 20404")
def error_not_found(ctx: Context) -> None:
    error = rest_error(ctx.client().supersim.v1.sims(UNKNOWN_SID).fetch, 404, 20404)
    assert (error.method, error.uri) == ("GET", f"/Sims/{UNKNOWN_SID}")  # twilio-python: URI relative to /v1


@scenario("error", "Wrong Auth Token: TwilioRestException 401 / 20003")
def error_unauthorized(ctx: Context) -> None:
    seed = ctx.sims("active")[0]
    rest_error(ctx.client(ctx.primary, WRONG_TOKEN).supersim.v1.sims(seed.sid).fetch, 401, 20003)


@scenario(
    "error",
    "PageSize 1001: 400 / 20001 (twilio-python raises a plain TwilioException for a list page)",
    violations=(("out-of-range", "PageSize"),),
)
def error_page_size(ctx: Context) -> None:
    with pytest.raises(TwilioException) as info:
        ctx.client().supersim.v1.sims.list(page_size=1001)
    assert not isinstance(info.value, TwilioRestException)  # pinned: list errors are not TwilioRestException
    response = info.value.args[1]
    assert response.status_code == 400
    import json

    body = json.loads(response.text)
    assert body["code"] == 20001 and body["status"] == 400 and "PageSize" in body["message"]


@scenario("error", "UniqueName already used by another Sim of the account: TwilioRestException 409 / 83011")
def error_unique_name_clash(ctx: Context) -> None:
    taken = ctx.sims("ready", named=True)[0].unique_name
    seed = ctx.sims("new", with_fleet=False, named=False)[3]
    client = ctx.client()
    rest_error(lambda: client.supersim.v1.sims(seed.sid).update(unique_name=taken), 409, 83011)
    check_seed(ctx, client.supersim.v1.sims(seed.sid).fetch(), seed)  # nothing changed


@scenario("error", "Activation of a Sim without a Fleet: TwilioRestException 400 / 83007, nothing changed")
def error_activate_without_fleet(ctx: Context) -> None:
    seed = ctx.sims("new", with_fleet=False, named=False)[5]
    client = ctx.client()
    rest_error(lambda: client.supersim.v1.sims(seed.sid).update(status="active"), 400, 83007)
    check_seed(ctx, client.supersim.v1.sims(seed.sid).fetch(), seed)


@scenario("error", "Registration with a wrong RegistrationCode: TwilioRestException 400 / 83002")
def error_bad_registration_code(ctx: Context) -> None:
    card = ctx.profile.registrable[1]
    wrong = "WRONGCODE0" if card.registration_code != "WRONGCODE0" else "WRONGCODE1"
    rest_error(lambda: ctx.client().supersim.v1.sims.create(iccid=card.iccid, registration_code=wrong), 400, 83002)
