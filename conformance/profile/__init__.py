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
    iccid = "8988307..."          # letters and digits (no length is imposed)
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

from conformance.profile.default import default_profile, iter_tokens
from conformance.profile.dump import dump_profile, profile_to_dict
from conformance.profile.load import (
    check_profile,
    load_profile,
    loads_profile,
    profile_from_dict,
)
from conformance.profile.model import (
    ACCOUNT_SID,
    ENV_NAME,
    FLEET_SID,
    ICCID,
    MAX_UNIQUE_NAME,
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

__all__ = [
    "ACCOUNT_SID",
    "ENV_NAME",
    "FLEET_SID",
    "ICCID",
    "MAX_UNIQUE_NAME",
    "REGISTRATION_CODE",
    "ROLES",
    "SIM_SID",
    "SIM_STATUSES",
    "Account",
    "Fleet",
    "Profile",
    "ProfileError",
    "RegistrableCard",
    "SimSeed",
    "check_profile",
    "default_profile",
    "dump_profile",
    "iter_tokens",
    "load_profile",
    "loads_profile",
    "profile_from_dict",
    "profile_to_dict",
]
