"""supersim-conformance: the contract kit for the Twilio Super SIM Sim resource.

The constants below are public interface, defined once here (this module is loaded in every
session that has the plugin installed, so it stays tiny).
"""

__version__ = "0.1.0"

#: Exit codes of ``supersim-conformance`` (CI scripts depend on them).
EXIT_OK = 0
"""All checks passed (or failed only as expected); a document is valid."""
EXIT_FAILED = 1
"""A check failed: the target broke a documented requirement; a document is invalid."""
EXIT_USAGE = 2
"""A usage or configuration error (one line, never a traceback)."""
EXIT_UNREACHABLE = 3
"""The target is unreachable or rejected the profile's credentials."""
EXIT_KIT_ERROR = 4
"""No check failed, but some could not be judged: an error of the kit itself (reported as errored)."""

#: The host of Twilio's live Super SIM API.
LIVE_HOST = "supersim.twilio.com"
#: The prefix of a target that replays a recording: ``cassette:DIR``.
CASSETTE_SCHEME = "cassette:"


def is_cassette_target(target: str | None) -> bool:
    """True for a ``cassette:DIR`` target."""
    return bool(target) and str(target).startswith(CASSETTE_SCHEME)


def is_twilio_host(url: str | None) -> bool:
    """True for a URL on Twilio's own hosts (``supersim.twilio.com``, a regional or edge host)."""
    from urllib.parse import urlsplit

    host = (urlsplit(url or "").hostname or "").lower()
    return host == "twilio.com" or host.endswith(".twilio.com")


def is_loopback(url: str | None) -> bool:
    """True for a URL on this machine (127.0.0.0/8, ::1, localhost): where a mock usually runs."""
    from urllib.parse import urlsplit

    host = (urlsplit(url or "").hostname or "").lower()
    return host == "localhost" or host == "::1" or host.startswith("127.")
