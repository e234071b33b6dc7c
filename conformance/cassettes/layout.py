"""What a cassette written by the kit holds: its origin, its credentials label, what is volatile."""

from __future__ import annotations

#: Every recorded URL is rewritten onto this origin (the live API's).
CANONICAL_BASE = "https://supersim.twilio.com"

#: Request header that replaces ``Authorization`` in a cassette: who asked, never the secret.
CREDENTIALS_HEADER = "X-Supersim-Credentials"

#: The names of our matchers, in the order a mismatch message lists them.
MATCH_ON = ("method", "path", "query_pairs", "form_body", "credentials")

#: Placeholder written instead of every Auth Token (profile files next to recorded cassettes).
PLACEHOLDER_TOKEN = "replay-placeholder-not-a-secret"

#: Response headers that change on every request and say nothing about the contract.
VOLATILE_HEADERS = (
    "date",
    "server",
    "twilio-request-id",
    "twilio-concurrent-requests",
    "x-shenanigans",
    "x-powered-by",
    "x-home-region",
    "x-api-domain",
    "strict-transport-security",
)

FORM = "application/x-www-form-urlencoded"
