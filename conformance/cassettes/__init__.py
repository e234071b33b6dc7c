"""vcrpy configuration shared by the canonical cassettes, ``record`` and cassette replay.

Small separate pieces, as vcrpy itself is built: request/response filters (host normalisation,
credentials), matchers (form bodies, queries, credentials), PII redaction, a secret scan and
the normalisation used to compare two recordings.

What a cassette written with this configuration holds:

* every URL (request URI, and every URL inside a response body) on :data:`CANONICAL_BASE`,
  whatever host and port it was recorded from, so a recording does not depend on the
  port a local server happened to get;
* no ``Authorization`` header: it is replaced by :data:`CREDENTIALS_HEADER`, a label that
  says *who* asked without the secret (``AC…``, ``AC… with another token``, ``none``), so
  the 401 of a wrong token and the 200 of the right one are told apart on replay;
* bodies decoded (no gzip), ``Content-Length`` matching the body as stored.

Requests match on method, path, query (sorted name/value pairs, blank values kept), form
body (sorted pairs: field order ignored; a body that is not a form compares byte for byte)
and the credentials label.
"""

from __future__ import annotations

import os

import vcr

from conformance.cassettes.compare import load_interactions, normalised
from conformance.cassettes.filters import (
    body_bytes,
    credentials_label,
    label_credentials,
    request_filter,
    response_filter,
)
from conformance.cassettes.layout import (
    CANONICAL_BASE,
    CREDENTIALS_HEADER,
    FORM,
    MATCH_ON,
    PLACEHOLDER_TOKEN,
    VOLATILE_HEADERS,
)
from conformance.cassettes.matchers import (
    MATCHERS,
    credentials,
    failed_matchers,
    form_body,
    matchers,
    method,
    path,
    query_pairs,
)
from conformance.cassettes.redaction import Redactor, public_profile
from conformance.cassettes.secret_scan import scan_for_secrets
from conformance.profile import Profile

__all__ = [
    "CANONICAL_BASE",
    "CREDENTIALS_HEADER",
    "FORM",
    "MATCH_ON",
    "PLACEHOLDER_TOKEN",
    "VOLATILE_HEADERS",
    "Redactor",
    "body_bytes",
    "credentials",
    "credentials_label",
    "failed_matchers",
    "form_body",
    "label_credentials",
    "load_interactions",
    "make_vcr",
    "matchers",
    "method",
    "normalised",
    "path",
    "public_profile",
    "query_pairs",
    "request_filter",
    "response_filter",
    "scan_for_secrets",
]


def make_vcr(
    base_url: str, profile: Profile | None, cassette_dir: str | os.PathLike[str], *, record_mode: str = "none"
) -> vcr.VCR:
    """A ``vcr.VCR`` with our filters and matchers (used for the canonical client cassettes).

    ``base_url`` is where the client sends its requests (the mock's URL when recording,
    CANONICAL_BASE when replaying). Pass ``allow_playback_repeats`` to ``use_cassette``.
    """
    config = vcr.VCR(
        cassette_library_dir=str(cassette_dir),
        record_mode=record_mode,
        before_record_request=request_filter(base_url, profile),
        before_record_response=response_filter(base_url),
        path_transformer=vcr.VCR.ensure_suffix(".yaml"),
        decode_compressed_response=False,
    )
    for name, function in MATCHERS.items():
        config.register_matcher(name, function)
    config.match_on = MATCH_ON
    return config
