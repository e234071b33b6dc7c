"""The contract as data: where the schemas live, how they are loaded, how documents are validated.

Everything the kit knows about the Sim resource comes from the files in ``schemas/``; this
module is the only place that reads them, so the CLI, the checks, the mock and the plugin
can never disagree about what the contract says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

#: The document kinds a user can validate, mapped to their schema file.
SCHEMA_FILES: dict[str, str] = {
    "sim": "sim.schema.json",
    "sim-page": "sim-page.schema.json",
    "callback": "callback.schema.json",
    "error": "error.schema.json",
}


def schemas_dir() -> Path:
    """Return the folder holding the contract files.

    A wheel ships them as ``conformance/_schemas``; a source checkout (or an editable
    install) keeps them in the top-level ``schemas/`` folder beside the package.
    """
    package = Path(__file__).resolve().parent.parent  # conformance/, beside contract/
    for candidate in (package / "_schemas", package.parent / "schemas"):
        if (candidate / "openapi.yaml").is_file():
            return candidate
    raise FileNotFoundError(
        "supersim-conformance cannot find its schemas folder "
        f"(looked in {package / '_schemas'} and {package.parent / 'schemas'}); reinstall the kit"
    )


def openapi_path() -> Path:
    """Path of ``openapi.yaml`` (its relative ``$ref``s resolve against this folder)."""
    return schemas_dir() / "openapi.yaml"


@cache
def load_json_schema(filename: str) -> dict[str, Any]:
    """Load one JSON Schema file from the schemas folder."""
    return json.loads((schemas_dir() / filename).read_text(encoding="utf-8"))


@cache
def _registry() -> Registry:
    """Every ``*.schema.json`` file, registered under its file name and its ``$id``.

    Registering by file name lets the schemas refer to each other with relative ``$ref``s,
    exactly as ``openapi.yaml`` refers to them.
    """
    resources = []
    for path in sorted(schemas_dir().glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        resources.append((path.name, resource))
        if "$id" in contents:
            resources.append((contents["$id"], resource))
    return Registry().with_resources(resources)


@cache
def validator_for(kind: str) -> Draft202012Validator:
    """A format-checking 2020-12 validator for one document kind (see ``SCHEMA_FILES``).

    Its schema has every ``$ref`` to the contract's files resolved in place (:func:`inline_refs`):
    resolving a reference at each use cost ~2 ms a Sim, two minutes for one walk of a
    50,000-SIM account; resolved once, the same walk validates in seconds.
    """
    try:
        filename = SCHEMA_FILES[kind]
    except KeyError:
        raise ValueError(f"unknown document kind {kind!r}; choose one of {', '.join(SCHEMA_FILES)}") from None
    return validator_for_schema(inline_refs(load_json_schema(filename), filename))


def inline_refs(node: Any, base: str, depth: int = 0) -> Any:
    """``node`` (part of the schema file ``base``) with each ``$ref`` replaced by what it points at.

    A reference with sibling keywords becomes ``allOf`` of the target beside them, as 2020-12
    reads it; the target's own ``$id``/``$schema`` are dropped (it is no longer a document).
    """
    if depth > 50:
        raise ValueError(f"{base}: $ref nesting deeper than 50 (a reference cycle?)")
    if isinstance(node, list):
        return [inline_refs(item, base, depth) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    rest = {key: inline_refs(value, base, depth) for key, value in node.items() if key != "$ref"}
    if not isinstance(ref, str):
        return rest
    file_part, _, pointer = ref.partition("#")
    target_file = file_part or base
    target: Any = load_json_schema(target_file)
    for token in [t for t in pointer.split("/") if t]:
        target = target[token.replace("~1", "/").replace("~0", "~")]
    resolved = inline_refs(target, target_file, depth + 1)
    if isinstance(resolved, dict):
        resolved = {k: v for k, v in resolved.items() if k not in ("$id", "$schema")}
    siblings = {k: v for k, v in rest.items() if k not in ("$id", "$schema", "$comment", "description", "title")}
    return {**rest, "allOf": [resolved]} if siblings else resolved


def validator_for_schema(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for any schema that may ``$ref`` the contract's schema files."""
    return Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())


