"""Loading the kit changes nothing global: our Schemathesis check exists only inside our generated phase."""

from __future__ import annotations

import subprocess
import sys


def test_loading_every_check_registers_nothing_with_schemathesis():
    """A user's own Schemathesis tests in a session that loads our checks keep exactly their checks."""
    code = (
        "from schemathesis.checks import CHECKS, load_all_checks; load_all_checks();"
        "before = set(CHECKS.get_all_names());"
        "import conformance.checks as c; c.load_all();"
        "import conformance.report, conformance.plugin, conformance.fixtures;"
        "assert set(CHECKS.get_all_names()) == before, set(CHECKS.get_all_names()) - before;"
        "from conformance.checks.generated import domain_checks_registered;"
        "ctx = domain_checks_registered(); ctx.__enter__();"
        "assert 'supersim_domain_checks' in CHECKS.get_all_names();"
        "ctx.__exit__(None, None, None);"
        "assert set(CHECKS.get_all_names()) == before;"
        "print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_a_check_module_imported_twice_is_the_same_check_not_a_clash():
    from conformance.checks import CHECKS, Check, _register, load_all

    load_all()

    original = CHECKS["RESP-JSON"]
    again = Check(original.id, original.requirements, original.title, original.func, family=original.family)
    assert _register(again) is original
    clash = Check(original.id, original.requirements, "another rule under the same ID", None, family="RESP")
    try:
        _register(clash)
    except ValueError as error:
        assert "duplicate check ID 'RESP-JSON'" in str(error)
    else:
        raise AssertionError("a different check under an existing ID was accepted")
