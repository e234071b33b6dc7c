"""The proxy's cross-request rules, one by one: each fires on the defect it is for, and stays quiet
on what a correct server (or a live account changing behind the proxy's back) may show."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from conformance.contract.exchange import Exchange
from conformance.proxy.observer import FRESH_SECONDS, Observer

BASE = "https://supersim.twilio.com"
ACCOUNT = "AC" + "a" * 32
FLEET_A, FLEET_B = "HF" + "a" * 32, "HF" + "b" * 32
T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


def sid(n: int) -> str:
    return f"HS{n:032x}"


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sim(n: int = 1, *, status="active", fleet=FLEET_A, name=None, updated=T0, created=T0 - timedelta(days=1)):
    return {
        "sid": sid(n),
        "account_sid": ACCOUNT,
        "iccid": f"8901{n:016d}",
        "unique_name": name,
        "status": status,
        "fleet_sid": fleet,
        "date_created": stamp(created),
        "date_updated": stamp(updated),
        "url": f"{BASE}/v1/Sims/{sid(n)}",
    }


def answer(method, path, body, *, at=T0 + timedelta(seconds=10), status=200, form=()):
    return Exchange(
        method=method,
        url=BASE + path,
        account_sid=ACCOUNT,
        form=list(form),
        status=status,
        response_headers={"content-type": "application/json", "date": format_datetime(at, usegmt=True)},
        text=json.dumps(body),
    )


def page(sims, *, number=0, size=2, query="", next_url=None, previous_url=None, at=T0 + timedelta(seconds=10)):
    meta = {
        "page": number,
        "page_size": size,
        "key": "sims",
        "url": f"{BASE}/v1/Sims?PageSize={size}&Page={number}{query}",
        "next_page_url": next_url,
        "previous_page_url": previous_url,
        "first_page_url": f"{BASE}/v1/Sims?PageSize={size}&Page=0{query}",
    }
    path = f"/v1/Sims?PageSize={size}&Page={number}{query}"
    return answer("GET", path, {"sims": sims, "meta": meta}, at=at)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def observer():
    clock = Clock()
    return Observer(clock=clock), clock


def ids(found):
    return [(v.check_id, *v.requirements) for v in found]


def fetch(body, **kw):
    return answer("GET", f"/v1/Sims/{body['sid']}", body, **kw)


def update(body, form, **kw):
    return answer("POST", f"/v1/Sims/{body['sid']}", body, form=form.items(), **kw), form


# --- a Sim's life --------------------------------------------------------------------------


def test_identical_answers_are_quiet():
    obs, _ = observer()
    assert obs.observe(fetch(sim())) == []
    assert obs.observe(fetch(sim())) == []


def test_date_created_never_moves():
    obs, _ = observer()
    obs.observe(fetch(sim()))
    assert ids(obs.observe(fetch(sim(created=T0 - timedelta(hours=1))))) == [("SCN-DATES-LIFE", "SIM-PROP-011")]


def test_date_updated_never_goes_back():
    obs, _ = observer()
    obs.observe(fetch(sim()))
    assert ids(obs.observe(fetch(sim(updated=T0 - timedelta(minutes=1))))) == [("SCN-DATES-LIFE", "SIM-PROP-012")]


def test_a_change_at_one_date_updated_is_a_second_representation():
    obs, _ = observer()
    obs.observe(fetch(sim(name="pump-1")))
    assert ids(obs.observe(fetch(sim(name="pump-2")))) == [("SCN-ONE-REPRESENTATION", "SIM-PROP-002")]


def test_a_list_item_that_differs_from_the_fetch_is_the_list_items_fault():
    obs, _ = observer()
    obs.observe(fetch(sim(name="pump-1")))
    assert ids(obs.observe(page([sim(name="other")]))) == [("SCN-LIST-ITEM", "SIM-LIST-003")]


def test_an_update_that_changes_a_field_but_not_date_updated():
    obs, _ = observer()
    obs.observe(fetch(sim(name="pump-1")))
    exchange, form = update(sim(name="pump-2"), {"UniqueName": "pump-2"})
    assert ids(obs.observe(exchange, form)) == [("SCN-DATES-LIFE", "SIM-PROP-012")]


def test_a_change_within_the_second_of_the_last_update_is_quiet():
    """Seen at T0 + 1 s with date_updated T0: a change at T0 + 1.5 s may keep the second T0 (no slack)."""
    obs, _ = observer()
    obs.observe(fetch(sim(name="pump-1"), at=T0 + timedelta(seconds=1)))
    assert obs.observe(fetch(sim(name="pump-2"))) == []


def test_a_change_that_moved_date_updated_is_quiet():
    obs, _ = observer()
    obs.observe(fetch(sim(name="pump-1")))
    assert obs.observe(fetch(sim(name="pump-2", updated=T0 + timedelta(seconds=30)))) == []


def test_an_automatic_ready_to_active_behind_the_proxys_back_is_quiet():
    """Data use turns a ready Sim active; whether date_updated moves then is not documented."""
    obs, _ = observer()
    obs.observe(fetch(sim(status="ready")))
    assert obs.observe(fetch(sim(status="active"))) == []


# --- asynchronous updates ---------------------------------------------------------------------


def test_an_activation_answered_active_at_once_skipped_its_scheduled_step():
    obs, _ = observer()
    obs.observe(fetch(sim(status="new")))
    now = T0 + timedelta(seconds=15)
    exchange, form = update(sim(status="active", updated=now), {"Status": "active"}, at=now)
    assert ids(obs.observe(exchange, form)) == [("SCN-ASYNC-ACTIVATE", "SIM-ASYNC-002", "SIM-ASYNC-006")]


def test_a_sim_activated_elsewhere_before_the_update_is_not_a_skipped_step():
    """Its date_updated is older than the update's own answer: it already was active, this update changed nothing."""
    obs, _ = observer()
    obs.observe(fetch(sim(status="new")))
    exchange, form = update(
        sim(status="active", updated=T0 + timedelta(seconds=5)), {"Status": "active"}, at=T0 + timedelta(seconds=30)
    )
    assert obs.observe(exchange, form) == []


