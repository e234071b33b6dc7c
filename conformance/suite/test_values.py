"""Values written and read back, timestamps, addressing: invariants that hold across requests.

Each rule here is general on purpose: whatever way a server mangles a value (decodes a form
twice, truncates, lower-cases, reads UTF-8 as Latin-1, keeps a stale copy), the value the suite
wrote must read back identical wherever the Sim shows; whatever way it mishandles its clock,
``date_updated`` must follow the target's own clock (its ``Date`` header, never ours) on every
update and stand still on reads. The read-only checks use the profile's reserved Sims (no
scenario changes them) and re-read before concluding; the others take their own Sims.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import pytest

from conformance.checks import expect, expect_soft, fail
from conformance.checks.scenarios import ADDR_EXACT, DATES_LIFE, ONE_REPRESENTATION, VALUE_ROUNDTRIP
from conformance.contract.exchange import Exchange
from conformance.run.target import TargetClient
from conformance.suite.helpers import body, wait_until

check = pytest.mark.supersim_check
full_suite = pytest.mark.usefixtures("sc_full_suite")

#: How far a timestamp may be from the target's Date header (two clocks of one service, whole seconds).
TOLERANCE = timedelta(minutes=5)
#: The documented properties of a Sim (extra ones a target adds are not compared).
DOCUMENTED = (
    "sid",
    "account_sid",
    "unique_name",
    "status",
    "fleet_sid",
    "iccid",
    "date_created",
    "date_updated",
    "url",
    "links",
)
DATES = ("date_created", "date_updated")
#: The requirement a difference in one property breaks (the others: the Sim is not the same one).
FIELD_REQUIREMENT = {
    "sid": "SIM-PROP-002",
    "iccid": "SIM-PROP-006",
    "unique_name": "SIM-PROP-003",
    "date_created": "SIM-PROP-011",
    "date_updated": "SIM-PROP-012",
}
#: Unique names with the characters a form or a path gets wrong; the suffix keeps each run's apart.
SPECIAL_NAMES = (
    "conf sp ace {u}",
    "conf+plus+{u}",
    "conf&amp=eq&{u}",
    "conf%41%25-{u}",
    "Zürich-Ωμέγα-{u}",
    "conf/slash/{u}",
)
#: Pauses (seconds) before re-reading a list that does not show a write yet (about 1 s in all).
LIST_LAG_PAUSES = (0.1, 0.3, 0.6, 0.0)
#: Lengths probed for the longest name the target keeps (a 4xx refusal is its right).
LENGTHS = (32, 64, 65, 128, 256, 512)


def sim_path(ref: str) -> str:
    """``/v1/Sims/{ref}`` with the SID or name percent-encoded as one path segment."""
    return "/v1/Sims/" + quote(ref, safe="")


def _token() -> str:
    return uuid.uuid4().hex[:10]


def _instant(stamp: Any) -> datetime | None:
    """An ISO 8601 date-time as an instant; None for anything else (the schema checks judge that)."""
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _server_time(exchange: Exchange) -> datetime | None:
    """The target's clock when it answered (its Date header, whole seconds), or None."""
    try:
        stamp = parsedate_to_datetime(exchange.response_headers["date"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def _comparable(sim: Any) -> dict[str, Any]:
    """The documented properties of a representation, dates as instants (``Z`` and ``+00:00`` alike)."""
    sim = sim if isinstance(sim, dict) else {}
    return {key: (_instant(sim.get(key)) or sim.get(key)) if key in DATES else sim.get(key) for key in DOCUMENTED}


def _differences(a: Any, b: Any) -> list[str]:
    ca, cb = _comparable(a), _comparable(b)
    return [key for key in DOCUMENTED if ca[key] != cb[key]]


def _requirements(fields: list[str], also: list[str]) -> list[str]:
    return list(dict.fromkeys([FIELD_REQUIREMENT[f] for f in fields if f in FIELD_REQUIREMENT] + also))


def _sim_of(exchange: Exchange) -> dict[str, Any] | None:
    data = body(exchange)
    return data if exchange.status == 200 and isinstance(data, dict) else None


def _listed(exchange: Exchange, sid: str) -> dict[str, Any] | None:
    """The Sim of an ``?Iccid=`` list: the one with this SID, or the only one shown; None if absent."""
    data = body(exchange)
    sims = data.get("sims") if exchange.status == 200 and isinstance(data, dict) else None
    if not isinstance(sims, list):
        return None
    found = [s for s in sims if isinstance(s, dict) and s.get("sid") == sid]
    if not found and len(sims) == 1 and isinstance(sims[0], dict):
        found = sims
    return found[0] if found else None


def _list_until(client: TargetClient, sid: str, iccid: str, done) -> tuple[Exchange, dict[str, Any] | None]:
    """The Sim in the ``?Iccid=`` list, re-read for a moment until ``done(sim)``: a list served from
    a replica may lag a write by a moment, which the documentation does not rule out."""
    for pause in LIST_LAG_PAUSES:
        exchange = client.get("/v1/Sims", params={"Iccid": iccid})
        found = _listed(exchange, sid)
        if found is None or done(found):
            break
        time.sleep(pause)
    return exchange, found


def _fetch_by_sid(client: TargetClient, sid: str, check_id: str, why: str) -> tuple[Exchange, dict[str, Any]]:
    exchange = client.get(sim_path(sid))
    sim = _sim_of(exchange)
    if sim is None:
        fail(
            check_id,
            f"the Sim could not be fetched by its SID {why}",
            expected="200 with the Sim",
            received=f"{exchange.status} {exchange.excerpt()}",
            exchange=exchange,
            requirements=["SIM-FETCH-001", "SIM-ADDR-001"],
        )
    return exchange, sim


# --- one Sim, one representation --------------------------------------------------------------


def expect_one_representation(
    client: TargetClient,
    sid: str,
    name: str | None,
    iccid: str | None,
    *,
    owned: bool,
    note=None,
) -> dict[str, Any]:
    """Fetch by SID, by name (if any) and the ``?Iccid=`` list show the same Sim; return it.

    Read back to back, framed by two fetches by SID: an attempt whose two fetches differ saw a
    change (another test's, on a Sim this test does not own) and is not judged; a difference
    is reported only when it outlasts a re-read (the list's within an attempt, by name a second
    attempt). On a Sim the test owns nobody else changes it, so two fetches that differ are
    themselves the violation.
    """
    seen: list[tuple[str, list[str], Exchange, dict, dict]] = []
    for _ in range(4):
        first_exchange, first = _fetch_by_sid(client, sid, ONE_REPRESENTATION, "while reading it back")
        by_name = client.get(sim_path(name)) if name else None
        listed_exchange, in_list = (
            _list_until(client, sid, iccid, lambda found, first=first: not _differences(first, found))
            if iccid
            else (None, None)
        )
        last_exchange, last = _fetch_by_sid(client, sid, ONE_REPRESENTATION, "while reading it back")
        moved = _differences(first, last)
        if moved:
            if owned:
                fail(
                    ONE_REPRESENTATION,
                    f"two fetches of a Sim nobody changed meanwhile differ in {', '.join(moved)}",
                    expected={k: first.get(k) for k in moved},
                    received={k: last.get(k) for k in moved},
                    exchange=last_exchange,
                    requirements=_requirements(moved, ["SIM-FETCH-001"]),
                )
            continue
        found: list[tuple[str, list[str], Exchange, dict, dict]] = []
        if by_name is not None:
            named = _sim_of(by_name)
            if named is None:
                fail(
                    ONE_REPRESENTATION,
                    f"fetching the Sim by its unique name {name!r} did not answer it",
                    expected=f"200 with Sim {sid}",
                    received=f"{by_name.status} {by_name.excerpt()}",
                    exchange=by_name,
                    requirements=["SIM-ADDR-003", "SIM-FETCH-002"],
                )
            fields = _differences(first, named)
            if fields:
                found.append(("fetch by unique name", fields, by_name, first, named))
        if listed_exchange is not None:
            if in_list is None:
                if note is not None:
                    note(f"the Iccid list did not show Sim {sid}: not compared (the filter checks judge that)")
            else:
                fields = _differences(first, in_list)
                if fields:
                    found.append(("the Iccid list", fields, listed_exchange, first, in_list))
        if not found:
            return first
        seen.append(found[0])
        # the list was already re-read (``_list_until``); a fetch by name is re-read once
        if len(seen) >= 2 or owned or found[0][0] == "the Iccid list":
            where, fields, exchange, expected, received = found[0]
            also = ["SIM-ADDR-003", "SIM-FETCH-002"] if where.startswith("fetch") else ["SIM-FETCH-001"]
            fail(
                ONE_REPRESENTATION,
                f"{where} shows the Sim with other {', '.join(fields)} than fetching it by SID",
                expected={k: expected.get(k) for k in fields},
                received={k: received.get(k) for k in fields},
                exchange=exchange,
                requirements=_requirements(fields, also),
            )
    pytest.skip(f"Sim {sid} kept changing while it was read (another client is changing it): not judged")


# --- exact addressing ---------------------------------------------------------------------------


def expect_exact_addressing(client: TargetClient, sid: str, name: str | None, *, sid_variants: bool = True) -> int:
    """Keys near the Sim's SID and name do not address it; return how many variants were tried.

    A variant may be another Sim's name (then the answer is that Sim, which RESP-FETCH-IDENTITY
    judges): only an answer with this very Sim is a violation. A differently-cased name is not
    tried: the documentation does not say unique names are case-sensitive. The SID variants are
    left out of read-only runs (``sid_variants=False``): a recording of them would hold most of a
    real SID where the cassettes' redaction, which replaces whole SIDs, cannot see it.
    """
    variants: list[tuple[str, str, list[str]]] = []
    if sid_variants:
        variants += [
            (sid + "0", "the SID with a character added", ["SIM-ADDR-001", "SIM-PROP-002"]),
            (sid[:-1], "the SID without its last character", ["SIM-ADDR-001", "SIM-PROP-002"]),
        ]
    if name and len(name) >= 2:
        name_rules = ["SIM-ADDR-003", "SIM-FETCH-002", "SIM-PROP-003"]
        variants += [
            (name[:-1], "the unique name without its last character", name_rules),
            (name + "0", "the unique name with a character added", name_rules),
            (name + " ", "the unique name with a trailing space", name_rules),
        ]
    for key, what, rules in variants:
        exchange = client.get(sim_path(key))
        sim = body(exchange)
        expect(
            not (200 <= exchange.status < 300 and isinstance(sim, dict) and sim.get("sid") == sid),
            ADDR_EXACT,
            f"{what} ({key!r}) addressed the Sim",
            expected="404 (error 20404), or another Sim that has exactly that name",
            received=f"{exchange.status} with Sim {sid}",
            exchange=exchange,
            requirements=rules,
        )
    return len(variants)


# --- writing a unique name and reading it back --------------------------------------------------


def write_name(client: TargetClient, sid: str, name: str, note) -> Exchange | None:
    """Set UniqueName; None when the target refuses the name with a 4xx (its right: not judged)."""
    answer = client.post(sim_path(sid), form={"UniqueName": name})
    if 400 <= answer.status < 500:
        shown = name if len(name) <= 40 else name[:40] + "..."
        note(f"UniqueName {shown!r} ({len(name)} characters) refused with {answer.status}: not judged")
        return None
    expect(
        answer.status == 200,
        VALUE_ROUNDTRIP,
        "setting UniqueName did not answer 200 with the Sim",
        expected=200,
        received=f"{answer.status} {answer.excerpt()}",
        exchange=answer,
        requirements=["SIM-UPDATE-001"],
    )
    sim = body(answer) if isinstance(body(answer), dict) else {}
    expect(
        sim.get("sid") == sid,
        VALUE_ROUNDTRIP,
        "the update's answer carries another SID than the Sim updated",
        expected=sid,
        received=sim.get("sid"),
        exchange=answer,
        requirements=["SIM-PROP-002"],
    )
    expect(
        sim.get("unique_name") == name,
        VALUE_ROUNDTRIP,
        "the update's answer shows another unique_name than the one written",
        expected=name,
        received=sim.get("unique_name"),
        exchange=answer,
        requirements=["SIM-PROP-003", "SIM-UPDATE-001"],
    )
    return answer


def expect_name_reads_back(client: TargetClient, sid: str, name: str, iccid: str, note) -> dict[str, Any]:
    """The name just written reads back identical by SID, by name and in the Iccid list."""
    by_sid_exchange = client.get(sim_path(sid))
    by_sid = _sim_of(by_sid_exchange)
    expect(
        by_sid is not None,
        VALUE_ROUNDTRIP,
        "after setting its UniqueName the Sim is no longer found at its SID",
        expected="200 with the Sim",
        received=f"{by_sid_exchange.status} {by_sid_exchange.excerpt()}",
        exchange=by_sid_exchange,
        requirements=["SIM-PROP-002", "SIM-FETCH-001", "SIM-ADDR-001"],
    )
    assert by_sid is not None
    expect(
        by_sid.get("unique_name") == name,
        VALUE_ROUNDTRIP,
        "fetched by SID, the Sim shows another unique_name than the one written",
        expected=name,
        received=by_sid.get("unique_name"),
        exchange=by_sid_exchange,
        requirements=["SIM-PROP-003"],
    )
    listed_exchange, listed = _list_until(client, sid, iccid, lambda found: found.get("unique_name") == name)
    if listed is None:
        note(f"the Iccid list did not show Sim {sid}: the name was not compared there")
    else:
        expect(
            listed.get("unique_name") == name,
            VALUE_ROUNDTRIP,
            "in the Iccid list the Sim shows another unique_name than the one written",
            expected=name,
            received=listed.get("unique_name"),
            exchange=listed_exchange,
            requirements=["SIM-PROP-003"],
        )
    by_name_exchange = client.get(sim_path(name))
    by_name = _sim_of(by_name_exchange)
    if "/" in name:
        # whether a server routes %2F as a separator the documentation does not pin down
        if by_name is None:
            note(f"the name {name!r} (with '/') does not address the Sim ({by_name_exchange.status}): not judged")
            return by_sid
        expect_soft(
            by_name.get("sid") == sid and by_name.get("unique_name") == name,
            VALUE_ROUNDTRIP,
            "fetched by a unique name with '/', the answer is not the Sim with that name",
            expected={"sid": sid, "unique_name": name},
            received={"sid": by_name.get("sid"), "unique_name": by_name.get("unique_name")},
            exchange=by_name_exchange,
            requirements=["SIM-ADDR-002"],
        )
        return by_sid
    expect(
        by_name is not None and by_name.get("sid") == sid,
        VALUE_ROUNDTRIP,
        f"the unique name just written ({name!r}, percent-encoded in the path) does not address the Sim",
        expected=f"200 with Sim {sid}",
        received=f"{by_name_exchange.status} {by_name_exchange.excerpt()}",
        exchange=by_name_exchange,
        requirements=["SIM-ADDR-003", "SIM-FETCH-002"],
    )
    assert by_name is not None
    expect(
        by_name.get("unique_name") == name,
        VALUE_ROUNDTRIP,
        "fetched by its name, the Sim shows another unique_name than the one written",
        expected=name,
        received=by_name.get("unique_name"),
        exchange=by_name_exchange,
        requirements=["SIM-PROP-003"],
    )
    return by_sid


# --- timestamps ---------------------------------------------------------------------------------


def expect_near_server_time(sim: dict[str, Any], key: str, exchange: Exchange, requirement: str) -> None:
    """``sim[key]`` is within :data:`TOLERANCE` of the Date header of ``exchange`` (the change's answer)."""
    now = _server_time(exchange)
    moment = _instant(sim.get(key))
    if now is None or moment is None:
        return  # no readable Date header (checked by the caller) or a malformed date (the schema checks')
    expect(
        now - TOLERANCE <= moment <= now + TOLERANCE,
        DATES_LIFE,
        f"{key} is not the target's time of the change",
        expected=f"within {TOLERANCE} of the answer's Date header ({now:%Y-%m-%dT%H:%M:%SZ})",
        received=sim.get(key),
        exchange=exchange,
        requirements=[requirement],
    )


def expect_dates_after_update(before: dict[str, Any], answer: Exchange, after: dict[str, Any], what: str) -> None:
    """An accepted update keeps date_created, moves date_updated to the target's time, never back."""
    expect(
        _instant(after.get("date_created")) == _instant(before.get("date_created")),
        DATES_LIFE,
        f"date_created changed when {what}",
        expected=before.get("date_created"),
        received=after.get("date_created"),
        exchange=answer,
        requirements=["SIM-PROP-011"],
    )
    old, new = _instant(before.get("date_updated")), _instant(after.get("date_updated"))
    if old is not None and new is not None:
        expect(
            new >= old,
            DATES_LIFE,
            f"date_updated went backwards when {what}",
            expected=f"{before.get('date_updated')} or later",
            received=after.get("date_updated"),
            exchange=answer,
            requirements=["SIM-PROP-012"],
        )
    expect_near_server_time(after, "date_updated", answer, "SIM-PROP-012")


def expect_reads_keep_dates(client: TargetClient, sid: str, name: str | None, latest: dict[str, Any]) -> None:
    """Reading a Sim nobody changes (by SID twice, by name) leaves both dates where they were."""
    refs = [sid, sid] + ([name] if name and "/" not in name else [])
    for ref in refs:
        exchange = client.get(sim_path(ref))
        sim = _sim_of(exchange)
        if sim is None:
            continue  # addressing is judged elsewhere
        for key, requirement in (("date_created", "SIM-PROP-011"), ("date_updated", "SIM-PROP-012")):
            expect(
                _instant(sim.get(key)) == _instant(latest.get(key)),
                DATES_LIFE,
                f"reading the Sim moved its {key}",
                expected=latest.get(key),
                received=sim.get(key),
                exchange=exchange,
                requirements=[requirement],
            )


def _need_server_time(exchange: Exchange) -> None:
    if _server_time(exchange) is None:
        pytest.skip("the target's answers carry no readable Date header: its clock cannot be compared")


# --- the scenarios ------------------------------------------------------------------------------


@check(VALUE_ROUNDTRIP)
@full_suite
def test_values_name_roundtrip_characters(sc_primary, sc_pool, sc_note):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "active")
    token = _token()
    judged = 0
    for pattern in SPECIAL_NAMES:
        name = pattern.format(u=token)
        if write_name(sc_primary, sim["sid"], name, sc_note) is None:
            continue
        judged += 1
        expect_name_reads_back(sc_primary, sim["sid"], name, sim["iccid"], sc_note)
        expect_one_representation(
            sc_primary, sim["sid"], name if "/" not in name else None, sim["iccid"], owned=True, note=sc_note
        )
    if not judged:
        pytest.skip("the target refused every unique name with special characters (4xx): nothing to judge")


@check(VALUE_ROUNDTRIP)
@full_suite
def test_values_name_roundtrip_lengths(sc_primary, sc_pool, sc_note):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "active")
    token = _token()
    kept = 0
    for length in LENGTHS:
        stem = f"conf-len{length}-{token}-"
        name = (stem + "x" * length)[:length]
        if write_name(sc_primary, sim["sid"], name, sc_note) is None:
            continue
        kept = length
        expect_name_reads_back(sc_primary, sim["sid"], name, sim["iccid"], sc_note)
    if not kept:
        pytest.skip(f"the target refused unique names of every length tried {LENGTHS}: nothing to judge")
    sc_note(f"the longest unique name kept: {kept} characters (of {LENGTHS})")


