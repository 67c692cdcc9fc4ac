"""Ending a login, the one way: logout, a timed-out session, dead tokens, errors and purge.

:func:`end_login` revokes the RingCentral session, deletes the stored tokens, drops
this process's copy and makes the person's cached answers unreachable in every process
(unless RingCentral ended the session: then the signed-in client already did all that).
Given a request, it ends that browser's login: the session cookie is replaced too, and
the next page says why. Given a script's services (``find_service`` without a
session), it ends the ``login_id`` named.
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import Protocol, TypeVar

from pyramid.request import Request

from rcpyramid.ringcentral.signed_in import SignedInRingCentral
from rcpyramid.security import end_session, held_login_id
from rcpyramid.tokens.interfaces import Token

log = logging.getLogger(__name__)

T = TypeVar("T")


class FindsServices(Protocol):
    """A request, or whatever a script wires up with the same method."""

    def find_service(self, iface: type[T]) -> T: ...


class EndReason(Enum):
    """Why a login ends, which decides whether RingCentral is told and what the page says."""

    #: The person asked (``POST /logout``).
    SIGNED_OUT = "signed out"
    #: The session was idle, or lasted, longer than the settings allow.
    TIMED_OUT = "timed out"
    #: RingCentral already ended it (a refused token): nothing to revoke.
    ENDED_AT_RINGCENTRAL = "ended at RingCentral"
    #: The person signed in again in the same browser: the previous login goes first.
    REPLACED = "replaced by a new sign-in"
    #: Nobody came back for longer than the idle timeout (``rcpyramid-purge``).
    IDLE = "idle"

    @property
    def revokes(self) -> bool:
        """Whether RingCentral is told: not when it is the one that ended the session."""
        return self is not EndReason.ENDED_AT_RINGCENTRAL


#: What the next page tells the person, by reason (none: nothing to say).
_FLASH = {
    EndReason.TIMED_OUT: "Your session timed out. Please sign in again.",
    EndReason.SIGNED_OUT: "You are signed out.",
}
_NOT_REVOKED = (
    "You are signed out here. RingCentral could not be told, so your RingCentral "
    "session ends when its tokens expire."
)


def end_login(
    request_or_services: Request | FindsServices,
    reason: EndReason,
    *,
    login_id: str | None = None,
    token: Token | None = None,
) -> bool:
    """End a login for ``reason``; False when RingCentral could not be told (tokens still gone).

    With a request, the login its session holds (unless ``login_id`` says otherwise);
    ``token``: the login's tokens when the caller has them already (no second read).
    """
    request = request_or_services if isinstance(request_or_services, Request) else None
    if login_id is None and request is not None:
        login_id = held_login_id(request)
    revoked = True
    # Ended at RingCentral: the signed-in client forgot the stored login when it learned.
    if login_id is not None and reason.revokes:
        log.info("ending a login: %s", reason.value)
        signed_in = request_or_services.find_service(SignedInRingCentral)
        revoked = signed_in.end(login_id, revoke=True, token=token)
    if request is not None and reason is not EndReason.REPLACED:
        end_session(request)
        said = _FLASH.get(reason)
        if reason is EndReason.SIGNED_OUT and not revoked:
            said = _NOT_REVOKED
        if said:
            request.session.flash(said)
    return revoked
