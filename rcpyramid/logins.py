"""Ending a login: the one function logout, a timed-out session and the error views call.

Whatever the reason, the session cookie is replaced and, where RingCentral still holds
the session, it is revoked there and the tokens deleted here; the next page says why.
"""

from __future__ import annotations

from enum import Enum

from pyramid.request import Request

from rcpyramid.ringcentral.api import RingCentralApi
from rcpyramid.security import end_session, held_login_id


class EndReason(Enum):
    #: The person asked (``POST /logout``).
    SIGNED_OUT = "signed out"
    #: The session was idle, or lasted, longer than the settings allow.
    TIMED_OUT = "timed out"
    #: RingCentral already ended it (a refused token): nothing to revoke.
    ENDED_AT_RINGCENTRAL = "ended at RingCentral"


def end_login(request: Request, reason: EndReason) -> bool:
    """End this browser's login; False when RingCentral could not be told (tokens still gone).

    Revokes at RingCentral and deletes the tokens unless RingCentral ended the login
    itself, then ends the session and, for the person's own page, flashes why.
    """
    login_id = held_login_id(request)
    revoked = True
    if login_id is not None and reason is not EndReason.ENDED_AT_RINGCENTRAL:
        revoked = request.find_service(RingCentralApi).sign_out(login_id)
    end_session(request)
    if reason is EndReason.TIMED_OUT:
        request.session.flash("Your session timed out. Please sign in again.")
    elif reason is EndReason.SIGNED_OUT and revoked:
        request.session.flash("You are signed out.")
    elif reason is EndReason.SIGNED_OUT:
        request.session.flash(
            "You are signed out here. RingCentral could not be told, so your RingCentral "
            "session ends when its tokens expire."
        )
    return revoked