@dataclass(frozen=True)
class ContractError:
    """One way a document breaks the contract: where, which rule, and why."""

    path: str
    """JSON path of the offending value, e.g. ``$.sims[0].sid``."""
    rule: str
    """The schema keyword that failed (``pattern``, ``required``, ``format``, ...)."""
    schema_path: str
    """Where the rule sits in the schema, e.g. ``properties/sid/$ref/pattern``."""
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [rule: {self.rule} at {self.schema_path}]"


def json_path(parts: Iterable[Any]) -> str:
    """A JSON path for an error location, e.g. ``$.sims[0].sid``."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


#: Sim representation (canonical JSON) -> its schema errors, for :func:`validate` of list pages:
#: the read-only scenarios see the same Sims in many lists (unfiltered, by status, by fleet).
_SIM_ERRORS: dict[str, tuple[ContractError, ...]] = {}
_SIM_ERRORS_MAX = 200_000


def validate(kind: str, document: Any) -> list[ContractError]:
    """Validate ``document`` as ``kind``; return every violation (empty when valid).

    Errors under ``anyOf``/``oneOf`` are flattened to their deepest causes so that a bad
    ``fleet_sid`` says "does not match pattern", not "is not valid under any given schema".
    A list page's Sims are validated one by one against the Sim schema, each distinct
    representation once per process (the same errors, at ``$.sims[i]...``).
    """
    if kind == "sim-page" and isinstance(document, dict) and isinstance(document.get("sims"), list):
        errors = _validate(kind, {**document, "sims": []})
        for index, sim in enumerate(document["sims"]):
            errors += [replace(e, path=f"$.sims[{index}]{e.path[1:]}") for e in _sim_errors(sim)]
        return sorted(errors, key=lambda e: (_path_key(e.path), e.rule))
    return _validate(kind, document)


def _sim_errors(sim: Any) -> tuple[ContractError, ...]:
    try:
        key = json.dumps(sim, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return tuple(_validate("sim", sim))
    found = _SIM_ERRORS.get(key)
    if found is None:
        found = tuple(_validate("sim", sim))
        if len(_SIM_ERRORS) < _SIM_ERRORS_MAX:
            _SIM_ERRORS[key] = found
    return found


def _path_key(path: str) -> list[tuple[int, int, str]]:
    """Document order of a JSON path: list positions as numbers ([2] before [10]), then names."""
    parts = re.findall(r"\[(\d+)\]|\.([^.\[]+)", path)
    return [(0, int(index), "") if index else (1, 0, name) for index, name in parts]


def _validate(kind: str, document: Any) -> list[ContractError]:
    errors = []
    for error in validator_for(kind).iter_errors(document):
        errors.extend(leaf_errors(error))
    # document order: list positions as numbers ([2] before [10]), then names
    errors.sort(
        key=lambda e: ([(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in e.absolute_path], e.validator)
    )
    return [
        ContractError(
            path=json_path(e.absolute_path),
            rule=str(e.validator),
            schema_path="/".join(str(p) for p in e.absolute_schema_path),
            message=e.message,
        )
        for e in errors
    ]


def leaf_errors(error: ValidationError) -> list[ValidationError]:
    """The most specific errors under one error (null branches of a nullable type dropped)."""
    if not error.context:
        return [error]
    leaves = [leaf for sub in error.context for leaf in leaf_errors(sub)]
    meaningful = [leaf for leaf in leaves if not (leaf.validator == "type" and leaf.validator_value == "null")]
    return meaningful or [error]


@cache
def load_catalog() -> list[dict[str, Any]]:
    """The requirement catalog (``schemas/requirements.yaml``): a list of entries, in file order."""
    data = yaml.safe_load((schemas_dir() / "requirements.yaml").read_text(encoding="utf-8"))
    return list(data["requirements"])


def requirement_ids() -> set[str]:
    """Every ID in the catalog (retired ones included: IDs are never reused)."""
    return {entry["id"] for entry in load_catalog()}


@cache
def load_openapi() -> dict[str, Any]:
    """``openapi.yaml`` as a dictionary (its ``$ref``s to schema files left as they are)."""
    return yaml.safe_load(openapi_path().read_text(encoding="utf-8"))
