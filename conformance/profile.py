"""Target profiles: which accounts, fleets, registrable cards and Sims a target starts with.

A conformance run needs to know things no API call can discover: the Auth Tokens of a
primary account and its subaccounts, which fleets exist, and which SIM cards may still be
registered with which code. A profile is that knowledge in one TOML file. The reference
mock *builds* its initial state from a profile; the runner *reads* the same profile to
know what to expect, so the two can never disagree.

Format (every table is an array of tables except ``[target]``)::

    [target]                      # optional
    name = "reference-mock"

    [[accounts]]
    sid = "AC..."                 # ^AC[0-9a-fA-F]{32}$
    auth_token = "..."            # or: auth_token_env = "TWILIO_AUTH_TOKEN"
    role = "primary"              # primary | subaccount | unrelated
    parent = "AC..."              # required for (and only for) a subaccount; must be a primary

    [[fleets]]
    sid = "HF..."
    unique_name = "my-fleet"      # optional; unique within its account
    account = "AC..."

    [[registrable]]               # cards not yet registered to any account
    iccid = "8988307..."          # 18-22 digits
    registration_code = "ABCDE12345"   # exactly 10 letters or digits
    account = "AC..."             # optional hint: the account meant to register it

    [[sims]]                      # Sims that exist when the target starts
    sid = "HS..."
    account = "AC..."
    iccid = "8988307..."
    status = "new"                # new | ready | active | inactive
    unique_name = "my-sim"        # optional; unique within its account; not shaped like a Sim SID
    fleet = "HF..."               # optional; a fleet of the same account

Unknown keys are errors (they are almost always typos that would silently change a run).
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import tomli_w

ROLES = ("primary", "subaccount", "unrelated")
SIM_STATUSES = ("new", "ready", "active", "inactive")

ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
FLEET_SID = re.compile(r"^HF[0-9a-fA-F]{32}$")
SIM_SID = re.compile(r"^HS[0-9a-fA-F]{32}$")
ICCID = re.compile(r"^[0-9]{18,22}$")
REGISTRATION_CODE = re.compile(r"^[0-9A-Za-z]{10}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Longest unique name the mock accepts (profile and API alike).
MAX_UNIQUE_NAME = 64


class ProfileError(ValueError):
    """A profile file that cannot be used: says which file and what is wrong with it."""

    def __init__(self, source: str, problem: str):
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


@dataclass(frozen=True)
class Account:
    """One Twilio account the target knows, with how to get its Auth Token."""

    sid: str
    role: str
    auth_token: str | None = None
    auth_token_env: str | None = None
    parent: str | None = None


@dataclass(frozen=True)
class Fleet:
    sid: str
    account: str
    unique_name: str | None = None


@dataclass(frozen=True)
class RegistrableCard:
    """A SIM card nobody has registered yet; POST /v1/Sims with these two values claims it."""

    iccid: str
    registration_code: str
    account: str | None = None
    """Hint only: the account a runner should register it with (the mock accepts any)."""


@dataclass(frozen=True)
class SimSeed:
    """A Sim that exists when the target starts."""

    sid: str
    account: str
    iccid: str
    status: str
    unique_name: str | None = None
    fleet: str | None = None


@dataclass(frozen=True)
class Profile:
    """Everything a run needs to know about a target's initial state."""

    accounts: tuple[Account, ...]
    fleets: tuple[Fleet, ...] = ()
    registrable: tuple[RegistrableCard, ...] = ()
    sims: tuple[SimSeed, ...] = ()
    name: str | None = None
    source: str = field(default="<profile>", compare=False)

    # -- accounts ---------------------------------------------------------------------
    def account(self, role: str) -> Account:
        """The first account with ``role`` (primary, subaccount or unrelated)."""
        for account in self.accounts:
            if account.role == role:
                return account
        raise ProfileError(self.source, f"no account with role {role!r}")

    def accounts_with(self, role: str) -> tuple[Account, ...]:
        return tuple(a for a in self.accounts if a.role == role)

    @property
    def primary(self) -> Account:
        return self.account("primary")

    @property
    def subaccounts(self) -> tuple[Account, ...]:
        """Subaccounts of :attr:`primary` (the account-move rules work on these)."""
        return tuple(a for a in self.accounts if a.role == "subaccount" and a.parent == self.primary.sid)

    @property
    def unrelated(self) -> Account | None:
        """The first unrelated account, or None if the profile has none."""
        found = self.accounts_with("unrelated")
        return found[0] if found else None

    def account_by_sid(self, sid: str) -> Account:
        for account in self.accounts:
            if account.sid == sid:
                return account
        raise ProfileError(self.source, f"no account {sid}")

    def token_for(self, account_sid: str) -> str:
        """The Auth Token of an account, read from the environment for ``auth_token_env``."""
        account = self.account_by_sid(account_sid)
        if account.auth_token is not None:
            return account.auth_token
        value = os.environ.get(account.auth_token_env or "")
        if not value:
            raise ProfileError(
                self.source,
                f"account {account_sid}: environment variable {account.auth_token_env} is not set or empty",
            )
        return value

    def credentials(self, account_sid: str) -> tuple[str, str]:
        """``(sid, token)`` for HTTP Basic."""
        return account_sid, self.token_for(account_sid)

    # -- fleets, cards, sims ---------------------------------------------------------
    def fleets_of(self, account_sid: str) -> tuple[Fleet, ...]:
        return tuple(f for f in self.fleets if f.account == account_sid)

    def fleet_by_sid(self, sid: str) -> Fleet:
        for fleet in self.fleets:
            if fleet.sid == sid:
                return fleet
        raise ProfileError(self.source, f"no fleet {sid}")

    def registrable_for(self, account_sid: str | None = None) -> tuple[RegistrableCard, ...]:
        """Cards hinted for ``account_sid`` plus cards with no hint (all cards when None)."""
        if account_sid is None:
            return self.registrable
        return tuple(c for c in self.registrable if c.account in (None, account_sid))

    def sims_of(self, account_sid: str) -> tuple[SimSeed, ...]:
        return tuple(s for s in self.sims if s.account == account_sid)

    def sims_by(
        self,
        account_sid: str,
        status: str | None = None,
        *,
        with_fleet: bool | None = None,
        named: bool | None = None,
    ) -> tuple[SimSeed, ...]:
        """Seed Sims of one account, optionally only one status / with or without fleet / name."""
        out = []
        for sim in self.sims_of(account_sid):
            if status is not None and sim.status != status:
                continue
            if with_fleet is not None and (sim.fleet is not None) != with_fleet:
                continue
            if named is not None and (sim.unique_name is not None) != named:
                continue
            out.append(sim)
        return tuple(out)


