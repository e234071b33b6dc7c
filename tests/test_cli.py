"""The CLI's exit codes and messages, run as a user runs them (a subprocess)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from conformance import contract
from conformance.profile import default_profile, load_profile

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


def test_validate_invalid_file_lists_each_error_with_requirement_path_and_rule(tmp_path):
    bad = {**VALID_SIM, "sid": "hs" + "a" * 32, "status": "deleted"}
    del bad["iccid"]
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(bad))
    result = cli("validate", "--as", "sim", str(path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{path}: 3 violation(s) of the sim contract, breaking ")
    for requirement in ("SIM-PROP-001", "SIM-PROP-006", "SIM-PROP-008"):
        assert requirement in lines[0]
    assert lines[1:] == [
        "  SIM-PROP-006 at $.iccid [required]: 'iccid' is a required property",
        "  SIM-PROP-001 at $.sid [pattern]: 'hsaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' does not match '^HS[0-9a-fA-F]{32}$'",
        "  SIM-PROP-008 at $.status [enum]: 'deleted' is not one of ['new', 'ready', 'active', 'inactive', 'scheduled']",
    ]


def test_validate_checks_what_the_validators_check_beyond_the_schema(tmp_path):
    path = tmp_path / "sim.json"
    path.write_text(json.dumps({**VALID_SIM, "date_updated": "2015-07-29T20:00:00Z"}))
    result = cli("validate", "--as", "sim", str(path))
    assert result.returncode == 1
    assert "  SIM-PROP-012 at $.date_updated [date-order]: " in result.stdout


def test_validate_sorts_list_positions_as_numbers(tmp_path):
    page = {
        "sims": [{**VALID_SIM, "status": "deleted"} for _ in range(12)],
        "meta": {
            "first_page_url": "https://supersim.twilio.com/v1/Sims?PageSize=50&Page=0",
            "key": "sims",
            "next_page_url": None,
            "page": 0,
            "page_size": 50,
            "previous_page_url": None,
            "url": "https://supersim.twilio.com/v1/Sims?PageSize=50&Page=0",
        },
    }
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page))
    result = cli("validate", "--as", "sim-page", str(path))
    assert result.returncode == 1
    paths = [line.split(" at ", 1)[1].split(" ", 1)[0] for line in result.stdout.splitlines()[1:]]
    assert paths == [f"$.sims[{index}].status" for index in range(12)]
    assert all(line.startswith("  SIM-PROP-008 at ") for line in result.stdout.splitlines()[1:])


def test_validate_reads_stdin():
    result = cli(
        "validate",
        "--as",
        "callback",
        "-",
        stdin=json.dumps({"SimSid": "HS" + "a" * 32, "SimStatus": "active", "AccountSid": "AC" + "a" * 32}),
    )
    assert result.returncode == 0


CALLBACK_FORM = f"SimSid=HS{'a' * 32}&SimUniqueName=pump%207&SimStatus=active&AccountSid=AC{'b' * 32}"


def test_validate_reads_a_form_encoded_callback_from_a_file_or_stdin(tmp_path):
    path = tmp_path / "callback.txt"
    path.write_text(CALLBACK_FORM + "\n")
    result = cli("validate", "--as", "callback", str(path))
    assert result.returncode == 0 and "valid callback" in result.stdout, result
    assert cli("validate", "--as", "callback", "-", stdin=CALLBACK_FORM).returncode == 0
    assert cli("validate", "--as", "callback", "-", stdin="?" + CALLBACK_FORM).returncode == 0  # a query string


def test_validate_names_what_a_form_encoded_callback_breaks():
    result = cli("validate", "--as", "callback", "-", stdin=CALLBACK_FORM.replace("active", "scheduled"))
    assert result.returncode == 1
    assert "  SIM-CB-004 at $.SimStatus [enum]: 'scheduled' is not one of" in result.stdout


@pytest.mark.parametrize(
    "body,fragment",
    [
        ("", "is empty"),
        ("just some text", "neither JSON nor a form-encoded body"),
        ("SimSid=a&SimSid=b", "SimSid appears more than once"),
        ("SimSid=%FF", "neither JSON nor a form-encoded body"),
        ('{"SimSid": ', "is not valid JSON"),
    ],
)
def test_validate_refuses_a_callback_that_is_neither_json_nor_a_form(body, fragment):
    assert_clean_error(cli("validate", "--as", "callback", "-", stdin=body), 2, fragment)


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


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--bogus"],
        ["serve", "--bogus"],
        ["record", "--out", "x", "--bogus"],
        ["requirements", "--bogus"],
        ["validate", "--as", "sim", "x.json", "--bogus"],
        ["validate", "--as", "sim", "x.json", "extra.json"],
    ],
)
def test_an_unknown_argument_of_a_command_prints_that_commands_usage(args):
    result = cli(*args)
    assert_clean_error(result, 2, f"usage: supersim-conformance {args[0]} ", "unrecognized arguments: ")
    assert result.stderr.strip().splitlines()[-1].startswith(f"supersim-conformance {args[0]}: error: ")
    assert "usage: supersim-conformance [-h]" not in result.stderr


def _words(text: str) -> str:
    return " ".join(text.split())


def test_run_help_and_the_readme_state_the_same_exit_codes():
    from conformance.cli import RUN_EXIT_CODES

    help_text = _words(cli("run", "--help").stdout)
    readme = _words((Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8"))
    for phrase in RUN_EXIT_CODES:
        assert phrase in help_text, phrase
        assert phrase in readme, phrase
    assert "3 target unreachable or credentials rejected" in help_text


def test_run_and_serve_help_list_the_fault_and_variation_names():
    from conformance.mock.faults import FAULTS
    from conformance.mock.variations import VARIATIONS

    for command in ("run", "serve"):
        result = cli(command, "--help")
        assert result.returncode == 0
        names = set(result.stdout.replace(",", " ").split())
        assert set(FAULTS) <= names and set(VARIATIONS) <= names, command
        assert "docs/mock.md" not in result.stdout  # an installed kit has no docs folder


# --- a reader that closes standard output early (| head -1) ------------------------------------


def _closed_stdout(args: list[str], stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the CLI with a standard output whose reader has gone before the first byte is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # no reader at all: every write is EPIPE
    try:
        return subprocess.run(
            [sys.executable, "-m", "conformance", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            input=stdin,
            text=True,
            timeout=timeout,
        )
    finally:
        os.close(write_end)


def test_head_one_reads_a_line_and_the_command_exits_quietly():
    """``supersim-conformance requirements --format json | head -1``, with a real pipe."""
    fcntl = pytest.importorskip("fcntl")
    read_end, write_end = os.pipe()
    if hasattr(fcntl, "F_SETPIPE_SZ"):  # a small pipe: the command is surely still writing when it closes
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "requirements", "--format", "json"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        assert reader.readline() == b"[\n"
    try:
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert (process.returncode, stderr) == (0, "")


@pytest.mark.parametrize(
    "args,code",
    [
        (["requirements"], 0),
        (["requirements", "--format", "json"], 0),
        (["--help"], 0),
        (["--version"], 0),
        (["run", "--help"], 0),
        (["serve", "--help"], 0),
        (["record", "--help"], 0),
        ([], 2),
        (["validate", "--as", "sim", "-"], 0),
        (["validate", "--as", "sim-page", "-"], 1),
    ],
)
def test_every_command_exits_quietly_with_its_own_code_on_a_closed_stdout(args, code):
    result = _closed_stdout(args, stdin=json.dumps(VALID_SIM))
    assert result.returncode == code, result.stderr
    assert result.stderr == ""


def test_serve_no_serve_on_a_closed_stdout(tmp_path):
    result = _closed_stdout(["serve", "--write-profile", str(tmp_path / "p.toml"), "--no-serve"])
    assert (result.returncode, result.stderr) == (0, "")
    assert (tmp_path / "p.toml").is_file()


def test_a_run_on_a_closed_stdout_finishes_and_exits_with_its_own_code(tmp_path):
    """The run goes on (reports written), and a failed check still exits 1."""
    args = ["run", "--fault", "lowercase-sid-prefix", "-k", "test_fetch_by_sid", "--no-progress"]
    result = _closed_stdout([*args, "--report-dir", str(tmp_path / "reports")])
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    assert (tmp_path / "reports" / "report.json").is_file()


# --- serve: --no-serve, the malformed-request summary, --access-log -----------------------------


def test_serve_no_serve_writes_the_profile_and_exits(tmp_path):
    written = tmp_path / "profile.toml"
    result = cli("serve", "--write-profile", str(written), "--no-serve")
    assert result.returncode == 0, result
    assert result.stdout.strip() == f"wrote the target profile to {written}"
    assert load_profile(written) == default_profile()
    text = written.read_text(encoding="utf-8")
    assert "[[registrable]]" in text and "registrable = [" not in text  # as the README shows the format
    assert "docs/mock.md" not in text and "python -m pydoc conformance.profile" in text


def test_serve_no_serve_needs_write_profile_and_a_writable_file(tmp_path):
    assert_clean_error(cli("serve", "--no-serve"), 2, "--write-profile FILE")
    assert_clean_error(
        cli("serve", "--write-profile", str(tmp_path / "missing" / "p.toml"), "--no-serve"), 2, "cannot write"
    )


def test_serve_help_documents_no_serve_and_access_log():
    text = _words(cli("serve", "--help").stdout)
    assert "--no-serve with --write-profile: write the profile and exit" in text
    assert "--access-log print uvicorn's access log" in text
    assert "malformed" in text


def _serve(*args: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    banner = process.stdout.readline() if process.stdout else ""
    assert "listening on http://127.0.0.1:" in banner, banner
    return process, banner.rsplit(" ", 1)[1].strip()


def _stop(process: subprocess.Popen) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    return out, err


def _send_raw(url: str, data: bytes) -> bytes:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(data)
        return connection.recv(4096)


def test_serve_counts_malformed_requests_instead_of_a_warning_each():
    process, url = _serve()
    try:
        for garbage in (
            b"NOT HTTP AT ALL\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
            b"\x00\x01\r\n\r\n",
        ):
            assert _send_raw(url, garbage).startswith(b"HTTP/1.1 400")
        assert httpx.get(url + "/v1/Sims", trust_env=False, timeout=10).status_code == 401
    finally:
        out, err = _stop(process)
    assert "Invalid HTTP request" not in err, err
    assert (
        "3 malformed requests were refused by the HTTP server (400) before reaching the mock; "
        "expected during a conformance run's generated phase"
    ) in out
    assert "GET /v1/Sims" not in out  # no access log by default


def test_serve_without_malformed_requests_prints_no_summary():
    process, _ = _serve()
    out, _ = _stop(process)
    assert "malformed" not in out


def test_serve_access_log_prints_a_line_per_request():
    process, url = _serve("--access-log")
    try:
        assert httpx.get(url + "/v1/Sims", trust_env=False, timeout=10).status_code == 401
        assert _send_raw(url, b"NOT HTTP\r\n\r\n").startswith(b"HTTP/1.1 400")
    finally:
        out, err = _stop(process)
    assert '"GET /v1/Sims HTTP/1.1" 401' in out, out
    assert "1 malformed request was refused by the HTTP server (400)" in out
    assert "Invalid HTTP request" not in err
