"""A target profile as the one JSON line ``scenarios.mjs`` reads on stdin.

Node cannot read the kit's TOML profiles without a parser of its own, so the Python side hands
over what the scenarios need, with every Auth Token resolved (``auth_token_env`` read here, once):

    python -m tests.client_node.profile                      # the default profile (the mock's)
    python -m tests.client_node.profile mock-profile.toml    # a profile written by ``serve --write-profile``
"""

from __future__ import annotations

import json
import sys
from typing import Any

from conformance.profile import Profile, default_profile, load_profile


def profile_data(profile: Profile) -> dict[str, Any]:
    """Accounts (with tokens), fleets, registrable cards and Sims, in the profile's own order."""
    return {
        "primary": profile.primary.sid,
        "accounts": [
            {"sid": a.sid, "role": a.role, "parent": a.parent, "token": profile.token_for(a.sid)}
            for a in profile.accounts
        ],
        "fleets": [{"sid": f.sid, "account": f.account, "unique_name": f.unique_name} for f in profile.fleets],
        "registrable": [
            {"iccid": c.iccid, "registration_code": c.registration_code, "account": c.account}
            for c in profile.registrable
        ],
        "sims": [
            {
                "sid": s.sid,
                "account": s.account,
                "iccid": s.iccid,
                "status": s.status,
                "unique_name": s.unique_name,
                "fleet": s.fleet,
            }
            for s in profile.sims
        ],
    }


def profile_line(profile: Profile) -> str:
    """:func:`profile_data` as one JSON line (newline included), as ``scenarios.mjs`` reads it."""
    return json.dumps(profile_data(profile), separators=(",", ":")) + "\n"


def main(argv: list[str]) -> int:
    profile = load_profile(argv[0]) if argv else default_profile()
    sys.stdout.write(profile_line(profile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