# ---------------------------------------------------------------------------------------
# loading and validating
# ---------------------------------------------------------------------------------------
_KEYS: dict[str, tuple[set[str], set[str]]] = {
    # table: (required keys, optional keys)
    "accounts": ({"sid", "role"}, {"auth_token", "auth_token_env", "parent"}),
    "fleets": ({"sid", "account"}, {"unique_name"}),
    "registrable": ({"iccid", "registration_code"}, {"account"}),
    "sims": ({"sid", "account", "iccid", "status"}, {"unique_name", "fleet"}),
}


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Read and validate a TOML profile; raise :class:`ProfileError` naming the file and problem."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(source, f"cannot read profile: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ProfileError(source, "profile is not UTF-8 text") from None
    return loads_profile(text, source=source)


def loads_profile(text: str, *, source: str = "<string>") -> Profile:
    """Parse and validate a profile from TOML text (``source`` names it in errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(source, f"not valid TOML: {exc}") from None
    return profile_from_dict(data, source=source)


def profile_from_dict(data: dict[str, Any], *, source: str = "<dict>") -> Profile:
    """Build and validate a profile from already-parsed data."""
    unknown = set(data) - {"target", "accounts", "fleets", "registrable", "sims"}
    if unknown:
        raise ProfileError(source, f"unknown top-level key(s): {', '.join(sorted(unknown))}")
    name = None
    if "target" in data:
        target = data["target"]
        if not isinstance(target, dict):
            raise ProfileError(source, "[target] must be a table")
        extra = set(target) - {"name"}
        if extra:
            raise ProfileError(source, f"[target]: unknown key(s): {', '.join(sorted(extra))}")
        name = target.get("name")
        if name is not None and not isinstance(name, str):
            raise ProfileError(source, "[target] name must be a string")

    tables = {key: _entries(data, key, source) for key in _KEYS}
    accounts = tuple(
        Account(
            sid=e["sid"],
            role=e["role"],
            auth_token=e.get("auth_token"),
            auth_token_env=e.get("auth_token_env"),
            parent=e.get("parent"),
        )
        for e in tables["accounts"]
    )
    fleets = tuple(Fleet(sid=e["sid"], account=e["account"], unique_name=e.get("unique_name")) for e in tables["fleets"])
    cards = tuple(
        RegistrableCard(iccid=e["iccid"], registration_code=e["registration_code"], account=e.get("account"))
        for e in tables["registrable"]
    )
    sims = tuple(
        SimSeed(
            sid=e["sid"],
            account=e["account"],
            iccid=e["iccid"],
            status=e["status"],
            unique_name=e.get("unique_name"),
            fleet=e.get("fleet"),
        )
        for e in tables["sims"]
    )
    profile = Profile(accounts=accounts, fleets=fleets, registrable=cards, sims=sims, name=name, source=source)
    check_profile(profile)
    return profile


def _entries(data: dict[str, Any], key: str, source: str) -> list[dict[str, Any]]:
    raw = data.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise ProfileError(source, f"{key} must be an array of tables ([[{key}]])")
    required, optional = _KEYS[key]
    for index, entry in enumerate(raw):
        where = f"{key}[{index}]"
        missing = required - set(entry)
        if missing:
            raise ProfileError(source, f"{where}: missing key(s): {', '.join(sorted(missing))}")
        extra = set(entry) - required - optional
        if extra:
            raise ProfileError(source, f"{where}: unknown key(s): {', '.join(sorted(extra))}")
        for name, value in entry.items():
            if not isinstance(value, str):
                raise ProfileError(source, f"{where}: {name} must be a string, got {type(value).__name__}")
    return raw


def check_profile(profile: Profile) -> None:
    """Raise :class:`ProfileError` for the first inconsistency in ``profile``."""
    src = profile.source

    def fail(problem: str) -> None:
        raise ProfileError(src, problem)

    if not profile.accounts:
        fail("at least one [[accounts]] entry is required")
    account_roles: dict[str, str] = {}
    for i, account in enumerate(profile.accounts):
        where = f"accounts[{i}] ({account.sid})"
        if not ACCOUNT_SID.match(account.sid):
            fail(f"accounts[{i}]: sid {account.sid!r} does not match ^AC[0-9a-fA-F]{{32}}$")
        if account.sid in account_roles:
            fail(f"{where}: duplicate account sid")
        if account.role not in ROLES:
            fail(f"{where}: role {account.role!r} is not one of {', '.join(ROLES)}")
        if (account.auth_token is None) == (account.auth_token_env is None):
            fail(f"{where}: give exactly one of auth_token and auth_token_env")
        if account.auth_token is not None and not account.auth_token:
            fail(f"{where}: auth_token is empty")
        if account.auth_token_env is not None and not ENV_NAME.match(account.auth_token_env):
            fail(f"{where}: auth_token_env {account.auth_token_env!r} is not an environment variable name")
        account_roles[account.sid] = account.role
    if "primary" not in account_roles.values():
        fail("no account has role 'primary'")
    for i, account in enumerate(profile.accounts):
        where = f"accounts[{i}] ({account.sid})"
        if account.role == "subaccount":
            if account.parent is None:
                fail(f"{where}: a subaccount needs parent = the SID of its primary account")
            if account_roles.get(account.parent) != "primary":
                fail(f"{where}: parent {account.parent} is not a primary account of this profile")
        elif account.parent is not None:
            fail(f"{where}: only a subaccount has a parent")

    fleet_accounts: dict[str, str] = {}
    fleet_names: set[tuple[str, str]] = set()
    for i, fleet in enumerate(profile.fleets):
        where = f"fleets[{i}] ({fleet.sid})"
        if not FLEET_SID.match(fleet.sid):
            fail(f"fleets[{i}]: sid {fleet.sid!r} does not match ^HF[0-9a-fA-F]{{32}}$")
        if fleet.sid in fleet_accounts:
            fail(f"{where}: duplicate fleet sid")
        if fleet.account not in account_roles:
            fail(f"{where}: account {fleet.account} is not an account of this profile")
        if fleet.unique_name is not None:
            if not fleet.unique_name or FLEET_SID.match(fleet.unique_name):
                fail(f"{where}: unique_name must be non-empty and not shaped like a Fleet SID")
            if (fleet.account, fleet.unique_name) in fleet_names:
                fail(f"{where}: unique_name {fleet.unique_name!r} is used twice in account {fleet.account}")
            fleet_names.add((fleet.account, fleet.unique_name))
        fleet_accounts[fleet.sid] = fleet.account

    iccids: set[str] = set()
    for i, card in enumerate(profile.registrable):
        where = f"registrable[{i}] ({card.iccid})"
        if not ICCID.match(card.iccid):
            fail(f"registrable[{i}]: iccid {card.iccid!r} is not 18-22 digits")
        if card.iccid in iccids:
            fail(f"{where}: duplicate iccid")
        if not REGISTRATION_CODE.match(card.registration_code):
            fail(f"{where}: registration_code must be exactly 10 letters or digits")
        if card.account is not None and card.account not in account_roles:
            fail(f"{where}: account {card.account} is not an account of this profile")
        iccids.add(card.iccid)

    sim_sids: set[str] = set()
    sim_names: set[tuple[str, str]] = set()
    for i, sim in enumerate(profile.sims):
        where = f"sims[{i}] ({sim.sid})"
        if not SIM_SID.match(sim.sid):
            fail(f"sims[{i}]: sid {sim.sid!r} does not match ^HS[0-9a-fA-F]{{32}}$")
        if sim.sid in sim_sids:
            fail(f"{where}: duplicate sim sid")
        if sim.account not in account_roles:
            fail(f"{where}: account {sim.account} is not an account of this profile")
        if not ICCID.match(sim.iccid):
            fail(f"{where}: iccid {sim.iccid!r} is not 18-22 digits")
        if sim.iccid in iccids:
            fail(f"{where}: iccid {sim.iccid} is used twice (sims and registrable cards share one ICCID space)")
        if sim.status not in SIM_STATUSES:
            fail(f"{where}: status {sim.status!r} is not one of {', '.join(SIM_STATUSES)}")
        if sim.unique_name is not None:
            if not sim.unique_name or len(sim.unique_name) > MAX_UNIQUE_NAME:
                fail(f"{where}: unique_name must be 1-{MAX_UNIQUE_NAME} characters")
            if SIM_SID.match(sim.unique_name):
                fail(f"{where}: unique_name {sim.unique_name!r} is shaped like a Sim SID")
            if (sim.account, sim.unique_name) in sim_names:
                fail(f"{where}: unique_name {sim.unique_name!r} is used twice in account {sim.account}")
            sim_names.add((sim.account, sim.unique_name))
        if sim.fleet is not None:
            if sim.fleet not in fleet_accounts:
                fail(f"{where}: fleet {sim.fleet} is not a fleet of this profile")
            if fleet_accounts[sim.fleet] != sim.account:
                fail(f"{where}: fleet {sim.fleet} belongs to account {fleet_accounts[sim.fleet]}, not {sim.account}")
        sim_sids.add(sim.sid)
        iccids.add(sim.iccid)


# ---------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------
def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The TOML-ready dictionary of a profile (None values left out)."""

    def clean(obj: Any) -> dict[str, Any]:
        return {k: v for k, v in obj.__dict__.items() if v is not None}

    data: dict[str, Any] = {}
    if profile.name is not None:
        data["target"] = {"name": profile.name}
    data["accounts"] = [clean(a) for a in profile.accounts]
    for key, items in (("fleets", profile.fleets), ("registrable", profile.registrable), ("sims", profile.sims)):
        if items:
            data[key] = [clean(item) for item in items]
    return data


def dump_profile(profile: Profile) -> str:
    """TOML text that :func:`loads_profile` reads back to an equal profile."""
    header = "# supersim-conformance target profile (format: conformance/profile.py, docs/mock.md)\n"
    return header + tomli_w.dumps(profile_to_dict(profile))


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
    some named, some in fleets), five per subaccount and four for the unrelated account.
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

    fleet_a, fleet_b, fleet_c = fleet("primary-fleet-a", primary), fleet("primary-fleet-b", primary), fleet(
        "primary-fleet-c", primary
    )
    fleet_s1, fleet_s2, fleet_u = fleet("sub1-fleet", sub1), fleet("sub2-fleet", sub2), fleet("unrelated-fleet", other)

    cards = tuple(
        RegistrableCard(iccid=f"89883071{n:012d}", registration_code=_code(str(n))) for n in range(1, 25)
    )

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
            fleet_sid = primary_fleets[i % 3] if i % 2 == 0 else None
        else:
            fleet_sid = None if i % 5 == 0 else primary_fleets[i % 3]
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
