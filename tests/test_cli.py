"""The CLI's exit codes and messages, run as a user runs them (a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conformance import contract

VALID_SIM = {
    "sid": "HS" + "a" * 32,
    "account_sid": "AC" + "b" * 32,
    "unique_name": None,
    "status": "new",
    "fleet_sid": None,
    "iccid": "89883070000123456789",
    "date_created": "2015-07-30T20:00:00Z",
    "date_updated": "2015-07-30T20:00:00Z",
    "url": "https://supersim.twilio.com/v1/Sims/HS" + "a" * 32,
    "links": {
        "billing_periods": "https://supersim.twilio.com/v1/Sims/HS" + "a" * 32 + "/BillingPeriods",
        "sim_ip_addresses": "https://supersim.twilio.com/v1/Sims/HS" + "a" * 32 + "/IpAddresses",
    },
}


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


def assert_clean_error(result: subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    assert result.returncode == code, result
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_version_and_help():
    assert cli("--version").stdout.startswith("supersim-conformance ")
    result = cli("--help")
    assert result.returncode == 0
    for command in ("requirements", "validate"):
        assert command in result.stdout


def test_no_command_prints_help_and_exits_2():
    result = cli()
    assert result.returncode == 2 and "usage:" in result.stdout


def test_requirements_json_lists_every_entry_with_its_fields():
    result = cli("requirements", "--format", "json")
    assert result.returncode == 0
    entries = json.loads(result.stdout)
    assert [e["id"] for e in entries] == [e["id"] for e in contract.load_catalog()]
    for entry in entries:
        assert {"id", "level", "title", "section", "source"} <= set(entry)


def test_requirements_table_shows_quotes_and_counts():
    result = cli("requirements")
    assert result.returncode == 0
    first = contract.load_catalog()[0]
    assert first["id"] in result.stdout and first["title"] in result.stdout
    assert f"{len(contract.load_catalog())} requirements:" in result.stdout
    musts = cli("requirements", "--level", "MUST", "--format", "json")
    assert {e["level"] for e in json.loads(musts.stdout)} == {"MUST"}


def test_validate_valid_file(tmp_path):
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(VALID_SIM))
    result = cli("validate", "--as", "sim", str(path))
    assert result.returncode == 0 and "valid sim" in result.stdout


def test_validate_invalid_file_lists_each_error_with_path_and_rule(tmp_path):
    bad = {**VALID_SIM, "sid": "hs" + "a" * 32, "status": "deleted"}
    del bad["iccid"]
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(bad))
    result = cli("validate", "--as", "sim", str(path))
    assert result.returncode == 1
    assert "3 violation(s)" in result.stdout
    assert "$.sid:" in result.stdout and "rule: pattern" in result.stdout
    assert "$.status:" in result.stdout and "rule: enum" in result.stdout
    assert "'iccid' is a required property" in result.stdout and "rule: required" in result.stdout


def test_validate_reads_stdin():
    result = cli(
        "validate",
        "--as",
        "callback",
        "-",
        stdin=json.dumps({"SimSid": "HS" + "a" * 32, "SimStatus": "active", "AccountSid": "AC" + "a" * 32}),
    )
    assert result.returncode == 0


def test_validate_missing_file_is_exit_2_one_line(tmp_path):
    result = cli("validate", "--as", "sim", str(tmp_path / "absent.json"))
    assert_clean_error(result, 2, "no such file")
    assert len(result.stderr.strip().splitlines()) == 1


def test_validate_unreadable_json_is_exit_2(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    assert_clean_error(cli("validate", "--as", "sim", str(path)), 2, "is not valid JSON", "line 1")
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert_clean_error(cli("validate", "--as", "sim", str(path)), 2, "cannot read")


def test_validate_directory_is_exit_2(tmp_path):
    assert_clean_error(cli("validate", "--as", "sim", str(tmp_path)), 2, "is a directory")


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["validate", "--as", "nonsense", "x.json"], "invalid choice"),
        (["validate", "x.json"], "the following arguments are required: --as"),
        (["requirements", "--format", "xml"], "invalid choice"),
        (["--bogus"], "unrecognized arguments"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_flags_exit_2_with_usage(args, fragment):
    result = cli(*args)
    assert_clean_error(result, 2, "usage:", fragment)
