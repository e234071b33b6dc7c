"""Cassettes: no secret in any of them, the committed ones are current, and `record` -> `run
--target cassette:DIR` works end to end (and fails clearly when an interaction is missing)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from client import harness  # tests/client (pytest puts tests/ on sys.path)
from vcr.request import Request

from conformance.cassettes import (
    CANONICAL_BASE,
    CREDENTIALS_HEADER,
    Redactor,
    body_bytes,
    credentials_label,
    form_body,
    load_interactions,
    normalised,
    query_pairs,
    scan_for_secrets,
)
from conformance.cassettes.replay import PROFILE_FILE, ReplayError, open_recording
from conformance.cli import main as cli_main
from conformance.mock import start_mock
from conformance.profile import default_profile, dump_profile, iter_tokens

REPO = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", "reports", ".pytest_cache"}

#: Scenario families the canonical cassettes must cover (issue #5, part 2).
FAMILIES = {
    "register",
    "fetch_by_sid",
    "fetch_by_name",
    "filter_status",
    "filter_fleet_by_sid",
    "filter_fleet_by_name",
    "filter_iccid_found",
    "filter_iccid_not_found",
    "pagination",
    "update_unique_name",
    "update_fleet_sync",
    "update_status_activate",
    "update_status_deactivate",
    "update_status_reactivate",
    "update_fleet_async",
    "update_activate_with_fleet",
    "update_account_move",
    "error_not_found",
    "error_unauthorized",
    "error_page_size",
    "error_unique_name_clash",
    "error_bad_registration_code",
    "error_activate_without_fleet",
}


def secrets() -> list[str]:
    tokens = [token for _, token in iter_tokens(default_profile())]
    return tokens + [os.environ[name] for name in ("TWILIO_AUTH_TOKEN",) if os.environ.get(name)]


def repo_cassettes() -> list[Path]:
    """Every vcrpy cassette anywhere in the repository (YAML with top-level ``interactions``)."""
    found = []
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files:
            if name.endswith((".yaml", ".yml")):
                path = Path(root) / name
                head = path.read_text(encoding="utf-8", errors="replace")[:200_000]
                if "\ninteractions:" in "\n" + head:
                    found.append(path)
    return sorted(found)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


# --- secrets -----------------------------------------------------------------------------------


def test_no_cassette_in_the_repository_holds_a_secret():
    cassettes = repo_cassettes()
    assert {p.stem for p in cassettes if p.parent == REPO / "cassettes"} == FAMILIES
    assert scan_for_secrets(cassettes, secrets()) == []


def test_the_secret_scan_finds_tokens_headers_and_basic_credentials(tmp_path):
    token = secrets()[0]
    planted = {
        "token": f"body: {token}\n",
        "header": "headers:\n  Authorization:\n  - x\n",
        "basic": "x: Basic QUMxMjM6c2VjcmV0c2VjcmV0\n",
    }
    for name, text in planted.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    problems = scan_for_secrets(sorted(tmp_path.iterdir()), [token])
    assert len(problems) == 3 and all(any(n in p for p in problems) for n in planted)


# --- the canonical cassettes -------------------------------------------------------------------


def test_canonical_cassettes_are_normalised():
    for path in sorted((REPO / "cassettes").glob("*.yaml")):
        text = path.read_text()
        assert "127.0.0.1" not in text and "localhost" not in text, path
        for interaction in load_interactions(path):
            request, response = interaction["request"], interaction["response"]
            assert request["uri"].startswith(CANONICAL_BASE + "/v1/Sims"), request["uri"]
            assert request["headers"][CREDENTIALS_HEADER], path
            body = body_bytes(response["body"]["string"])
            assert response["headers"]["content-length"] == [str(len(body))], path


def test_canonical_cassettes_are_current(tmp_path):
    """Re-recording every scenario against today's mock gives the same interactions (SIDs of new
    Sims and timestamps aside)."""
    harness.record_all(tmp_path)
    profile = default_profile()
    known = {a.sid for a in profile.accounts} | {f.sid for f in profile.fleets} | {s.sid for s in profile.sims}
    committed = sorted(p.name for p in (REPO / "cassettes").glob("*.yaml"))
    assert sorted(p.name for p in tmp_path.glob("*.yaml")) == committed
    stale = [
        name
        for name in committed
        if normalised(load_interactions(tmp_path / name), known)
        != normalised(load_interactions(REPO / "cassettes" / name), known)
    ]
    assert not stale, f"re-record with `python -m tests.client.record_cassettes`: {stale} changed"


# --- matchers, labels, redaction (unit) ---------------------------------------------------------


def _request(uri: str, body: str | None = None, **headers: str) -> Request:
    form = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    return Request("POST" if body is not None else "GET", uri, body, {**form, **headers})


def test_form_bodies_match_in_any_field_order_and_queries_as_sorted_pairs():
    form_body(
        _request("https://x/v1/Sims/HS1", "Status=active&Fleet=f"),
        _request("https://x/v1/Sims/HS1", "Fleet=f&Status=active"),
    )
    with pytest.raises(AssertionError):
        form_body(_request("https://x/v1/Sims/HS1", "Fleet=f"), _request("https://x/v1/Sims/HS1", "Fleet="))
    query_pairs(
        _request("https://x/v1/Sims?Status=new&PageSize=5"), _request("https://x/v1/Sims?PageSize=5&Status=new")
    )
    with pytest.raises(AssertionError):
        query_pairs(_request("https://x/v1/Sims?Fleet="), _request("https://x/v1/Sims"))


def test_credentials_label_names_the_account_never_the_token():
    import base64

    profile = default_profile()
    sid, token = profile.credentials(profile.primary.sid)
    basic = lambda t: "Basic " + base64.b64encode(f"{sid}:{t}".encode()).decode()
    assert credentials_label(basic(token), profile) == sid
    assert credentials_label(basic("0" * 32), profile) == f"{sid} with another token"
    assert credentials_label(None, profile) == "none"
    assert credentials_label("Bearer abc", profile) == "not HTTP Basic"


def test_redaction_is_consistent_same_shaped_and_keeps_made_up_values():
    profile = default_profile()
    redactor = Redactor(profile, key=b"k" * 32)
    sim = profile.sims[0]
    text = f"/v1/Sims/{sim.sid}?Iccid={sim.iccid} and {sim.iccid}; unknown HS{'0' * 32} 89000000000000000000"
    out = redactor.text(text)
    assert sim.sid not in out and sim.iccid not in out
    new_sid, new_iccid = redactor.mapping[sim.sid], redactor.mapping[sim.iccid]
    assert out.count(new_iccid) == 2 and len(new_sid) == 34 and new_sid[:2] == "HS" and len(new_iccid) == len(sim.iccid)
    assert "HS" + "0" * 32 in out and "89000000000000000000" in out
    redacted = redactor.profile(profile)
    assert redacted.sims[0].sid == new_sid and redacted.sims[0].iccid == new_iccid
    assert Redactor(profile).mapping[sim.sid] != new_sid  # a fresh key per recording


# --- record -> replay, end to end, as a user runs it -------------------------------------------------


def test_record_then_replay_end_to_end(tmp_path, capsys):
    """As a user runs it: `record` (read-only) from a reference mock -> `run --target cassette:DIR`
    passes offline -> with one interaction deleted, the replay fails with "not recorded" naming it.
    (One test, so that one recording serves every step, also under pytest-xdist.)"""
    # 1. record, as a subprocess, against a mock on a loopback port
    with start_mock(default_profile(), async_delay=0.05) as mock:
        profile_file = tmp_path / "profile.toml"
        profile_file.write_text(dump_profile(mock.profile))
        result = run_cli(
            "record",
            "--target",
            mock.base_url,
            "--profile",
            str(profile_file),
            "--out",
            str(tmp_path / "rec"),
            "--report-dir",
            str(tmp_path / "record-report"),
            "--no-progress",
            cwd=tmp_path,
        )
        methods = {entry["method"] for entry in mock.state.requests}
    assert result.returncode == 0, result.stdout + result.stderr
    assert "recorded" in result.stdout and "cassette:" in result.stdout
    assert methods == {"GET"}, "a read-only recording sends no state-changing request"

    # 2. what was written: one cassette per suite module, normalised, no secret, no PII
    out = tmp_path / "rec"
    cassettes = sorted(out.glob("*.yaml"))
    assert {"test_read", "test_auth", "test_responses"} <= {p.stem for p in cassettes}
    meta = json.loads((out / "recording.json").read_text())
    assert meta["suite"] == "read-only" and meta["pii"] == "redacted"
    assert sum(meta["cassettes"].values()) == sum(len(load_interactions(p)) for p in cassettes) > 50
    assert scan_for_secrets(sorted(out.iterdir()), secrets()) == []
    profile = default_profile()
    everything = "".join(p.read_text() for p in out.iterdir())
    private = (
        [a.sid for a in profile.accounts]
        + [s.sid for s in profile.sims]
        + [s.iccid for s in profile.sims]
        + [f.sid for f in profile.fleets]
        + [c.iccid for c in profile.registrable]
    )
    assert [value for value in private if value in everything] == []
    for path in cassettes:
        for interaction in load_interactions(path):
            assert interaction["request"]["uri"].startswith(CANONICAL_BASE)

    # 3. replay, as a subprocess: exit 0; what cannot replay is skipped with the reason
    replay = run_cli(
        "run", "--target", f"cassette:{out}", "--report-dir", str(tmp_path / "replay"), "--no-progress", cwd=tmp_path
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    report = json.loads((tmp_path / "replay" / "report.json").read_text())
    assert report["target_kind"] == "cassette" and report["suite"] == "read-only"
    assert sum(1 for r in report["results"] if r["outcome"] == "passed") > 40
    generated = [r for r in report["results"] if r["nodeid"].startswith("test_generated.py")]
    assert generated and all(r["outcome"] == "skipped" and "cannot replay" in r["message"] for r in generated)

    # 4. one interaction deleted: the scenario that needs it fails, naming the request (in-process: faster)
    data = yaml.safe_load((out / "test_read.yaml").read_text())
    index = next(i for i, it in enumerate(data["interactions"]) if "PageSize=7&Page=3&" in it["request"]["uri"])
    missing = data["interactions"][index]["request"]["uri"]
    # every recording of that page (several scenarios walk the same pages)
    data["interactions"] = [it for it in data["interactions"] if it["request"]["uri"] != missing]
    (out / "test_read.yaml").write_text(yaml.safe_dump(data))
    capsys.readouterr()
    code = cli_main(
        [
            "run",
            "--target",
            f"cassette:{out}",
            "-k",
            "test_walk_visits_every_sim_once",
            "--report-dir",
            str(tmp_path / "broken"),
            "--no-progress",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 1, printed
    failed = [
        r for r in json.loads((tmp_path / "broken" / "report.json").read_text())["results"] if r["outcome"] == "failed"
    ]
    assert [r["nodeid"] for r in failed] == ["test_read.py::test_walk_visits_every_sim_once[7]"]
    message = failed[0]["message"]
    assert f"not recorded: GET {missing}" in message and "closest recorded: GET" in message, message
    assert f"not recorded: GET {missing}" in printed


def test_record_keep_pii_keeps_identifiers_but_never_tokens(tmp_path, capsys):
    """--keep-pii, against the embedded mock (no --target), in-process."""
    code = cli_main(
        [
            "record",
            "--out",
            str(tmp_path / "rec"),
            "--keep-pii",
            "--report-dir",
            str(tmp_path / "report"),
            "--no-progress",
        ]
    )
    assert code == 0, capsys.readouterr()
    files = sorted((tmp_path / "rec").iterdir())
    assert scan_for_secrets(files, secrets()) == []
    profile = default_profile()
    everything = "".join(p.read_text() for p in files)
    assert profile.primary.sid in everything and profile.sims[0].iccid in everything
    assert json.loads((tmp_path / "rec" / "recording.json").read_text())["pii"] == "kept"


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["record", "--out", "{tmp}/x", "--target", "http://127.0.0.1:9"], "--target needs --profile"),
        (["record", "--out", "{tmp}/x", "--profile", "{tmp}/missing.toml"], "missing.toml"),
        (["record", "--out", "{tmp}/full"], "not empty"),
        (["record", "--out", "{tmp}/x", "--target", "cassette:{tmp}"], "not a cassette directory"),
        (["run", "--target", "cassette:{tmp}/nope"], "no such directory"),
        (["run", "--target", "cassette:{tmp}/empty"], "no cassettes"),
        (["run", "--target", "cassette:{tmp}/empty", "--suite", "full"], "read-only suite only"),
    ],
)
def test_usage_errors_exit_2(tmp_path, capsys, args, fragment):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    (tmp_path / "empty").mkdir()
    assert cli_main([a.format(tmp=tmp_path) for a in args]) == 2
    assert fragment in capsys.readouterr().err
    assert (tmp_path / "full" / "notes.txt").exists()


#: What every "not a record output" message ends with: what `run --target cassette:DIR` does replay.
REPLAYS = (
    "`run --target cassette:DIR` replays what `record --out DIR` writes "
    "(one cassette per suite module, test_read.yaml…, with recording.json and profile.toml)"
)


@pytest.mark.parametrize("with_profile", [False, True])
def test_the_repository_scenario_cassettes_are_not_a_recording_and_say_what_replays_them(tmp_path, with_profile):
    """`run --target cassette:cassettes` in a clone: exit 2, one line naming what they are and the command
    that replays them (with or without --profile: the kind of directory is told before the profile)."""
    profile = ["--profile", str(tmp_path / "profile.toml")] if with_profile else []
    (tmp_path / "profile.toml").write_text(dump_profile(default_profile()))
    result = run_cli("run", "--target", "cassette:cassettes", *profile, "--no-progress", cwd=REPO)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == (
        "supersim-conformance run: error: cassette:cassettes: twilio-python scenario cassettes (23 files: "
        "error_activate_without_fleet.yaml, error_bad_registration_code.yaml, …), not a `supersim-conformance "
        "record` output; they replay with `python -m pytest tests/client/test_client_replay.py` from the root of "
        f"a clone of the kit (which replays the clone's cassettes/); {REPLAYS}\n"
    )
    assert result.stdout == "" and not (REPO / "reports" / "cassette").exists()
    # the command it names is the one that replays them: it exists and replays cassettes/
    replay_tests = REPO / "tests" / "client" / "test_client_replay.py"
    assert "harness.replay(" in replay_tests.read_text() and harness.CASSETTES == REPO / "cassettes"


def _vcrpy_cassette_of_another_client(directory: Path) -> None:
    data = yaml.safe_load((REPO / "cassettes" / "fetch_by_sid.yaml").read_text())
    data["interactions"][0]["request"]["headers"]["User-Agent"] = ["curl/8.5.0"]
    (directory / "fetch.yaml").write_text(yaml.safe_dump(data))


NOT_A_RECORDING = {
    "empty": (
        lambda d: None,
        "the directory holds no cassettes (*.yaml): not a `supersim-conformance record` output",
    ),
    "unrelated yaml": (
        lambda d: [
            (d / "config.yaml").write_text("name: x\nitems: [1, 2]\n"),
            (d / "broken.yaml").write_text("a: [unclosed\n"),
            (d / "binary.yaml").write_bytes(b"\xff\xfe\x00"),
            (d / "list.yaml").write_text("- interactions\n"),
        ],
        "not a `supersim-conformance record` output: no file here is a vcrpy cassette "
        "(4 files: binary.yaml, broken.yaml, …: no `interactions` list)",
    ),
    "other vcrpy cassettes": (
        _vcrpy_cassette_of_another_client,
        "not a `supersim-conformance record` output: its vcrpy cassettes (fetch.yaml) are named after no suite module",
    ),
    "scenario cassettes copied": (
        lambda d: [shutil.copy(REPO / "cassettes" / name, d / name) for name in ("register.yaml", "pagination.yaml")],
        "twilio-python scenario cassettes (pagination.yaml, register.yaml), not a `supersim-conformance record` "
        "output; they replay with `python -m pytest tests/client/test_client_replay.py`",
    ),
}


@pytest.mark.parametrize("kind", list(NOT_A_RECORDING))
def test_a_directory_that_is_no_record_output_exits_2_with_one_line(tmp_path, capsys, kind):
    make, fragment = NOT_A_RECORDING[kind]
    directory = tmp_path / "dir"
    directory.mkdir()
    make(directory)
    (directory / PROFILE_FILE).write_text(dump_profile(default_profile()))  # a profile does not make it one
    assert cli_main(["run", "--target", f"cassette:{directory}", "--report-dir", str(tmp_path / "r")]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"supersim-conformance run: error: cassette:{directory}: {fragment}")
    assert captured.err.endswith(f"; {REPLAYS}\n") and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err + captured.out and not (tmp_path / "r").exists()


def test_a_record_output_is_told_by_its_suite_module_cassettes(tmp_path, capsys):
    """A directory with a cassette named after a suite module is a recording (recording.json is optional:
    it only carries the suite); one whose cassettes are named after no suite module is not, even with
    a recording.json (a suite module renamed since)."""
    directory = tmp_path / "rec"
    directory.mkdir()
    (directory / PROFILE_FILE).write_text(dump_profile(default_profile()))
    shutil.copy(REPO / "cassettes" / "fetch_by_sid.yaml", directory / "test_read.yaml")
    recording = open_recording(f"cassette:{directory}")
    assert [p.name for p in recording.cassettes] == ["test_read.yaml"] and recording.suite == "read-only"
    (directory / "test_read.yaml").rename(directory / "test_reads.yaml")
    (directory / "recording.json").write_text('{"suite": "read-only"}')
    with pytest.raises(
        ReplayError,
        match=r"a `supersim-conformance record` output whose cassettes \(test_reads.yaml\) are named after no suite module of this version: re-record it",
    ):
        open_recording(f"cassette:{directory}")


def test_record_unreachable_target_exits_3_and_keeps_the_earlier_recording(tmp_path, capsys):
    profile_file = tmp_path / "profile.toml"
    profile_file.write_text(dump_profile(default_profile()))
    earlier = tmp_path / "rec"
    earlier.mkdir()
    (earlier / "recording.json").write_text("{}")
    (earlier / "test_read.yaml").write_text("interactions: []\nversion: 1\n")
    code = cli_main(
        [
            "record",
            "--target",
            "http://127.0.0.1:9",
            "--profile",
            str(profile_file),
            "--out",
            str(earlier),
            "--timeout",
            "2",
        ]
    )
    assert code == 3, capsys.readouterr().err
    assert sorted(p.name for p in earlier.iterdir()) == ["recording.json", "test_read.yaml"]
    assert [p.name for p in tmp_path.iterdir() if "recording-" in p.name] == []  # no staging left behind
