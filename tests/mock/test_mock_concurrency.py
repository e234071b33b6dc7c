"""Concurrent writers: one registration per ICCID, one Sim per unique name, no lost update."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx


def _clients(mock, n):
    return [
        httpx.Client(base_url=mock.base_url, auth=mock.credentials(), trust_env=False, timeout=20) for _ in range(n)
    ]


def _parallel(calls, check_contract):
    """Run the calls at once; every response that is one is checked against the contract."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        responses = list(pool.map(lambda call: call(), calls))
    for response in responses:
        if response is not None:
            check_contract(response)
    return responses


def test_32_concurrent_registrations_of_one_iccid_give_exactly_one_201(mock, check_contract):
    card = mock.profile.registrable[0]
    clients = _clients(mock, 32)
    form = {"Iccid": card.iccid, "RegistrationCode": card.registration_code}
    responses = _parallel([lambda c=c: c.post("/v1/Sims", data=form) for c in clients], check_contract)
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1 and codes.count(409) == 31
    listed = clients[0].get("/v1/Sims", params={"Iccid": card.iccid}).json()["sims"]
    assert len(listed) == 1
    for c in clients:
        c.close()


def test_concurrent_updates_to_one_unique_name_one_succeeds(mock, check_contract):
    sims = [s.sid for s in mock.profile.sims_by(mock.profile.primary.sid, "new", named=False)][:16]
    clients = _clients(mock, len(sims))
    calls = [
        lambda c=c, sid=sid: c.post(f"/v1/Sims/{sid}", data={"UniqueName": "the-one"})
        for c, sid in zip(clients, sims, strict=False)
    ]
    responses = _parallel(calls, check_contract)
    codes = [r.status_code for r in responses]
    assert codes.count(200) == 1 and codes.count(409) == len(sims) - 1
    winner = next(r.json()["sid"] for r in responses if r.status_code == 200)
    assert clients[0].get("/v1/Sims/the-one").json()["sid"] == winner
    for c in clients:
        c.close()


def test_no_update_is_lost_under_concurrent_writes(mock, check_contract):
    """Each writer renames a different Sim 5 times; every final name is the writer's last one."""
    sims = [s.sid for s in mock.profile.sims_by(mock.profile.primary.sid, "inactive")][:12]
    clients = _clients(mock, len(sims))

    def writer(client, sid, n):
        for round_ in range(5):
            assert client.post(f"/v1/Sims/{sid}", data={"UniqueName": f"w{n}-r{round_}"}).status_code == 200

    _parallel(
        [lambda c=c, sid=sid, n=n: writer(c, sid, n) for n, (c, sid) in enumerate(zip(clients, sims, strict=False))],
        check_contract,
    )
    for n, sid in enumerate(sims):
        assert clients[0].get(f"/v1/Sims/{sid}").json()["unique_name"] == f"w{n}-r4"
    for c in clients:
        c.close()


def test_concurrent_activation_and_registration_keep_the_store_consistent(mock, check_contract):
    clients = _clients(mock, 16)
    new = [s.sid for s in mock.profile.sims_by(mock.profile.primary.sid, "new", with_fleet=True)][:8]
    cards = mock.profile.registrable[:8]
    calls = [
        lambda c=c, sid=sid: c.post(f"/v1/Sims/{sid}", data={"Status": "active"})
        for c, sid in zip(clients, new, strict=False)
    ]
    calls += [
        lambda c=c, card=card: c.post(
            "/v1/Sims", data={"Iccid": card.iccid, "RegistrationCode": card.registration_code}
        )
        for c, card in zip(clients[8:], cards, strict=False)
    ]
    codes = sorted(r.status_code for r in _parallel(calls, check_contract))
    assert codes == [201] * 8 + [202] * 8
    mock.state.flush()
    listed = check_contract(clients[0].get("/v1/Sims?PageSize=1000"))["sims"]
    assert len(listed) == len(mock.profile.sims_of(mock.profile.primary.sid)) + 8
    assert len({s["sid"] for s in listed}) == len(listed)
    for c in clients:
        c.close()
