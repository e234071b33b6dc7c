"""Running the mock: serve() in the foreground (as the CLI does) and start_mock() in-process."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time

import httpx
import pytest

from conformance.mock import start_mock
from conformance.mock.faults import UnknownFaultError
from conformance.mock.server import serve
from conformance.profile import ProfileError, default_profile, load_profile

SERVE = (
    "import sys; from conformance.mock.server import serve; "
    "sys.exit(serve(host='127.0.0.1', port=0, profile_path={profile!r}, write_profile_path={write!r}, "
    "async_delay=0.05, strict=False, faults=['next-page-loops']))"
)


def _start_serve(tmp_path, profile=None, write=None):
    code = SERVE.format(profile=profile, write=write)
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(tmp_path)
    )


def test_serve_prints_url_writes_profile_and_stops_on_ctrl_c(tmp_path):
    written = tmp_path / "written.toml"
    process = _start_serve(tmp_path, write=str(written))
    try:
        banner = process.stdout.readline().strip()
        assert banner.startswith("supersim-conformance mock listening on http://127.0.0.1:")
        url = banner.rsplit(" ", 1)[1]
        assert not url.endswith(":0")
        account_line = process.stdout.readline()
        profile = default_profile()
        assert profile.primary.sid in account_line
        loaded = load_profile(written)
        assert loaded == profile
        response = httpx.get(
            url + "/v1/Sims", auth=profile.credentials(profile.primary.sid), trust_env=False, timeout=10
        )
        assert response.status_code == 200
        meta = response.json()["meta"]
        assert meta["next_page_url"] == meta["url"]  # the planted fault was passed through
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=15)
        finally:
            process.kill()
            process.stdout.close()
            process.stderr.close()
    assert code == 0


def test_serve_uses_a_profile_file(tmp_path):
    source = tmp_path / "p.toml"
    from conformance.profile import dump_profile

    source.write_text(dump_profile(default_profile()))
    process = _start_serve(tmp_path, profile=str(source))
    try:
        banner = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in banner
        assert str(source) in process.stdout.readline()  # the token is not printed for a profile file
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == 0


def test_serve_raises_profile_error_before_binding(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[accounts]]\nsid = 'nope'\nrole = 'primary'\nauth_token = 'x'\n")
    with pytest.raises(ProfileError, match="bad.toml"):
        serve(
            host="127.0.0.1",
            port=0,
            profile_path=str(bad),
            write_profile_path=None,
            async_delay=0.1,
            strict=False,
            faults=(),
        )
    with pytest.raises(ProfileError, match="cannot read"):
        serve(
            host="127.0.0.1",
            port=0,
            profile_path=str(tmp_path / "missing.toml"),
            write_profile_path=None,
            async_delay=0.1,
            strict=False,
            faults=(),
        )


def test_serve_refuses_unknown_faults():
    with pytest.raises(UnknownFaultError):
        serve(
            host="127.0.0.1",
            port=0,
            profile_path=None,
            write_profile_path=None,
            async_delay=0.1,
            strict=False,
            faults=["nope"],
        )


def test_serve_reports_a_busy_port(capsys):
    with start_mock() as running:
        code = serve(
            host="127.0.0.1",
            port=running.port,
            profile_path=None,
            write_profile_path=None,
            async_delay=0.1,
            strict=False,
            faults=(),
            out=io.StringIO(),
        )
    assert code == 1
    assert "cannot listen" in capsys.readouterr().err


def test_start_mock_is_a_context_manager_and_frees_its_port():
    with start_mock(async_delay=0.01) as running:
        assert running.base_url == f"http://127.0.0.1:{running.port}"
        assert running.profile == default_profile()
        assert httpx.get(running.base_url + "/v1/Sims", auth=running.credentials(), trust_env=False).status_code == 200
        assert running.credentials("subaccount")[0] == default_profile().subaccounts[0].sid
    time.sleep(0.05)
    with pytest.raises(httpx.ConnectError):
        httpx.get(running.base_url + "/v1/Sims", trust_env=False, timeout=2)


def test_two_mocks_run_side_by_side_with_their_own_state():
    with start_mock() as a, start_mock() as b:
        assert a.port != b.port
        card = a.profile.registrable[0]
        form = {"Iccid": card.iccid, "RegistrationCode": card.registration_code}
        assert httpx.post(a.base_url + "/v1/Sims", data=form, auth=a.credentials(), trust_env=False).status_code == 201
        assert httpx.post(b.base_url + "/v1/Sims", data=form, auth=b.credentials(), trust_env=False).status_code == 201
