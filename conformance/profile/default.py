"""The built-in profile the reference mock serves by default, and the tokens a profile holds."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from conformance.profile.load import check_profile
from conformance.profile.model import Account, Fleet, Profile, RegistrableCard, SimSeed


# ---------------------------------------------------------------------------------------
# the default profile
# ---------------------------------------------------------------------------------------
def _hex(label: str) -> str:
    return hashlib.sha256(f"supersim-conformance:{label}".encode()).hexdigest()[:32]


def _code(label: str) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    digest = hashlib.sha256(f"supersim-conformance:code:{label}".encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:10])


def default_profile() -> Profile:
    """The profile the reference mock starts with when given none (same SIDs every call).

    One primary account with two subaccounts and one unrelated account; fleets for each;
    24 registrable cards; 140 Sims for the primary (more than two pages of 50, every status,
    some named, some in fleets), five per subaccount and four for the unrelated account. Every
    ready and active Sim has a fleet, as Twilio requires (errors 83007 and 83008); some new and
    inactive Sims have none.
    """
    primary = Account(sid="AC" + _hex("account:primary"), role="primary", auth_token=_hex("token:primary"))
    sub1 = Account(
        sid="AC" + _hex("account:sub1"), role="subaccount", auth_token=_hex("token:sub1"), parent=primary.sid
    )
    sub2 = Account(
        sid="AC" + _hex("account:sub2"), role="subaccount", auth_token=_hex("token:sub2"), parent=primary.sid
    )
    other = Account(sid="AC" + _hex("account:unrelated"), role="unrelated", auth_token=_hex("token:unrelated"))

    def fleet(label: str, account: Account) -> Fleet:
        return Fleet(sid="HF" + _hex(f"fleet:{label}"), account=account.sid, unique_name=label)

    fleet_a, fleet_b, fleet_c = (
        fleet("primary-fleet-a", primary),
        fleet("primary-fleet-b", primary),
        fleet("primary-fleet-c", primary),
    )
    fleet_s1, fleet_s2, fleet_u = fleet("sub1-fleet", sub1), fleet("sub2-fleet", sub2), fleet("unrelated-fleet", other)

    cards = tuple(RegistrableCard(iccid=f"89883071{n:012d}", registration_code=_code(str(n))) for n in range(1, 25))

    sims: list[SimSeed] = []
    counter = iter(range(1, 10_000))

    def add(account: Account, label: str, status: str, *, name: str | None = None, fleet_sid: str | None = None):
        n = next(counter)
        sims.append(
            SimSeed(
                sid="HS" + _hex(f"sim:{label}"),
                account=account.sid,
                iccid=f"89883070{n:012d}",
                status=status,
                unique_name=name,
                fleet=fleet_sid,
            )
        )

    # Primary: 140 Sims in an interleaved order, so every page of a walk mixes statuses.
    plan = ["new"] * 40 + ["ready"] * 35 + ["active"] * 40 + ["inactive"] * 25
    order = sorted(range(len(plan)), key=lambda i: (i * 37) % len(plan))
    primary_fleets = [fleet_a.sid, fleet_b.sid, fleet_c.sid]
    for position, i in enumerate(order):
        status = plan[i]
        if status == "new":
            fleet_sid = primary_fleets[i % 3] if i % 3 == 0 else None  # most new Sims have none yet
        elif status == "inactive":
            # an inactive Sim may have lost its fleet (Twilio error 83008 names deactivation as the
            # way to remove one); a ready or active Sim always has one (83007, 83008)
            fleet_sid = None if i % 2 == 0 else primary_fleets[i % 3]
        else:
            fleet_sid = primary_fleets[i % 3]
        name = f"primary-sim-{position:03d}" if position % 3 == 0 else None
        add(primary, f"primary:{position}", status, name=name, fleet_sid=fleet_sid)

    for account, fl, label in ((sub1, fleet_s1, "sub1"), (sub2, fleet_s2, "sub2")):
        add(account, f"{label}:0", "new", name=f"{label}-sim-new")
        add(account, f"{label}:1", "new", fleet_sid=fl.sid)
        add(account, f"{label}:2", "ready", fleet_sid=fl.sid, name=f"{label}-sim-ready")
        add(account, f"{label}:3", "active", fleet_sid=fl.sid)
        add(account, f"{label}:4", "inactive")

    add(other, "unrelated:0", "new", name="unrelated-sim-new")
    add(other, "unrelated:1", "ready", fleet_sid=fleet_u.sid)
    add(other, "unrelated:2", "active", fleet_sid=fleet_u.sid, name="unrelated-sim-active")
    add(other, "unrelated:3", "inactive")

    profile = Profile(
        accounts=(primary, sub1, sub2, other),
        fleets=(fleet_a, fleet_b, fleet_c, fleet_s1, fleet_s2, fleet_u),
        registrable=cards,
        sims=tuple(sims),
        name="reference-mock",
        source="<default profile>",
    )
    check_profile(profile)
    return profile


def iter_tokens(profile: Profile) -> Iterable[tuple[str, str]]:
    """``(account_sid, token)`` for every account (env-based tokens resolved now)."""
    for account in profile.accounts:
        yield account.sid, profile.token_for(account.sid)