def test_an_answer_to_a_request_sent_before_the_last_one_came_is_not_judged_against_it():
    """Two clients: a slow read sent before an update's answer arrives after it, showing the older state."""
    obs, clock = observer()
    obs.observe(fetch(sim(status="active")))
    slow_read_sent = clock.now + 1
    clock.now += 2
    exchange, form = update(
        sim(status="scheduled", updated=T0 + timedelta(seconds=20)),
        {"Status": "inactive"},
        at=T0 + timedelta(seconds=20),
    )
    obs.observe(exchange, form)
    clock.now += 1
    stale = fetch(sim(status="active"), at=T0 + timedelta(seconds=19))
    assert obs.observe(stale, sent=slow_read_sent) == []
    assert obs.tracks[sid(1)].sim["status"] == "scheduled", "the older answer is not kept in the newer one's place"


def test_a_new_update_replaces_the_last_ones_expectation():
    obs, _ = observer()
    obs.observe(fetch(sim(status="new")))
    first, form = update(sim(status="scheduled", updated=T0 + timedelta(seconds=5)), {"Status": "active"})
    obs.observe(first, form)
    second, form = update(sim(status="scheduled", updated=T0 + timedelta(seconds=8)), {"Status": "inactive"})
    obs.observe(second, form)
    assert obs.observe(fetch(sim(status="inactive", updated=T0 + timedelta(seconds=9)))) == []


def test_an_activation_answered_scheduled_then_ending_active_is_quiet():
    obs, clock = observer()
    obs.observe(fetch(sim(status="new")))
    exchange, form = update(sim(status="scheduled", updated=T0 + timedelta(seconds=5)), {"Status": "active"})
    assert obs.observe(exchange, form) == []
    clock.now += 1
    assert obs.observe(fetch(sim(status="active", updated=T0 + timedelta(seconds=6)))) == []
    assert obs.judged["SCN-ASYNC-ACTIVATE"] == 2  # the answer, then the end


def test_a_scheduled_update_that_ends_in_another_status():
    obs, _ = observer()
    obs.observe(fetch(sim(status="active")))
    exchange, form = update(sim(status="scheduled", updated=T0 + timedelta(seconds=5)), {"Status": "inactive"})
    obs.observe(exchange, form)
    assert ids(obs.observe(fetch(sim(status="active", updated=T0 + timedelta(seconds=9))))) == [
        ("SCN-ASYNC-DEACTIVATE", "SIM-ASYNC-003")
    ]


def test_a_fleet_change_shows_the_old_fleet_while_scheduled_and_the_new_one_after():
    obs, _ = observer()
    obs.observe(fetch(sim()))
    exchange, form = update(
        sim(status="scheduled", fleet=FLEET_B, updated=T0 + timedelta(seconds=5)), {"Fleet": FLEET_B}
    )
    assert ids(obs.observe(exchange, form)) == [("SCN-ASYNC-FLEET", "SIM-ASYNC-004")]
    obs2, _ = observer()
    obs2.observe(fetch(sim()))
    exchange, form = update(sim(status="scheduled", updated=T0 + timedelta(seconds=5)), {"Fleet": FLEET_B})
    obs2.observe(exchange, form)
    assert ids(obs2.observe(fetch(sim(updated=T0 + timedelta(seconds=7))))) == [("SCN-ASYNC-FLEET", "SIM-ASYNC-005")]


def test_expectations_rest_only_on_a_fresh_view_of_the_sim():
    obs, clock = observer()
    obs.observe(fetch(sim(status="new")))
    clock.now += FRESH_SECONDS + 1  # someone may have activated it since
    exchange, form = update(sim(status="active", updated=T0 + timedelta(seconds=5)), {"Status": "active"})
    assert obs.observe(exchange, form) == []


