"""Parsing and validating request parameters, with a clear 400 for every bad input.

Twilio takes parameters as ``application/x-www-form-urlencoded`` (body for POST, query
string for GET). This module turns raw bytes into validated request objects, strictly:
invalid UTF-8, a parameter given twice, a JSON body, a value outside its enum or range -
each is a 400 whose message names the parameter, never an exception deeper down.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote_plus, urlsplit

from conformance.mock.errors import ApiError, bad_request, twilio_error
from conformance.mock.model import ListQuery, UpdateRequest
from conformance.profile import ACCOUNT_SID, MAX_UNIQUE_NAME, SIM_SID

#: Largest request body the mock reads.
MAX_BODY_BYTES = 64 * 1024
#: Most parameters one request may carry.
MAX_PARAMETERS = 256
MAX_PAGE_SIZE = 1000
MAX_URL_LENGTH = 2048
LIST_STATUSES = ("new", "ready", "active", "inactive", "scheduled")
UPDATE_STATUSES = ("ready", "active", "inactive")
FORM = "application/x-www-form-urlencoded"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_pairs(raw: bytes, where: str, faults: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """Decode ``a=1&b=2`` (query string or form body) into name/value pairs, strictly."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request(f"The {where} is not valid UTF-8", rule="invalid-encoding") from None
    pairs: list[tuple[str, str]] = []
    for chunk in text.split("&"):
        if not chunk:
            continue
        name, _, value = chunk.partition("=")
        try:
            name, value = unquote_plus(name, errors="strict"), unquote_plus(value, errors="strict")
        except UnicodeDecodeError:
            raise bad_request(
                f"The {where} has a percent-encoded value that is not valid UTF-8", rule="invalid-encoding"
            ) from None
        if not name:
            raise bad_request(f"The {where} has a parameter with no name", rule="malformed-body")
        if faults:
            value = _misdecoded(chunk.partition("=")[2], value, faults)
        pairs.append((name, value))
        if len(pairs) > MAX_PARAMETERS:
            raise bad_request(f"The {where} has more than {MAX_PARAMETERS} parameters", rule="malformed-body")
    return pairs


def _misdecoded(raw: str, value: str, faults: frozenset[str]) -> str:
    """A form value as the planted decoding faults read it (``raw``: as sent, ``value``: decoded right)."""
    if "form-plus-as-space" in faults:  # "+" turned into a space once more, after percent-decoding
        value = value.replace("+", " ")
    if "form-decoded-twice" in faults:
        value = unquote_plus(value)
    if "form-utf8-read-as-latin1" in faults:
        value = unquote_plus(raw, encoding="latin-1")
    return value


def unique_params(pairs: list[tuple[str, str]], where: str) -> dict[str, str]:
    """Pairs as a dict; a parameter given twice is ambiguous, so it is refused."""
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise bad_request(
                f"Parameter {name} was given more than once in the {where}",
                rule="duplicate-parameter",
                parameter=name,
            )
        params[name] = value
    return params


