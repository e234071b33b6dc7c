"""Target profiles: the default profile's contents, TOML round trip, and clear errors for bad files."""

from __future__ import annotations

import re

import pytest

from conformance.profile import (
    ProfileError,
    default_profile,
    dump_profile,
    load_profile,
    loads_profile,
)

PRIMARY = "AC" + "1" * 32
SUB = "AC" + "2" * 32
FLEET = "HF" + "3" * 32
SIM = "HS" + "4" * 32


def test_default_profile_is_deterministic_and_complete():
    profile = default_profile()
    assert profile == default_profile()
    assert profile.primary.role == "primary"
    assert len(profile.subaccounts) == 2 and all(a.parent == profile.primary.sid for a in profile.subaccounts)
    assert profile.unrelated is not None and profile.unrelated.parent is None
    for account in profile.accounts:
        assert re.fullmatch(r"[0-9a-f]{32}", profile.token_for(account.sid))
    assert len(profile.fleets_of(profile.primary.sid)) >= 2
    for account in (*profile.subaccounts, profile.unrelated):
        assert len(profile.fleets_of(account.sid)) >= 1
        assert profile.sims_of(account.sid)
    assert len(profile.registrable) >= 20
    for card in profile.registrable:
        assert re.fullmatch(r"8988307[0-9]{13}", card.iccid)
        assert re.fullmatch(r"[0-9A-Z]{10}", card.registration_code)
    primary = profile.primary.sid
    assert len(profile.sims_of(primary)) > 100
    for status in ("new", "ready", "active", "inactive"):
        assert profile.sims_by(primary, status)
    assert profile.sims_by(primary, named=True) and profile.sims_by(primary, named=False)
    for fleet in profile.fleets_of(primary):
        assert len([s for s in profile.sims if s.fleet == fleet.sid]) >= 3
    for sub in profile.subaccounts:
        assert profile.sims_by(sub.sid, "new", with_fleet=True) and profile.sims_by(sub.sid, "new", with_fleet=False)


def test_round_trip_through_toml(tmp_path):
    profile = default_profile()
    path = tmp_path / "profile.toml"
    path.write_text(dump_profile(profile))
    loaded = load_profile(path)
    assert loaded == profile
    assert loaded.source == str(path)
    assert dump_profile(loaded) == dump_profile(profile)


def test_dump_writes_every_list_as_tables_and_a_header_an_installed_kit_can_follow():
    text = dump_profile(default_profile())
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header and text.startswith(header[0])
    assert "docs/mock.md" not in text and "conformance/profile.py" not in text  # absent from an installed kit
    assert "python -m pydoc conformance.profile" in text and "serve --help" in text
    body = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert body[:2] == ["[target]", 'name = "reference-mock"']
    for key, count in (("accounts", 4), ("registrable", 24)):
        assert body.count(f"[[{key}]]") == len(getattr(default_profile(), key)) >= count
    assert not any(line.endswith("= [") or line.lstrip().startswith("{") for line in body)  # no inline arrays


def test_load_reads_inline_arrays_as_well_as_tables():
    import tomli_w

    from conformance.profile.dump import profile_to_dict

    profile = default_profile()
    inline = tomli_w.dumps(profile_to_dict(profile))  # how dump_profile wrote short entries before
    assert "registrable = [" in inline
    assert loads_profile(inline) == profile == loads_profile(dump_profile(profile))


def test_token_from_environment(monkeypatch):
    text = f"""
[[accounts]]
sid = "{PRIMARY}"
auth_token_env = "MOCK_TEST_TOKEN"
role = "primary"
"""
    profile = loads_profile(text, source="env.toml")
    monkeypatch.delenv("MOCK_TEST_TOKEN", raising=False)
    with pytest.raises(ProfileError, match="env.toml: .*MOCK_TEST_TOKEN is not set"):
        profile.token_for(PRIMARY)
    monkeypatch.setenv("MOCK_TEST_TOKEN", "s3cret")
    assert profile.token_for(PRIMARY) == "s3cret"
    assert profile.credentials(PRIMARY) == (PRIMARY, "s3cret")


def _valid() -> str:
    return f"""
[target]
name = "t"

[[accounts]]
sid = "{PRIMARY}"
auth_token = "tok"
role = "primary"

[[accounts]]
sid = "{SUB}"
auth_token = "tok2"
role = "subaccount"
parent = "{PRIMARY}"

[[fleets]]
sid = "{FLEET}"
unique_name = "f"
account = "{PRIMARY}"

[[registrable]]
iccid = "89883071000000000001"
registration_code = "ABCDE12345"

[[sims]]
sid = "{SIM}"
account = "{PRIMARY}"
iccid = "89883070000000000001"
status = "active"
unique_name = "s"
fleet = "{FLEET}"
"""


