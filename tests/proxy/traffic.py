"""Application traffic for the proxy's proofs: what a real twilio-python user sends.

One function drives the real ``twilio`` client through the proxy against whatever the proxy
fronts: a read of page 0 at PageSize 50, walks of every page at 7 and 40 (``list`` follows
``next_page_url`` verbatim), ``page``/``next_page``/``previous_page``, fetches by SID, the Status
filters, then the four kinds of asynchronous update, each with a CallbackUrl on a loopback
receiver, and a fetch of each Sim once it has settled. It asserts nothing: what it sent and what
came back is the proxy's to judge.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from twilio.base.exceptions import TwilioRestException

from conformance.mock import RunningMock
from conformance.proxy import RunningProxy
from conformance.suite.callbacks import CallbackReceiver

#: Seconds to wait for a scheduled update to settle, and for its callback.
SETTLE = 3.0


@dataclass
class Sent:
    """What the traffic did, for the tests that need it (the callback URLs it gave)."""

    callback_urls: list[str] = field(default_factory=list)
    updates: dict[str, str] = field(default_factory=dict)
    """SID -> what the update asked."""


def _settled(client, sid: str) -> None:
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        try:
            if client.supersim.v1.sims(sid).fetch().status != "scheduled":
                return
        except TwilioRestException:
            return
        time.sleep(0.1)


def application_traffic(mock: RunningMock, proxy: RunningProxy, receiver: CallbackReceiver) -> Sent:
    """Drive twilio-python through ``proxy`` (in front of ``mock``); return what it asked for."""
    sent = Sent()
    sid, token = mock.credentials("primary")
    client = proxy.client(sid, token)
    sims = client.supersim.v1.sims
    sims.list(page_size=50, limit=50)
    sims.list(page_size=7, limit=40)
    sims.list(page_size=40, limit=1000)  # every page (a bound: a looping next link must not hang the test)
    page = sims.page(page_size=5)
    page.next_page().previous_page()
    for status in ("new", "ready", "active", "inactive"):
        sims.list(status=status, limit=5)
    profile = mock.profile
    mine = [s for s in profile.sims if s.account == sid]
    new = next(s for s in mine if s.status == "new" and s.fleet)
    active = [s for s in mine if s.status == "active" and s.fleet][:2]
    inactive = next(s for s in mine if s.status == "inactive" and s.fleet)
    other_fleet = next(f for f in profile.fleets if f.account == sid and f.sid != active[1].fleet)
    updates = [
        (new.sid, {"status": "active"}, "POST"),
        (active[0].sid, {"status": "inactive"}, "GET"),
        (inactive.sid, {"status": "active"}, "POST"),
        (active[1].sid, {"fleet": other_fleet.sid}, "POST"),
    ]
    scheduled = []
    for number, (target, change, method) in enumerate(updates):
        sims(target).fetch()
        url = receiver.url_for(f"update-{number}")
        sent.callback_urls.append(url)
        sent.updates[target] = str(change)
        try:
            answer = sims(target).update(callback_url=url, callback_method=method, **change)
        except TwilioRestException:
            continue
        if answer.status == "scheduled":  # only a scheduled update owes a callback: wait for those
            scheduled.append((target, url))
    for target, url in scheduled:
        _settled(client, target)
        receiver.wait(url, count=1, timeout=SETTLE)
    for target, _change, _method in updates:
        sims(target).fetch()
    return sent
