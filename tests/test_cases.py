"""Data-driven contract cases, in the style of JSON-Schema-Test-Suite.

Every ``tests/cases/*.json`` file (except ``cases.schema.json``, which describes them) is an
array of groups. A group names its target -- a document kind (``{"kind": "sim"}``, checked
with ``conformance.contract.validate``) or one schema definition
(``{"schema": "common.schema.json#/$defs/sim_sid"}``) -- the documentation it rests on, and
its tests. A valid test must produce no error; an invalid one must fail on ``rule`` (and at
``path`` when given). A test carrying ``known_issue`` states the documented contract that
the current schemas get wrong: it is a strict xfail, so fixing the schema turns it into a
failure that tells you to drop the marker.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conformance.contract import validate, validator_for_schema

CASES_DIR = Path(__file__).resolve().parent / "cases"
CASES_SCHEMA_PATH = CASES_DIR / "cases.schema.json"
DOC_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "sim-resource-doc.txt"


def _case_files() -> list[Path]:
    return sorted(p for p in CASES_DIR.glob("*.json") if p != CASES_SCHEMA_PATH)


@cache
def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def _cases_validator() -> Draft202012Validator:
    schema = json.loads(CASES_SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _case_file_errors(document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in _cases_validator().iter_errors(document)
    ]


# --------------------------------------------------------------------------- the files


def test_there_are_case_files():
    assert _case_files(), f"no case files in {CASES_DIR}"


@pytest.mark.parametrize("path", _case_files(), ids=lambda p: p.name)
def test_case_file_matches_its_schema(path: Path):
    errors = _case_file_errors(_load(path))
    assert not errors, f"{path.name} breaks cases.schema.json:\n" + "\n".join(errors)


@pytest.mark.parametrize("path", _case_files(), ids=lambda p: p.name)
def test_descriptions_are_unique(path: Path):
    groups = _load(path)
    group_names = [g["description"] for g in groups]
    duplicates = sorted({d for d in group_names if group_names.count(d) > 1})
    assert not duplicates, f"{path.name}: duplicate group descriptions {duplicates}"
    for group in groups:
        names = [t["description"] for t in group["tests"]]
        duplicates = sorted({d for d in names if names.count(d) > 1})
        assert not duplicates, f"{path.name} / {group['description']}: duplicate test descriptions {duplicates}"


@pytest.mark.parametrize("path", _case_files(), ids=lambda p: p.name)
def test_specification_quotes_are_verbatim(path: Path):
    if not DOC_PATH.is_file():
        pytest.skip("../shared is absent")
    doc = DOC_PATH.read_text(encoding="utf-8")
    missing = [
        f"{group['description']}: {spec['quote']!r}"
        for group in _load(path)
        for spec in group["specification"]
        if "quote" in spec and spec["quote"] not in doc
    ]
    assert not missing, f"{path.name}: quotes not found verbatim in {DOC_PATH.name}:\n" + "\n".join(missing)


# ----------------------------------------------------- the case-file schema can fail

_GOOD_FILE = [
    {
        "description": "Sim SID",
        "target": {"schema": "common.schema.json#/$defs/sim_sid"},
        "specification": [{"quote": "Pattern: ^HS[0-9a-fA-F]{32}$"}],
        "tests": [
            {"description": "valid", "data": "HS" + "a" * 32, "valid": True},
            {"description": "invalid", "data": "hs", "valid": False, "rule": "pattern", "path": "$"},
        ],
    }
]


def _broken(mutate) -> list:
    document = copy.deepcopy(_GOOD_FILE)
    mutate(document)
    return document


@pytest.mark.parametrize(
    "document",
    [
        pytest.param({"description": "not an array"}, id="not-an-array"),
        pytest.param([], id="no-groups"),
        pytest.param(_broken(lambda d: d[0]["tests"][1].pop("rule")), id="invalid-test-without-rule"),
        pytest.param(_broken(lambda d: d[0]["tests"][0].update(rule="pattern")), id="valid-test-with-rule"),
        pytest.param(_broken(lambda d: d[0]["tests"][0].update(path="$")), id="valid-test-with-path"),
        pytest.param(_broken(lambda d: d[0]["tests"][1].update(rule="matches")), id="unknown-rule"),
        pytest.param(_broken(lambda d: d[0]["tests"][1].update(path="sims.0")), id="path-not-json-path"),
        pytest.param(_broken(lambda d: d[0]["tests"][0].pop("data")), id="test-without-data"),
        pytest.param(_broken(lambda d: d[0]["tests"][0].update(valid="yes")), id="valid-not-boolean"),
        pytest.param(_broken(lambda d: d[0].update(target={"kind": "fleet"})), id="unknown-kind"),
        pytest.param(
            _broken(lambda d: d[0].update(target={"kind": "sim", "schema": "sim.schema.json"})), id="two-targets"
        ),
        pytest.param(_broken(lambda d: d[0].update(specification=[])), id="no-specification"),
        pytest.param(
            _broken(lambda d: d[0].update(specification=[{"quote": "x", "convention": "y"}])), id="quote-and-convention"
        ),
        pytest.param(_broken(lambda d: d[0].pop("tests")), id="group-without-tests"),
        pytest.param(_broken(lambda d: d[0].update(extra=1)), id="unknown-group-key"),
    ],
)
def test_case_file_schema_rejects_malformed_files(document):
    assert _case_file_errors(document), "cases.schema.json accepted a malformed case file"


def test_case_file_schema_accepts_a_well_formed_file():
    assert _case_file_errors(_GOOD_FILE) == []


# --------------------------------------------------------------------------- the cases


def _json_path(parts: Iterable[Any]) -> str:
    """The same spelling as ContractError.path: ``$``, ``$.meta.key``, ``$.sims[0].sid``."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _leaves(error) -> list:
    """Deepest causes of an error, null branches of nullable types dropped (as validate() does)."""
    if not error.context:
        return [error]
    leaves = [leaf for sub in error.context for leaf in _leaves(sub)]
    meaningful = [leaf for leaf in leaves if not (leaf.validator == "type" and leaf.validator_value == "null")]
    return meaningful or [error]


