"""Planted faults of values, timestamps and addressing: each, alone, does what its description says.

Every effect function runs twice: against a mock with its fault (``faulty``), where it must see
the planted behaviour, and against the faultless mock, where it must see the right one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import httpx
import pytest

from conformance.mock import start_mock
from conformance.mock.planted.values import FAULTS
from conformance.profile import Profile


@dataclass
class Ctx:
    http: httpx.Client
    profile: Profile

    @property
    def primary(self) -> str:
        return self.profile.primary.sid

    def sim(self, status="new", **kw):
        return self.profile.sims_by(self.primary, status, **kw)[0]

    def get(self, ref: str) -> httpx.Response:
        return self.http.get("/v1/Sims/" + quote(ref, safe=""))

    def post(self, ref: str, **form: str) -> httpx.Response:
        return self.http.post("/v1/Sims/" + quote(ref, safe=""), data=form)

    def listed(self, iccid: str) -> list[dict]:
        return self.http.get("/v1/Sims", params={"Iccid": iccid}).json()["sims"]

    def named(self) -> tuple[str, str]:
        sim = self.sim("new", named=True)
        return sim.sid, sim.unique_name

    def register(self) -> httpx.Response:
        card = self.profile.registrable[0]
        return self.http.post("/v1/Sims", data={"Iccid": card.iccid, "RegistrationCode": card.registration_code})


def _instant(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _server_time(response: httpx.Response) -> datetime:
    return parsedate_to_datetime(response.headers["date"]).astimezone(UTC)


def _stored_name(ctx: Ctx, written: str) -> str:
    sim = ctx.sim("active", named=False)
    response = ctx.post(sim.sid, UniqueName=written)
    assert response.status_code == 200, response.text
    assert ctx.get(sim.sid).json()["unique_name"] == response.json()["unique_name"]
    return response.json()["unique_name"]


# --- form decoding ----------------------------------------------------------------------------


def form_plus_as_space(ctx, faulty):
    assert _stored_name(ctx, "a+b-x") == ("a b-x" if faulty else "a+b-x")


def form_decoded_twice(ctx, faulty):
    assert _stored_name(ctx, "c%41%25-x") == ("cA%-x" if faulty else "c%41%25-x")


def form_utf8_read_as_latin1(ctx, faulty):
    assert _stored_name(ctx, "Zürich-x") == ("ZÃ¼rich-x" if faulty else "Zürich-x")


def unique_name_cut_to_63(ctx, faulty):
    name = "n" * 64
    assert _stored_name(ctx, name) == (name[:63] if faulty else name)
    assert _stored_name(ctx, "m" * 63) == "m" * 63


def unique_name_lowercased(ctx, faulty):
    assert _stored_name(ctx, "MixedCase-X") == ("mixedcase-x" if faulty else "MixedCase-X")


# --- addressing -------------------------------------------------------------------------------


def unique_name_prefix_lookup(ctx, faulty):
    sid, name = ctx.named()
    response = ctx.get(name[:-1])
    assert response.status_code == (200 if faulty else 404)
    if faulty:
        assert response.json()["sid"] == sid
    assert ctx.get(name).json()["sid"] == sid


def unique_name_lookup_trimmed(ctx, faulty):
    sid, name = ctx.named()
    assert ctx.get(name + " ").status_code == (200 if faulty else 404)
    assert ctx.get(name).json()["sid"] == sid


def unique_name_path_not_decoded(ctx, faulty):
    sid, _ = ctx.named()
    assert ctx.post(sid, UniqueName="with space-x").status_code == 200
    assert ctx.get("with space-x").status_code == (404 if faulty else 200)
    assert ctx.post(sid, UniqueName="plain-x").status_code == 200
    assert ctx.get("plain-x").status_code == 200


def sid_read_by_first_34_characters(ctx, faulty):
    sid = ctx.sim().sid
    assert ctx.get(sid + "0").status_code == (200 if faulty else 404)
    assert ctx.get(sid).status_code == 200


def registered_sim_not_fetchable(ctx, faulty):
    created = ctx.register()
    assert created.status_code == 201
    assert ctx.get(created.json()["sid"]).status_code == (404 if faulty else 200)
    assert ctx.get(ctx.sim().sid).status_code == 200


def sid_changes_on_rename(ctx, faulty):
    sid = ctx.sim().sid
    renamed = ctx.post(sid, UniqueName="renamed-x")
    assert renamed.status_code == 200
    assert (renamed.json()["sid"] != sid) == faulty
    assert ctx.get(sid).status_code == (404 if faulty else 200)
    assert ctx.get("renamed-x").json()["sid"] == renamed.json()["sid"]


def unique_name_index_stale(ctx, faulty):
    first, second = ctx.profile.sims_by(ctx.primary, "new", named=False)[:2]
    assert ctx.post(first.sid, UniqueName="taken-x").status_code == 200
    assert ctx.post(second.sid, UniqueName="taken-x").status_code == (200 if faulty else 409)
    assert ctx.get("taken-x").json()["sid"] == first.sid


# --- values that move, or do not ----------------------------------------------------------------


def fleet_update_clears_name(ctx, faulty):
    sim = ctx.sim("new", with_fleet=False, named=True)
    fleet = ctx.profile.fleets_of(ctx.primary)[0]
    response = ctx.post(sim.sid, Fleet=fleet.sid)
    assert response.status_code == 200 and response.json()["fleet_sid"] == fleet.sid
    assert response.json()["unique_name"] == (None if faulty else sim.unique_name)


def update_answer_not_persisted(ctx, faulty):
    sim = ctx.sim("active", named=False)
    response = ctx.post(sim.sid, UniqueName="kept-x")
    assert response.status_code == 200 and response.json()["unique_name"] == "kept-x"
    assert ctx.get(sim.sid).json()["unique_name"] == (None if faulty else "kept-x")


def list_shows_previous_version(ctx, faulty):
    sim = ctx.sim("active", named=False)
    assert ctx.post(sim.sid, UniqueName="listed-x").status_code == 200
    assert ctx.listed(sim.iccid)[0]["unique_name"] == (None if faulty else "listed-x")
    assert ctx.get(sim.sid).json()["unique_name"] == "listed-x"


def name_fetch_cached(ctx, faulty):
    sim = ctx.sim("new", with_fleet=False, named=True)
    fleet = ctx.profile.fleets_of(ctx.primary)[0]
    assert ctx.get(sim.unique_name).json()["fleet_sid"] is None
    assert ctx.post(sim.sid, Fleet=fleet.sid).status_code == 200
    assert ctx.get(sim.sid).json()["fleet_sid"] == fleet.sid
    assert ctx.get(sim.unique_name).json()["fleet_sid"] == (None if faulty else fleet.sid)


def list_iccid_cut(ctx, faulty):
    sim = ctx.sim()
    assert ctx.listed(sim.iccid)[0]["iccid"] == (sim.iccid[:-1] if faulty else sim.iccid)
    assert ctx.get(sim.sid).json()["iccid"] == sim.iccid


def list_sid_uppercase(ctx, faulty):
    sim = ctx.sim()
    listed = ctx.listed(sim.iccid)[0]["sid"]
    assert listed == ("HS" + sim.sid[2:].upper() if faulty else sim.sid)
    assert ctx.get(sim.sid).json()["sid"] == sim.sid


def iccid_as_number(ctx, faulty):
    sim = ctx.sim()
    shown = ctx.get(sim.sid).json()["iccid"]
    assert shown == (int(sim.iccid) if faulty else sim.iccid)
    assert isinstance(ctx.listed(sim.iccid)[0]["iccid"], int if faulty else str)


# --- timestamps -------------------------------------------------------------------------------


def date_created_reset_on_update(ctx, faulty):
    sim = ctx.sim("active", named=False)
    before = ctx.get(sim.sid).json()
    after = ctx.post(sim.sid, UniqueName="created-x").json()
    assert (after["date_created"] != before["date_created"]) == faulty
    assert after["date_updated"] > before["date_updated"]


def date_updated_only_on_status(ctx, faulty):
    sim = ctx.sim("active", named=False)
    before = ctx.get(sim.sid).json()
    after = ctx.post(sim.sid, UniqueName="status-x").json()
    assert (after["date_updated"] == before["date_updated"]) == faulty
    deactivated = ctx.post(sim.sid, Status="inactive")
    assert deactivated.status_code == 202 and deactivated.json()["date_updated"] > before["date_updated"]


def date_updated_moves_on_read(ctx, faulty):
    sid = ctx.sim().sid
    first, second = ctx.get(sid).json(), ctx.get(sid).json()
    assert (first["date_updated"] != second["date_updated"]) == faulty


def date_updated_an_hour_behind(ctx, faulty):
    sim = ctx.sim("active", named=False)
    response = ctx.post(sim.sid, UniqueName="behind-x")
    offset = _server_time(response) - _instant(response.json()["date_updated"])
    assert abs(offset - timedelta(hours=1 if faulty else 0)) <= timedelta(seconds=5)


def dates_an_hour_ahead(ctx, faulty):
    created = ctx.register()
    assert created.status_code == 201
    offset = _instant(created.json()["date_created"]) - _server_time(created)
    assert abs(offset - timedelta(hours=1 if faulty else 0)) <= timedelta(seconds=5)


EFFECTS = {fault.name: globals()[fault.name.replace("-", "_")] for fault in FAULTS}


@pytest.mark.parametrize("faulty", [True, False], ids=["with", "without"])
@pytest.mark.parametrize("fault", sorted(EFFECTS))
def test_fault_changes_the_behaviour_it_names(fault, faulty, request):
    if not faulty:  # the session's faultless mock, reset (see conftest.py)
        _effect(request.getfixturevalue("mock"), fault, faulty)
        return
    with start_mock(faults=[fault], async_delay=0.02) as mock:
        _effect(mock, fault, faulty)


def _effect(mock, fault: str, faulty: bool) -> None:
    with httpx.Client(base_url=mock.base_url, auth=mock.credentials(), trust_env=False, timeout=10) as http:
        EFFECTS[fault](Ctx(http=http, profile=mock.profile), faulty)
