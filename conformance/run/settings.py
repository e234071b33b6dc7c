"""What one conformance run is aimed at, read from pytest's options (the CLI builds those).

Credentials never come from a command-line flag (they would land in shell history): they come
from the profile, or from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN for the primary account.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from conformance import is_loopback, is_twilio_host
from conformance.profile import Account, Profile, ProfileError, load_profile


@dataclass(frozen=True)
class Settings:
    target: str
    profile: Profile
    suite: str = "full"
    max_examples: int = 25
    seed: int | None = None
    timeout: float = 10.0
    rate: float | None = None
    callback_url_base: str | None = None
    callback_timeout: float = 10.0
    expected_failures: dict[str, str] = field(default_factory=dict)
    strict: bool = False
    """SHOULD and MAY violations fail the run too (default: warnings)."""
    workers: int = 1
    """Processes of the run (pytest-xdist workers) sharing ``rate``: it is the run's total."""

    @property
    def is_live(self) -> bool:
        return is_twilio_host(self.target)

    @property
    def full(self) -> bool:
        return self.suite == "full"


def apply_environment_credentials(profile: Profile) -> Profile:
    """TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN, when set, give the primary account's credentials."""
    sid, token = os.environ.get("TWILIO_ACCOUNT_SID"), os.environ.get("TWILIO_AUTH_TOKEN")
    if not token:
        return profile
    accounts = []
    for account in profile.accounts:
        if account.role == "primary" and (not sid or sid == account.sid):
            account = replace(account, auth_token=token, auth_token_env=None)
        accounts.append(account)
    if sid and not any(a.sid == sid for a in profile.accounts):
        accounts.insert(0, Account(sid=sid, role="primary", auth_token=token))
        accounts = [a if a.sid == sid or a.role != "primary" else replace(a, role="unrelated") for a in accounts]
    return replace(profile, accounts=tuple(accounts))


def live_rate(target: str, rate: float | None) -> float | None:
    """The politeness limit for ``target``: the given one (0: none), else 5 requests a second for Twilio's hosts."""
    if rate is not None:
        return rate or None
    return 5.0 if is_twilio_host(target) else None


def load_expected_failures(path: str | None) -> dict[str, str]:
    """Parse an expected-failures file: ``ID: reason`` per line, ``#`` comments, blank lines ignored."""
    if not path:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ProfileError(path, f"cannot read the expected-failures file: {error.strerror or error}") from None
    expected: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        ident, sep, reason = line.partition(":")
        ident, reason = ident.strip(), reason.strip()
        if not sep or not ident or not reason or " " in ident:
            raise ProfileError(path, f"line {number}: expected 'ID: reason', got {raw.strip()!r}")
        expected[ident] = reason
    return expected


def settings_from_options(get, *, workers: int = 1) -> Settings:
    """Build Settings from an option getter (``config.getoption``); raise ProfileError on bad input."""
    target = get("supersim_target")
    profile_path = get("supersim_profile")
    if not target or not profile_path:
        raise ProfileError(
            "<options>",
            "a conformance run needs --supersim-target and --supersim-profile "
            "(the CLI's `run` sets both when it starts the embedded mock)",
        )
    profile = apply_environment_credentials(load_profile(profile_path))
    suite = get("supersim_suite") or ("full" if is_loopback(target) else "read-only")
    rate = get("supersim_rate")
    return Settings(
        target=target.rstrip("/"),
        profile=profile,
        suite=suite,
        max_examples=get("supersim_max_examples") or 25,
        seed=get("supersim_seed"),
        timeout=get("supersim_timeout") or 10.0,
        rate=live_rate(target, rate),
        callback_url_base=get("supersim_callback_url_base"),
        callback_timeout=get("supersim_callback_timeout") or 10.0,
        expected_failures=load_expected_failures(get("supersim_expect_failures")),
        strict=bool(get("supersim_strict")),
        workers=max(workers, 1),
    )
