"""The target profile's data: accounts, fleets, registrable cards, Sims, and the checks on their shapes."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

ROLES = ("primary", "subaccount", "unrelated")
SIM_STATUSES = ("new", "ready", "active", "inactive")

ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
FLEET_SID = re.compile(r"^HF[0-9a-fA-F]{32}$")
SIM_SID = re.compile(r"^HS[0-9a-fA-F]{32}$")
#: An ICCID as a profile may hold one: letters and digits. The Sim page states no format or
#: length (real ICCIDs are 19-20 digits, some tools append a hex check character), so the
#: profile refuses only what cannot be an identifier at all.
ICCID = re.compile(r"^[0-9A-Za-z]+$")
REGISTRATION_CODE = re.compile(r"^[0-9A-Za-z]{10}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Longest unique name the reference mock's API accepts (its own choice: the page states no
#: limit, so a target profile may hold longer names, and the suite never assumes one).
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
