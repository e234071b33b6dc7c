"""Writing a target profile back to TOML (``serve --write-profile``, the runner's temporary profile)."""

from __future__ import annotations

from typing import Any

import tomli_w

from conformance.profile.model import Profile

#: The comment a written profile starts with: what it is, and where its format is described
#: (places an installed kit has: the docstring of ``conformance.profile``, ``serve --help``).
HEADER = """\
# supersim-conformance target profile: what the target holds before a run.
# [target] name; [[accounts]] sid, role (primary | subaccount | unrelated), auth_token or
# auth_token_env, parent (a subaccount's primary); [[fleets]] sid, account, unique_name;
# [[registrable]] SIM cards nobody has registered yet: iccid, registration_code;
# [[sims]] sid, account, iccid (may be left out), status (new | ready | active | inactive), unique_name, fleet.
# The format in full: `python -m pydoc conformance.profile` (or the README, "Target profile");
# written by `supersim-conformance serve --write-profile FILE` (see `serve --help`).
"""


# ---------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------
def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The TOML-ready dictionary of a profile (None values left out)."""

    def clean(obj: Any) -> dict[str, Any]:
        # None: not set; an empty iccid: left out of a discovered profile (a run looks it up by SID)
        return {k: v for k, v in obj.__dict__.items() if v is not None and not (k == "iccid" and v == "")}

    data: dict[str, Any] = {}
    if profile.name is not None:
        data["target"] = {"name": profile.name}
    data["accounts"] = [clean(a) for a in profile.accounts]
    for key, items in (("fleets", profile.fleets), ("registrable", profile.registrable), ("sims", profile.sims)):
        if items:
            data[key] = [clean(item) for item in items]
    return data


def dump_profile(profile: Profile) -> str:
    """TOML text that :func:`loads_profile` reads back to an equal profile.

    Every list is written as an array of tables (``[[registrable]]``, one table per entry), as
    the README shows the format; tomli_w alone would write short entries as an inline array.
    """
    data = profile_to_dict(profile)
    if any(isinstance(v, (dict, list)) for table in _tables(data) for v in table.values()):
        return HEADER + "\n" + tomli_w.dumps(data)  # nested values (none today): tomli_w places them
    chunks = [HEADER]
    for key, value in data.items():
        tables = [value] if isinstance(value, dict) else value
        header = f"[{key}]" if isinstance(value, dict) else f"[[{key}]]"
        for table in tables:
            chunks.append(f"\n{header}\n{tomli_w.dumps(table)}")
    return "".join(chunks)


def _tables(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [table for value in data.values() for table in ([value] if isinstance(value, dict) else value)]
