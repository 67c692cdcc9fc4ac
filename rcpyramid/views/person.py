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

from rcpyramid.logins import Ending, end_login
from rcpyramid.memo import LockedLRU
from rcpyramid.security import (
    end_session,
    held_login_id,
    note_seen,
    seen_at_resolution,
    session_timed_out,
)
from rcpyramid.tokens.interfaces import TokenRepository


class SeenWrites:
    """When this process last wrote each login's last-seen time.

    The session cookie's idle clock says when a write is due, but a client that does
    not keep the cookie it is given (a script, a load generator, tabs answered out of
    order) shows the old one every time, and every request would write. Per process,
    a login's last-seen time is written at most once per resolution.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._written: LockedLRU[str, float] = LockedLRU(max_entries)

    def due(self, login_id: str, now: float, resolution: float) -> bool:
        last = self._written.get(login_id)
        if isinstance(last, float) and 0 <= now - last <= resolution:
            return False
        self._written[login_id] = now
        return True


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
        end_login(request, login_id, Ending.TIMED_OUT)
        end_session(request)
        request.session.flash("Your session timed out. Please sign in again.")
    elif note_seen(request):
        registry = request.registry
        now = registry.clock()
        resolution = seen_at_resolution(registry.app_settings.session.idle_timeout)
        if registry.seen_writes.due(login_id, now.timestamp(), resolution):
            request.find_service(TokenRepository).touch(login_id, now)


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
    config.registry.seen_writes = SeenWrites()
    config.add_view_deriver(person_deriver)