@check(ADDR_EXACT)
def test_values_exact_addressing(sc_primary, sc_pool):
    named = [s for s in sc_pool.reserved_sims(sc_primary.account_sid) if s.unique_name]
    if not named:
        pytest.skip("the profile lists no SIM with a unique_name among the reserved SIMs")
    seed = named[0]
    exchange = sc_primary.get(sim_path(seed.sid))
    live = _sim_of(exchange)
    if live is None or not live.get("unique_name"):
        pytest.skip(f"the reserved SIM {seed.sid} has no unique name on the target now")
    expect_exact_addressing(sc_primary, seed.sid, live["unique_name"], sid_variants=False)


@check(ONE_REPRESENTATION)
def test_values_one_representation(sc_primary, sc_pool, sc_note):
    named = [s for s in sc_pool.reserved_sims(sc_primary.account_sid) if s.unique_name]
    if not named:
        pytest.skip("the profile lists no SIM with a unique_name among the reserved SIMs")
    for seed in named[:3]:
        exchange = sc_primary.get(sim_path(seed.sid))
        live = _sim_of(exchange)
        if live is None:
            continue  # SCN-FETCH-SID judges fetching the reserved Sims
        expect_one_representation(
            sc_primary, seed.sid, live.get("unique_name"), live.get("iccid"), owned=False, note=sc_note
        )


