"""Request violations: how a client's request departs from our contract (``schemas/openapi.yaml``).

The live API quietly ignores a misspelt ``pageSize`` or ``iccid``; a client author only
finds out when results look wrong. The mock answers like the live API but records every
departure, so the request log can tell the author exactly which parameter was wrong.
Parameter names and schemas are read from the OpenAPI document, never restated here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from conformance.contract import load_openapi, validator_for_schema

#: Operation id -> where its parameters live.
OPERATIONS = {"ListSim": "query", "FetchSim": "query", "CreateSim": "body", "UpdateSim": "body"}


@dataclass(frozen=True)
class Violation:
    """One way a request breaks the contract."""

    rule: str
    """unknown-parameter, parameter-casing, missing-parameter, invalid-value, out-of-range,
    duplicate-parameter, invalid-encoding, malformed-body, form-encoding-required, body-too-large."""
    parameter: str | None
    location: str
    """query, body or header."""
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Param:
    name: str
    schema: dict[str, Any]
    required: bool


@cache
def contract_parameters(operation: str) -> dict[str, _Param]:
    """The parameters the contract defines for an operation (query for GETs, form body for POSTs)."""
    doc = load_openapi()
    components = doc["components"]["schemas"]
    for path_item in doc["paths"].values():
        for _method, op in path_item.items():
            if not isinstance(op, dict) or op.get("operationId") != operation:
                continue
            if OPERATIONS[operation] == "query":
                return {
                    p["name"]: _Param(p["name"], p.get("schema", {}), bool(p.get("required")))
                    for p in op.get("parameters", [])
                    if p.get("in") == "query"
                }
            content = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
            schema = components[content["$ref"].rsplit("/", 1)[-1]] if "$ref" in content else content
            required = set(schema.get("required", []))
            return {name: _Param(name, sub, name in required) for name, sub in schema.get("properties", {}).items()}
    raise KeyError(f"operation {operation} is not in openapi.yaml")


@cache
def _spellings(operation: str, location: str) -> tuple[dict[str, _Param], dict[str, str]]:
    """The contract's parameter names at ``location``, and the same keyed by their lower case."""
    known = contract_parameters(operation) if OPERATIONS[operation] == location else {}
    return known, {name.lower(): name for name in known}


@cache
def _validator(operation: str, name: str) -> Any:
    """The schema validator of one contract parameter.

    Built once per parameter: building a validator (registry and all) cost about ten times
    as much as using it, on every request that carried the parameter.
    """
    return validator_for_schema(contract_parameters(operation)[name].schema)


def check_names(operation: str, location: str, names: Iterable[str]) -> list[Violation]:
    """Unknown parameter names (with a hint when only the casing is wrong)."""
    known, by_lower = _spellings(operation, location)
    out = []
    for name in names:
        if name in known:
            continue
        right = by_lower.get(name.lower())
        if right is not None:
            out.append(
                Violation("parameter-casing", name, location, f"parameter {name!r} is spelt {right!r} in the contract")
            )
        else:
            out.append(Violation("unknown-parameter", name, location, f"parameter {name!r} is not in the contract"))
    return out


def check_values(operation: str, location: str, params: dict[str, str]) -> list[Violation]:
    """Missing required parameters and values their contract schema rejects."""
    if OPERATIONS[operation] != location:
        return []
    out = []
    for name, param in contract_parameters(operation).items():
        if name not in params:
            if param.required:
                out.append(Violation("missing-parameter", name, location, f"required parameter {name!r} is missing"))
            continue
        value: Any = params[name]
        if param.schema.get("type") == "integer":
            try:
                value = int(value)
            except ValueError:
                out.append(Violation("invalid-value", name, location, f"{name}={params[name]!r} is not an integer"))
                continue
        for error in _validator(operation, name).iter_errors(value):
            rule = "out-of-range" if error.validator in ("minimum", "maximum") else "invalid-value"
            out.append(Violation(rule, name, location, f"{name}={params[name]!r}: {error.message}"))
            break
    return out


def check_request(operation: str, query: dict[str, str], body: dict[str, str] | None) -> list[Violation]:
    """Every contract violation of a parsed request (names and values, query and body)."""
    out = check_names(operation, "query", query) + check_values(operation, "query", query)
    if body is not None:
        out += check_names(operation, "body", body) + check_values(operation, "body", body)
    return out