def body_params(body: bytes, content_type: str | None, faults: frozenset[str] = frozenset()) -> dict[str, str]:
    """Parameters of a POST body, which must be form-encoded (an empty body is no parameters)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if not body.strip():
        return {}
    if media == "application/json" and "json-body-accepted" in faults:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return {str(k): str(v) for k, v in data.items()}
    if media and media != FORM:
        raise bad_request(
            f"Request body must be form-encoded ({FORM}), not {media}; send parameters like Iccid=...&RegistrationCode=...",
            rule="form-encoding-required",
        )
    return unique_params(parse_pairs(body, "request body", faults), "request body")


def query_params(query_string: bytes) -> dict[str, str]:
    return unique_params(parse_pairs(query_string, "query string"), "query string")


# ------------------------------------------------------------------ per operation
def create_params(params: dict[str, str]) -> tuple[str, str]:
    """``(iccid, registration_code)`` of a registration request; 400 / 83001 when one is missing.

    Their shape is not judged here: an ICCID and code that are not a registrable card are
    refused as such (83002, in ``cards.register``), whatever they look like, since the page
    states no ICCID format.
    """
    for name in ("Iccid", "RegistrationCode"):
        if not params.get(name):
            raise twilio_error(83001, f"Missing required parameter {name}", rule="missing-parameter", parameter=name)
    return params["Iccid"], params["RegistrationCode"]


def list_query(params: dict[str, str], faults: frozenset[str] = frozenset()) -> ListQuery:
    """A validated list query (filters are resolved later, by the store)."""
    status = params.get("Status")
    if status is not None and status not in LIST_STATUSES:
        raise _enum("Status", status, LIST_STATUSES)
    fleet = params.get("Fleet")
    if fleet is not None and not fleet:
        raise bad_request(
            "Fleet must be the SID or unique name of a Fleet, not empty", rule="invalid-value", parameter="Fleet"
        )
    refused = {"scheduled": "list-status-scheduled-refused", "ready": "list-status-ready-refused"}
    if status in refused and refused[status] in faults:
        raise _enum("Status", status, tuple(s for s in LIST_STATUSES if s != status))
    # planted faults: a decimal PageSize or Page cut to an integer instead of refused
    for name, fault in (("PageSize", "page-size-float-truncated"), ("Page", "page-index-float-accepted")):
        if fault in faults and re.fullmatch(r"[0-9]+\.[0-9]+", params.get(name, "").strip()):
            params = {**params, name: params[name].strip().split(".")[0]}
    maximum = None if "page-size-over-max-accepted" in faults else MAX_PAGE_SIZE
    clamp = "out-of-range-clamped" in faults  # a benign variation: into range instead of 400
    page_size = _integer(
        params,
        "PageSize",
        20 if "default-page-size-20" in faults else 50,
        1,
        maximum,
        clamp=clamp or "page-size-zero-clamped" in faults,
    )
    lowest = -(10**9) if "negative-page-accepted" in faults else 0
    page = _integer(params, "Page", 0, lowest, None, clamp=clamp or "negative-page-clamped" in faults)
    token = params.get("PageToken") or None
    return ListQuery(
        status=status, fleet=fleet, iccid=params.get("Iccid"), page_size=page_size, page=page, page_token=token
    )


def update_request(params: dict[str, str], faults: frozenset[str] = frozenset()) -> UpdateRequest:
    """A validated update; empty UniqueName or Fleet means "remove it"."""
    fields: dict[str, object] = {}
    if "UniqueName" in params:
        fields["unique_name"] = unique_name(params["UniqueName"], faults)
    if "Status" in params:
        allowed = UPDATE_STATUSES + (("new",) if {"allow-return-to-new", "inactive-to-new-allowed"} & faults else ())
        if params["Status"] not in allowed:
            raise _enum("Status", params["Status"], UPDATE_STATUSES)
        fields["status"] = params["Status"]
    if "Fleet" in params:
        fields["fleet"] = params["Fleet"] or None
    if "CallbackUrl" in params:
        fields["callback_url"] = callback_url(params["CallbackUrl"])
    if "CallbackMethod" in params:
        # planted faults: the method not checked at all, or only when a CallbackUrl comes with it
        unchecked = "callback-method-unchecked" in faults
        unchecked = unchecked or ("callback-method-checked-only-with-url" in faults and "CallbackUrl" not in params)
        if params["CallbackMethod"] not in ("GET", "POST") and not unchecked:
            raise _enum("CallbackMethod", params["CallbackMethod"], ("GET", "POST"))
        fields["callback_method"] = params["CallbackMethod"]
    if "AccountSid" in params:
        if not ACCOUNT_SID.match(params["AccountSid"]):
            raise bad_request(
                f"AccountSid {params['AccountSid']!r} is not an Account SID (AC followed by 32 hex digits)",
                rule="invalid-value",
                parameter="AccountSid",
            )
        fields["account_sid"] = params["AccountSid"]
    return UpdateRequest(**fields)  # type: ignore[arg-type]  # fields holds only UpdateRequest's names, each typed as its field


def unique_name(value: str, faults: frozenset[str] = frozenset()) -> str | None:
    """A settable unique name: at most 64 printable characters, not shaped like a Sim SID."""
    if value == "":
        return None
    if "unique-name-lowercased" in faults:
        value = value.lower()
    if "unique-name-cut-to-63" in faults and len(value) == MAX_UNIQUE_NAME:  # the longest one kept without its end
        value = value[: MAX_UNIQUE_NAME - 1]
    if len(value) > MAX_UNIQUE_NAME:
        raise bad_request(
            f"UniqueName is longer than {MAX_UNIQUE_NAME} characters", rule="invalid-value", parameter="UniqueName"
        )
    if _CONTROL.search(value):
        raise bad_request(
            "UniqueName must not contain control characters", rule="invalid-value", parameter="UniqueName"
        )
    if SIM_SID.match(value):
        raise bad_request(
            "UniqueName is ambiguous: it looks like a Sim SID, and /v1/Sims/{Sid} could not tell the two apart",
            rule="invalid-value",
            parameter="UniqueName",
        )
    return value


def callback_url(value: str) -> str:
    """An absolute http(s) URL the mock can call."""
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and len(value) <= MAX_URL_LENGTH
        _ = parts.port  # raises ValueError for a bad port
    except ValueError:
        ok = False
    if not ok or _CONTROL.search(value) or " " in value:
        raise bad_request(
            f"CallbackUrl {value[:100]!r} is not an absolute http(s) URL", rule="invalid-value", parameter="CallbackUrl"
        )
    return value


def _enum(name: str, value: str, allowed: tuple[str, ...]) -> ApiError:
    return bad_request(
        f"{name} {value[:100]!r} is not valid: must be one of {', '.join(allowed)}",
        rule="invalid-value",
        parameter=name,
    )


def _integer(
    params: dict[str, str], name: str, default: int, low: int, high: int | None, *, clamp: bool = False
) -> int:
    if name not in params:
        return default
    raw = params[name]
    if not re.fullmatch(r"[+-]?[0-9]{1,4000}", raw.strip()):
        raise bad_request(f"{name} {raw[:100]!r} is not an integer", rule="invalid-value", parameter=name)
    value = int(raw)
    if clamp:
        return max(low, value if high is None else min(value, high))
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise bad_request(f"{name} {value} is out of range: must be {bounds}", rule="out-of-range", parameter=name)
    return value