@check(DATES_LIFE)
@full_suite
def test_values_dates_of_a_registered_sim(sc_primary, sc_pool, sc_note):
    card = sc_pool.take_card(sc_primary.account_sid, client=sc_primary)
    created = sc_primary.post("/v1/Sims", form={"Iccid": card.iccid, "RegistrationCode": card.registration_code})
    sim = body(created)
    if created.status not in (200, 201) or not isinstance(sim, dict) or not isinstance(sim.get("sid"), str):
        pytest.skip(f"the registration answered {created.status}: not judged here (SCN-CREATE judges it)")
    _need_server_time(created)
    expect_near_server_time(sim, "date_created", created, "SIM-PROP-011")
    expect_near_server_time(sim, "date_updated", created, "SIM-PROP-012")
    fetched_exchange, fetched = _fetch_by_sid(sc_primary, sim["sid"], DATES_LIFE, "after registering it")
    expect(
        _instant(fetched.get("date_created")) == _instant(sim.get("date_created")),
        DATES_LIFE,
        "date_created of the registered Sim differs between the registration's answer and a fetch",
        expected=sim.get("date_created"),
        received=fetched.get("date_created"),
        exchange=fetched_exchange,
        requirements=["SIM-PROP-011"],
    )
    name = f"conf-dates-{_token()}"
    answer = write_name(sc_primary, sim["sid"], name, sc_note)
    if answer is None:
        pytest.skip("the target refused a plain UniqueName: the update's dates could not be judged")
    expect_dates_after_update(fetched, answer, body(answer), "its UniqueName was set")
    latest = expect_name_reads_back(sc_primary, sim["sid"], name, card.iccid, sc_note)
    expect_dates_after_update(fetched, answer, latest, "its UniqueName was set (read back)")
    expect_reads_keep_dates(sc_primary, sim["sid"], name, latest)


