"""HTTP Basic credentials on every request, Twilio surface and control endpoints alike.

The account is the one whose Account SID and Auth Token the ``Authorization`` header
carries; anything else is 401 (code 20003) with Twilio's ``WWW-Authenticate``. The token
itself is checked by the store (:func:`conformance.mock.access.authenticate`); this module
decodes the header and keeps the per-state cache of values that already passed.
"""

from __future__ import annotations

from conformance.contract import basic_auth
from conformance.mock.errors import ApiError, unauthorized
from conformance.mock.state import MockState


def authenticate(authorization: str | None, state: MockState) -> str:
    """The requesting account's SID from an HTTP Basic ``Authorization`` value; 401 (code 20003) otherwise."""
    account = basic_account(authorization, state)
    if account is not None:
        return account
    if "accept-wrong-credentials" in state.faults:
        return state.profile.primary.sid
    if "wrong-credentials-403" in state.faults:
        raise ApiError(403, 20003, "Authenticate")
    raise unauthorized()


def basic_account(authorization: str | None, state: MockState) -> str | None:
    """The account whose credentials the header value carries, or None.

    Each distinct value is checked once and then remembered (:meth:`MockState.known_login`);
    a value that fails the check is never remembered.
    """
    if not authorization:
        return None
    account = state.known_login(authorization)
    if account is None:
        account = _check_basic(authorization, state)
        if account is not None:
            state.remember_login(authorization, account)
    return account


def _check_basic(authorization: str, state: MockState) -> str | None:
    credentials = basic_auth.decode(authorization)
    return state.store.authenticate(*credentials) if credentials else None
