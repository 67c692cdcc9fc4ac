"""Ending a login, the one way: logout, a timed-out session, dead tokens, errors and purge.

:func:`end_login` revokes the RingCentral session (when the reason calls for it),
deletes the stored tokens, drops this process's copy and makes the person's cached
answers unreachable in every process. The browser session is the caller's to end
(:func:`rcpyramid.security.end_session`): a script has none.
"""

from __future__ import annotations

import enum
import logging
from typing import Protocol, TypeVar

from rcpyramid.ringcentral.signed_in import SignedInRingCentral
from rcpyramid.tokens.interfaces import Token

log = logging.getLogger(__name__)

T = TypeVar("T")


class FindsServices(Protocol):
    """A request, or whatever a script wires up with the same method."""

    def find_service(self, iface: type[T]) -> T: ...


class Ending(enum.Enum):
    """Why a login ends, which decides whether RingCentral is told."""

    #: The person asked to sign out.
    SIGNED_OUT = "signed out"
    #: The session's idle or absolute timeout passed (the browser came back).
    TIMED_OUT = "timed out"
    #: Nobody came back for longer than the idle timeout (rcpyramid-purge).
    IDLE = "idle"
    #: The person signed in again in the same browser: the previous login goes.
    REPLACED = "replaced by a new sign-in"
    #: RingCentral itself ended the session (a refused refresh, revoked tokens).
    REFUSED = "refused by RingCentral"

    @property
    def revokes(self) -> bool:
        """Whether RingCentral is told: not when it is the one that ended the session."""
        return self is not Ending.REFUSED


def end_login(
    services: FindsServices, login_id: str | None, reason: Ending, token: Token | None = None
) -> bool:
    """End ``login_id`` for ``reason``; True when RingCentral confirmed the revoke.

    ``token``: the login's tokens when the caller has them already (no second read).
    Nothing to end (no login id) is not an error: True, as nothing is left to revoke.
    """
    if not login_id:
        return True
    log.info("ending a login: %s", reason.value)
    signed_in = services.find_service(SignedInRingCentral)
    return signed_in.end(login_id, revoke=reason.revokes, token=token)
