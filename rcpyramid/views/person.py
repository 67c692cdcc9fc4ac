"""The one place a timed-out session is signed out: before the views that need the person.

A view that shows or uses the signed-in person says so with ``person=True`` in its
``view_config``. Before it runs, a session that timed out is ended: revoked at
RingCentral, its tokens deleted, a message for the next page. Static files,
``/healthz`` and error pages do not ask, so they touch neither the token store nor
RingCentral.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request

from rcpyramid.ringcentral.api import RingCentralApi
from rcpyramid.security import end_session, held_login_id, note_seen, session_timed_out
from rcpyramid.tokens.interfaces import TokenRepository


def sign_out_if_timed_out(request: Request) -> None:
    """End a timed-out session at RingCentral and here; otherwise note the person was seen.

    The login's last-seen time goes to the token store when the session's idle clock
    moves (at most once per resolution), so ``rcpyramid-purge`` can find the logins
    whose browser never came back.
    """
    login_id = held_login_id(request)
    if login_id is None:
        return
    if session_timed_out(request):
        request.find_service(RingCentralApi).sign_out(login_id)
        end_session(request)
        request.session.flash("Your session timed out. Please sign in again.")
    elif note_seen(request):
        request.find_service(TokenRepository).touch(login_id, request.registry.clock())


def person_deriver(view: Callable[..., Any], info: Any) -> Callable[..., Any]:
    """The ``person=True`` view option: :func:`sign_out_if_timed_out` before the view."""
    if not info.options.get("person"):
        return view

    def needs_the_person(context: Any, request: Request) -> Any:
        sign_out_if_timed_out(request)
        return view(context, request)

    return needs_the_person


person_deriver.options = ("person",)  # type: ignore[attr-defined]


def includeme(config: Configurator) -> None:
    config.add_view_deriver(person_deriver)