def test_an_update_of_a_sim_never_seen_is_not_judged():
    obs, _ = observer()
    exchange, form = update(sim(status="active"), {"Status": "active"})
    assert obs.observe(exchange, form) == []


def test_a_rename_answered_scheduled_is_a_should():
    obs, _ = observer()
    obs.observe(fetch(sim()))
    exchange, form = update(sim(status="scheduled", name="x", updated=T0 + timedelta(seconds=5)), {"UniqueName": "x"})
    [found] = obs.observe(exchange, form)
    assert (found.check_id, found.level) == ("SCN-ASYNC-SYNC", "SHOULD")


def test_an_activation_without_any_fleet_accepted():
    obs, _ = observer()
    obs.observe(fetch(sim(status="new", fleet=None)))
    exchange, form = update(sim(status="scheduled", fleet=None, updated=T0 + timedelta(seconds=5)), {"Status": "ready"})
    assert ids(obs.observe(exchange, form)) == [("SCN-ACTIVATE-NEEDS-FLEET", "SIM-STATUS-001")]


# --- page chains ------------------------------------------------------------------------------


def next_of(number, size=2, query=""):
    return f"{BASE}/v1/Sims?PageSize={size}&Page={number + 1}&PageToken=PT{number}{query}"


def test_a_next_page_with_the_wrong_index_and_repeated_sims():
    obs, _ = observer()
    obs.observe(page([sim(1), sim(2)], next_url=next_of(0)))
    second = Exchange(**{**vars(page([sim(2), sim(3)], number=0)), "url": next_of(0)})
    found = ids(obs.observe(second))
    assert ("SCN-PAGE-LINKS", "SIM-LIST-005") in found and ("SCN-PAGE-WALK", "SIM-PAGE-007") in found


def test_a_walk_that_follows_its_links_is_quiet():
    obs, _ = observer()
    obs.observe(page([sim(1), sim(2)], next_url=next_of(0)))
    second = Exchange(
        **{
            **vars(page([sim(3), sim(4)], number=1, previous_url=f"{BASE}/v1/Sims?PageSize=2&Page=0")),
            "url": next_of(0),
        }
    )
    assert obs.observe(second) == []


def test_repeats_after_a_write_through_the_proxy_are_not_judged():
    """A Sim registered between two pages may shift a page: no rule compares across a write."""
    obs, _ = observer()
    obs.observe(page([sim(1), sim(2)], next_url=next_of(0)))
    write = answer("POST", "/v1/Sims", sim(9, status="new", fleet=None), status=201)
    obs.request_sent(write)
    obs.observe(write)
    second = Exchange(**{**vars(page([sim(2), sim(3)], number=1)), "url": next_of(0)})
    assert obs.observe(second) == []


def test_repeats_while_a_write_is_in_flight_are_not_judged():
    """A registration sent but not yet answered may already have shifted the page."""
    obs, _ = observer()
    obs.observe(page([sim(1), sim(2)], next_url=next_of(0)))
    obs.request_sent(answer("POST", "/v1/Sims", {}, status=201))
    second = Exchange(**{**vars(page([sim(2), sim(3)], number=1)), "url": next_of(0)})
    assert obs.observe(second) == []


def test_page_rules_compare_only_recent_pages():
    obs, clock = observer()
    obs.observe(page([sim(1), sim(2)], next_url=next_of(0)))
    clock.now += 61  # a Sim registered in the Console meanwhile would have shifted it
    second = Exchange(**{**vars(page([sim(2), sim(3)], number=1)), "url": next_of(0)})
    assert obs.observe(second) == []


def test_a_walk_must_agree_with_page_zero_at_another_size():
    obs, _ = observer()
    obs.observe(page([sim(n) for n in range(1, 7)], size=6))  # the whole list, in one page
    obs.observe(page([sim(1), sim(2)], next_url=next_of(0)))
    skipped = Exchange(**{**vars(page([sim(5), sim(6)], number=1)), "url": next_of(0)})
    assert ids(obs.observe(skipped)) == [("SCN-PAGE-WALK", "SIM-PAGE-007")]


def test_a_walk_that_agrees_with_page_zero_is_quiet():
    obs, _ = observer()
    obs.observe(page([sim(n) for n in range(1, 5)], size=4))
    obs.observe(page([sim(1), sim(2)], next_url=next_of(0)))
    following = Exchange(**{**vars(page([sim(3), sim(4)], number=1)), "url": next_of(0)})
    assert obs.observe(following) == []


def test_next_page_url_that_leads_to_an_empty_page():
    obs, _ = observer()
    obs.observe(page([sim(1), sim(2)], next_url=next_of(0)))
    empty = Exchange(**{**vars(page([], number=1)), "url": next_of(0)})
    assert ids(obs.observe(empty)) == [("SCN-PAGE-WALK", "SIM-PAGE-008")]


def test_memory_is_bounded():
    obs, _ = observer()
    for n in range(6000):
        obs.observe(fetch(sim(n + 1)))
    assert len(obs.tracks) <= 5000
