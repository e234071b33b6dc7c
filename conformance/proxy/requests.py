"""The client's side: what one request that passed through the proxy breaks.

The reference mock already parses every request strictly and logs each departure from the
contract (``conformance.mock.forms`` and ``conformance.mock.violations``: a parameter given
twice, a JSON body, ``pageSize`` for ``PageSize``, ``Status=deleted``). The proxy applies the very
same functions to the request as the client sent it, before anything is forwarded, and turns
each departure into a Violation of a client check (``conformance.checks.clients``), so the
mock's log and the proxy's verdicts can never disagree about what a well-formed request is.
"""

from __future__ import annotations

from urllib.parse import unquote

from conformance.checks import Violation
from conformance.checks.clients import FORM_BODY, PARAM_NAMES, PARAM_VALUES, PARAMETER_REQUIREMENTS
from conformance.contract.exchange import Exchange
from conformance.mock import forms
from conformance.mock.errors import ApiError
from conformance.mock.violations import check_request

LIST_PATH = "/v1/Sims"
INSTANCE_PREFIX = "/v1/Sims/"

#: The mock's rule names, by the client check that reports them.
_NAME_RULES = {"unknown-parameter", "parameter-casing", "duplicate-parameter"}
_VALUE_RULES = {"missing-parameter", "invalid-value", "out-of-range"}
_BODY_RULES = {"form-encoding-required", "malformed-body", "invalid-encoding", "body-too-large"}


def operation_of(method: str, path: str) -> str | None:
    """The contract's operation a request is (ListSim, CreateSim, FetchSim, UpdateSim), else None."""
    path = path.rstrip("/") if path != "/" else path
    if path == LIST_PATH:
        return {"GET": "ListSim", "POST": "CreateSim"}.get(method)
    if path.startswith(INSTANCE_PREFIX) and "/" not in path[len(INSTANCE_PREFIX) :]:
        if unquote(path[len(INSTANCE_PREFIX) :]):
            return {"GET": "FetchSim", "POST": "UpdateSim"}.get(method)
    return None


def client_violations(
    exchange: Exchange, query: bytes, body: bytes, content_type: str | None
) -> tuple[list[Violation], list[tuple[str, str]] | None]:
    """The client checks one request breaks, and its form pairs (None when the body is no form).

    ``exchange`` is the request (with the answer, when there is one) for the report's
    reproduction; ``query`` and ``body`` are the bytes the client sent.
    """
    operation = operation_of(exchange.method, exchange.path)
    if operation is None:
        return [], None
    found: list[Violation] = []
    try:
        query_params = forms.query_params(query)
    except ApiError as error:
        found.append(_from_rule(operation, error.rule, error.parameter, str(error), exchange, "query"))
        query_params = {}
    pairs: list[tuple[str, str]] | None = None
    body_params: dict[str, str] | None = None
    if exchange.method == "POST":
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if body.strip() and not media:
            found.append(
                _violation(
                    FORM_BODY,
                    "a request body without Content-Type: Twilio reads parameters from a form body, "
                    "declared as application/x-www-form-urlencoded",
                    exchange,
                    expected="Content-Type: application/x-www-form-urlencoded",
                    received="no Content-Type",
                )
            )
        try:
            body_params = forms.body_params(body, content_type)
            pairs = forms.parse_pairs(body, "request body") if body.strip() else []
        except ApiError as error:
            found.append(_from_rule(operation, error.rule, error.parameter, str(error), exchange, "body", media))
            body_params = {}
    for broken in check_request(operation, query_params, body_params):
        found.append(_from_rule(operation, broken.rule, broken.parameter, broken.message, exchange, broken.location))
    return found, pairs


def _from_rule(
    operation: str,
    rule: str | None,
    parameter: str | None,
    message: str,
    exchange: Exchange,
    location: str,
    media: str = "",
) -> Violation:
    """The client check a mock rule belongs to, with the requirement the parameter is defined by."""
    where = f"in the {location}" if location in ("query", "body") else ""
    if rule in _BODY_RULES or rule is None:
        received = f"Content-Type: {media}" if media and media != forms.FORM else None
        return _violation(
            FORM_BODY,
            f"the request body is not a form: {message}",
            exchange,
            expected="Content-Type: application/x-www-form-urlencoded, name=value pairs in UTF-8",
            received=received,
        )
    if rule in _NAME_RULES:
        return _violation(
            PARAM_NAMES,
            f"{message} ({where}); the API ignores a name it does not know, so the request does less than meant",
            exchange,
            expected="each parameter once, spelt as the contract spells it",
            received=parameter,
        )
    requirement = PARAMETER_REQUIREMENTS.get((operation, parameter or ""))
    if rule in _VALUE_RULES and requirement:
        return _violation(
            PARAM_VALUES,
            f"{message} ({where})",
            exchange,
            expected=f"{parameter} as the contract defines it",
            received=parameter,
            requirements=[requirement],
        )
    return _violation(
        PARAM_NAMES,
        f"{message} ({where})",
        exchange,
        expected="a request the contract defines",
        received=parameter,
    )


def _violation(check_id: str, message: str, exchange: Exchange, **details: object) -> Violation:
    return Violation(check_id, message, exchange=exchange, **details)  # type: ignore[arg-type]
