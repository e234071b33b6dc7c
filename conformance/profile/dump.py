"""Writing a target profile back to TOML (``serve --write-profile``, the runner's temporary profile)."""

from __future__ import annotations

from typing import Any

import tomli_w

from conformance.profile.model import Profile


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