@check(DATES_LIFE)
@full_suite
def test_values_dates_over_updates(sc_primary, sc_pool, sc_note):
    sim = sc_pool.take_sim(sc_primary, sc_primary.account_sid, "new", with_fleet=False)
    sid, iccid = sim["sid"], sim["iccid"]
    start_exchange, start = _fetch_by_sid(sc_primary, sid, DATES_LIFE, "before updating it")
    _need_server_time(start_exchange)

    # a synchronous update (UniqueName): date_updated moves to the target's time, date_created stays
    first_name = f"conf-life-{_token()}"
    answer = write_name(sc_primary, sid, first_name, sc_note)
    if answer is None:
        pytest.skip("the target refused a plain UniqueName: the update's dates could not be judged")
    expect_dates_after_update(start, answer, body(answer), "its UniqueName was set")
    latest = expect_name_reads_back(sc_primary, sid, first_name, iccid, sc_note)
    expect_dates_after_update(start, answer, latest, "its UniqueName was set (read back)")
    expect_reads_keep_dates(sc_primary, sid, first_name, latest)

    # an unrelated update (Fleet of a new Sim, synchronous) keeps the name and moves date_updated
    fleets = sc_pool.fleets(sc_primary.account_sid)
    if fleets:
        moved = sc_primary.post(sim_path(sid), form={"Fleet": fleets[0].sid})
        if moved.status == 200:
            after = body(moved)
            expect_dates_after_update(latest, moved, after, "its Fleet was set")
        elif moved.status == 202:
            after = wait_until(sc_primary, sid, lambda s: s.get("status") != "scheduled")
        else:
            after = None
            sc_note(f"the Fleet update answered {moved.status}: the values after it were not judged")
        if after is not None:
            expect(
                after.get("unique_name") == first_name,
                VALUE_ROUNDTRIP,
                "an update that did not send UniqueName changed the Sim's unique_name",
                expected=first_name,
                received=after.get("unique_name"),
                exchange=moved,
                requirements=["SIM-PROP-003"],
            )
            latest = expect_one_representation(sc_primary, sid, first_name, iccid, owned=True, note=sc_note)
            expect(
                latest.get("unique_name") == first_name,
                VALUE_ROUNDTRIP,
                "after an update that did not send UniqueName the Sim shows another unique_name",
                expected=first_name,
                received=latest.get("unique_name"),
                requirements=["SIM-PROP-003"],
            )
            expect_dates_after_update(start, moved, latest, "its Fleet was set (read back)")
    else:
        sc_note("the profile lists no fleet: the unrelated update (Fleet) was not tried")

    # a second name: date_updated never goes back, the old name no longer addresses the Sim
    second_name = f"conf-life2-{_token()}"
    answer = write_name(sc_primary, sid, second_name, sc_note)
    if answer is not None:
        expect_dates_after_update(latest, answer, body(answer), "its UniqueName was changed")
        latest = expect_name_reads_back(sc_primary, sid, second_name, iccid, sc_note)
        expect_dates_after_update(start, answer, latest, "its UniqueName was changed (read back)")
        expect_one_representation(sc_primary, sid, second_name, iccid, owned=True, note=sc_note)
        expect_exact_addressing(sc_primary, sid, second_name)
