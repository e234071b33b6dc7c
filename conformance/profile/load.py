"""Reading a target profile (TOML) and checking that it is consistent before anything uses it."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, NoReturn

from conformance.profile.model import (
    ACCOUNT_SID,
    ENV_NAME,
    FLEET_SID,
    ICCID,
    REGISTRATION_CODE,
    ROLES,
    SIM_SID,
    SIM_STATUSES,
    Account,
    Fleet,
    Profile,
    ProfileError,
    RegistrableCard,
    SimSeed,
)

# ---------------------------------------------------------------------------------------
# loading and validating
# ---------------------------------------------------------------------------------------
_KEYS: dict[str, tuple[set[str], set[str]]] = {
    # table: (required keys, optional keys)
    "accounts": ({"sid", "role"}, {"auth_token", "auth_token_env", "parent"}),
    "fleets": ({"sid", "account"}, {"unique_name"}),
    "registrable": ({"iccid", "registration_code"}, {"account"}),
    "sims": ({"sid", "account", "status"}, {"iccid", "unique_name", "fleet"}),
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
    fleets = tuple(
        Fleet(sid=e["sid"], account=e["account"], unique_name=e.get("unique_name")) for e in tables["fleets"]
    )
    cards = tuple(
        RegistrableCard(iccid=e["iccid"], registration_code=e["registration_code"], account=e.get("account"))
        for e in tables["registrable"]
    )
    sims = tuple(
        SimSeed(
            sid=e["sid"],
            account=e["account"],
            iccid=e.get("iccid", ""),
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

    def fail(problem: str) -> NoReturn:
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
            fail(f"registrable[{i}]: iccid {card.iccid!r} is not letters and digits")
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
        if sim.iccid and not ICCID.match(sim.iccid):  # "": left out (a run looks it up by SID)
            fail(f"{where}: iccid {sim.iccid!r} is not letters and digits")
        if sim.iccid and sim.iccid in iccids:
            fail(f"{where}: iccid {sim.iccid} is used twice (sims and registrable cards share one ICCID space)")
        if sim.status not in SIM_STATUSES:
            fail(f"{where}: status {sim.status!r} is not one of {', '.join(SIM_STATUSES)}")
        if sim.unique_name is not None:
            if not sim.unique_name:
                fail(f"{where}: unique_name must not be empty (leave it out for a Sim without one)")
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
        if sim.iccid:
            iccids.add(sim.iccid)