def test_valid_sample_loads():
    profile = loads_profile(_valid())
    assert profile.name == "t"
    assert profile.sims_by(PRIMARY, "active")[0].fleet == FLEET
    assert profile.subaccounts[0].sid == SUB


BAD = {
    "not toml": ("[[accounts]\nsid=", "not valid TOML"),
    "unknown top key": ('[[accountz]]\nsid = "x"', "unknown top-level key"),
    "missing role": (_valid().replace('role = "primary"', ""), "accounts[0]: missing key(s): role"),
    "bad account sid": (_valid().replace(f'sid = "{PRIMARY}"', 'sid = "AC123"', 1), "does not match ^AC"),
    "bad role": (_valid().replace('role = "primary"', 'role = "owner"'), "role 'owner' is not one of"),
    "no token": (_valid().replace('auth_token = "tok"\n', ""), "exactly one of auth_token"),
    "sub without parent": (_valid().replace(f'parent = "{PRIMARY}"', ""), "needs parent"),
    "parent unknown": (_valid().replace(f'parent = "{PRIMARY}"', f'parent = "AC{"9" * 32}"'), "is not a primary"),
    "fleet account unknown": (
        _valid().replace(f'account = "{PRIMARY}"', f'account = "AC{"8" * 32}"', 1),
        "fleets[0] (HF",
    ),
    "bad fleet sid": (_valid().replace(f'sid = "{FLEET}"', 'sid = "HFxyz"'), "does not match ^HF"),
    "short code": (_valid().replace("ABCDE12345", "ABC"), "registration_code must be exactly 10"),
    "bad iccid": (_valid().replace("89883071000000000001", "12-ab"), "is not letters and digits"),
    "bad status": (_valid().replace('status = "active"', 'status = "scheduled"'), "status 'scheduled'"),
    "sim fleet unknown": (_valid().replace(f'fleet = "{FLEET}"', f'fleet = "HF{"7" * 32}"'), "is not a fleet"),
    "sid-shaped name": (
        _valid().replace('unique_name = "s"', f'unique_name = "HS{"a" * 32}"'),
        "shaped like a Sim SID",
    ),
    "typo key": (_valid().replace('status = "active"', 'status = "active"\nstatuss = "x"'), "unknown key(s): statuss"),
    "no primary": (_valid().replace('role = "primary"', 'role = "unrelated"'), "no account has role 'primary'"),
    "duplicate iccid": (_valid().replace("89883070000000000001", "89883071000000000001"), "used twice"),
    "non-string": (_valid().replace('status = "active"', "status = 3"), "status must be a string"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_profiles_name_file_and_problem(name, tmp_path):
    text, expected = BAD[name]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(info.value).startswith(str(path) + ": ")
    assert expected in str(info.value)


def test_missing_file_is_a_profile_error(tmp_path):
    with pytest.raises(ProfileError, match="cannot read profile"):
        load_profile(tmp_path / "nope.toml")


def test_real_data_the_documentation_does_not_limit_is_accepted():
    """A target profile describes a real account: no ICCID length or unique-name length is imposed
    (the Sim page states neither); only what cannot be an identifier is refused."""
    long_name = "tracker " + "x" * 120
    text = (
        _valid()
        .replace("89883070000000000001", "8988307000000000000123")  # 22 digits
        .replace("89883071000000000001", "8901260123456789012F")  # a hex check character
        .replace('unique_name = "s"', f'unique_name = "{long_name}"')
    )
    profile = loads_profile(text)
    assert {s.iccid for s in profile.sims} >= {"8988307000000000000123"}
    assert profile.registrable[0].iccid == "8901260123456789012F"
    assert profile.sims[0].unique_name == long_name


def test_default_profile_has_no_activated_sim_without_a_fleet():
    """Twilio activates only a Sim in a Fleet (error 83007) and keeps ready/active Sims in one (83008)."""
    profile = default_profile()
    assert all(s.fleet for s in profile.sims if s.status in ("ready", "active"))
    primary = profile.primary.sid
    # what the scenarios need: fleetless new and inactive Sims (refused activations) and fleeted ones
    for status in ("new", "inactive"):
        assert len(profile.sims_by(primary, status, with_fleet=False)) >= 5
        assert len(profile.sims_by(primary, status, with_fleet=True)) >= 5