def _failures(target: dict[str, str], data: Any) -> list[tuple[str, str]]:
    """(path, rule) of every failure of ``data`` against ``target``."""
    if "kind" in target:
        return [(e.path, e.rule) for e in validate(target["kind"], data)]
    validator = validator_for_schema({"$ref": target["schema"]})
    return [
        (_json_path(leaf.absolute_path), str(leaf.validator))
        for error in validator.iter_errors(data)
        for leaf in _leaves(error)
    ]


def _collect_cases() -> list:
    params = []
    for path in _case_files():
        for group in _load(path):
            for test in group["tests"]:
                marks = []
                if "known_issue" in test:
                    marks.append(pytest.mark.xfail(reason=test["known_issue"], strict=True))
                params.append(
                    pytest.param(
                        group["target"],
                        test,
                        id=f"{path.stem}::{group['description']}::{test['description']}",
                        marks=marks,
                    )
                )
    return params


CASES = _collect_cases()


def test_enough_cases():
    assert len(CASES) >= 120, f"only {len(CASES)} cases"


@pytest.mark.parametrize(("target", "test"), CASES)
def test_case(target: dict[str, str], test: dict[str, Any]):
    failures = _failures(target, test["data"])
    shown = "\n".join(f"  {path}: {rule}" for path, rule in failures) or "  (none)"
    if test["valid"]:
        assert not failures, f"expected valid, but it fails:\n{shown}"
        return
    assert failures, f"expected a {test['rule']!r} failure, but the data is valid"
    rules = {rule for _, rule in failures}
    assert test["rule"] in rules, f"expected rule {test['rule']!r}, got:\n{shown}"
    if "path" in test:
        paths = {path for path, rule in failures if rule == test["rule"]}
        assert test["path"] in paths, f"expected {test['rule']!r} at {test['path']}, got:\n{shown}"
