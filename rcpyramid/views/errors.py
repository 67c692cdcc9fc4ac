"""One exception view per family of errors: a page a person understands, never a traceback.

The exceptions say their own status, title and words (:class:`rcpyramid.errors.PageError`);
a view only decides what its family logs and whether it ends the session.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import sqlalchemy.exc
from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken
from pyramid.httpexceptions import HTTPClientError
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config, notfound_view_config

from rcpyramid.errors import PageError, WordsError
from rcpyramid.guard import MalformedRequestError
from rcpyramid.logins import EndReason, end_login
from rcpyramid.ringcentral.errors import PacingError, RingCentralError, SignedOutError
from rcpyramid.tokens.interfaces import (
    AddressPendingLimitError,
    PendingLimitError,
    TokenStoreError,
)
from rcpyramid.views.formatting import iso_utc
from rcpyramid.views.links import readable_path_qs
from rcpyramid.views.safety import safe_local_path, wants_json
from rcpyramid.views.zones import zone_choice

log = logging.getLogger(__name__)

TEMPLATE = "rcpyramid.templates:error.jinja2"


class SignInError(WordsError):
    """The way back from RingCentral did not hold up (declined, bad state, no code)."""

    title: ClassVar[str] = "Sign-in did not complete"
    offers_sign_in: ClassVar[bool | None] = True

    def __init__(self, message: str, *, status: int = 400, detail: str = "") -> None:
        super().__init__(message)
        # The callback's error decides this instance's status.
        self.page_status = status  # type: ignore[misc]
        # RingCentral's own words (error_description); shown escaped, never trusted.
        self.detail = detail[:300]


class BadInputError(WordsError):
    """A query parameter a person can fix (a page number, a date)."""

    page_status: ClassVar[int] = 400
    title: ClassVar[str] = "That address is not quite right"


def error_page(
    request: Request,
    status: int,
    title: str,
    message: str,
    *,
    detail: str = "",
    sign_in: bool = False,
    retry_after: int | None = None,
    notice: bool = False,
) -> dict[str, Any] | Response:
    """The values of ``error.jinja2`` (or a JSON response for API clients) with ``status``.

    ``notice``: nothing failed (the app held the request back on purpose), so the words
    read as a notice, not as an error.
    """
    if wants_json(request):
        response = Response(json_body={"error": title, "message": message}, status=status)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response
    # Signing in again from an API page comes back to it (a validated local path).
    route = request.matched_route
    return_to = (
        safe_local_path(readable_path_qs(request), default="")
        if sign_in and request.method == "GET" and route is not None and route.name == "api.page"
        else ""
    )
    response = request.response
    response.status = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return {
        "status": status,
        "title": title,
        "message": message,
        "detail": detail,
        "sign_in": sign_in,
        "notice": notice,
        "retry_after": retry_after,
        "return_to": return_to,
        **error_ways_on(request, status, retry_after),
    }


def page_for(
    exc: PageError, request: Request, *, notice: bool = False
) -> dict[str, Any] | Response:
    """The page ``exc`` describes; a sign-in is offered as the exception says."""
    offers = exc.offers_sign_in
    return error_page(
        request,
        exc.page_status,
        exc.title,
        exc.explanation,
        detail=exc.detail,
        # None: only to someone not signed in (on the way back from RingCentral).
        sign_in=request.login is None if offers is None else offers,
        retry_after=exc.retry_after,
        notice=notice,
    )


@exception_view_config(SignInError, renderer=TEMPLATE)
@exception_view_config(BadInputError, renderer=TEMPLATE)
@exception_view_config(MalformedRequestError, renderer=TEMPLATE)
def refused(exc: PageError, request: Request) -> dict[str, Any] | Response:
    return page_for(exc, request)


@exception_view_config(PacingError, renderer=TEMPLATE)
@exception_view_config(PendingLimitError, renderer=TEMPLATE)
@exception_view_config(AddressPendingLimitError, renderer=TEMPLATE)
def held_back(exc: PageError, request: Request) -> dict[str, Any] | Response:
    """The app held a request back on purpose (its limits); nothing failed: a notice."""
    log.info("held a request back: %s", type(exc).__name__)
    return page_for(exc, request, notice=True)


@exception_view_config(SignedOutError, renderer=TEMPLATE)
def signed_out(exc: SignedOutError, request: Request) -> dict[str, Any] | Response:
    log.info("a RingCentral session ended: %s", exc.reason)
    # RingCentral already ended the session; this forgets it here too (no revoke).
    end_login(request, EndReason.ENDED_AT_RINGCENTRAL)
    return page_for(exc, request)


@exception_view_config(RingCentralError, renderer=TEMPLATE)
def ringcentral_failed(exc: RingCentralError, request: Request) -> dict[str, Any] | Response:
    log.warning(
        "RingCentral error %s (status %s, code %s)", type(exc).__name__, exc.status, exc.error_code
    )
    return page_for(exc, request)


@exception_view_config(TokenStoreError, renderer=TEMPLATE)
def store_down(exc: TokenStoreError, request: Request) -> dict[str, Any] | Response:
    log.error("the token store failed: %s", exc)
    return page_for(exc, request)


@exception_view_config(sqlalchemy.exc.OperationalError, renderer=TEMPLATE)
@exception_view_config(sqlalchemy.exc.InterfaceError, renderer=TEMPLATE)
def connection_lost(exc: sqlalchemy.exc.DBAPIError, request: Request) -> dict[str, Any] | Response:
    """A database connection lost where no repository call was there to say so.

    The request's own transaction is committed by pyramid_tm after the view: a
    connection a stall left behind, cut meanwhile, fails there. The page is the token
    store's 503 (nothing was lost: a rotated pair is saved on its own connection or
    kept by the process), never a 500.
    """
    return store_down(
        TokenStoreError(f"the database connection failed: {type(exc.orig).__name__}"), request
    )


@exception_view_config(BadCSRFToken, renderer=TEMPLATE)
@exception_view_config(BadCSRFOrigin, renderer=TEMPLATE)
def bad_csrf(exc: Exception, request: Request) -> dict[str, Any] | Response:
    return error_page(
        request,
        400,
        "This form has expired",
        "The form was too old or did not come from this site. Go back, reload the page "
        "and try again.",
    )


@notfound_view_config(renderer=TEMPLATE)
def not_found(request: Request) -> dict[str, Any] | Response:
    return error_page(request, 404, "Page not found", "There is no page at this address.")


@exception_view_config(HTTPClientError, renderer=TEMPLATE)
def client_error(exc: HTTPClientError, request: Request) -> dict[str, Any] | Response:
    return error_page(request, exc.code, exc.title, "This request could not be handled.")


@exception_view_config(Exception, renderer=TEMPLATE)
def unexpected(exc: Exception, request: Request) -> dict[str, Any] | Response:
    log.error("unexpected error on %s", request.path, exc_info=exc)
    return page_for(PageError(), request)


#: Statuses where asking again can succeed; a 4xx for bad input fails the same way every time.
RETRYABLE = frozenset({429, 502, 503, 504})


def error_ways_on(request: Request, status: int, retry_after: int | None) -> dict[str, Any]:
    """An error page's ways on: the same address again, the page before, when to retry."""
    callback_path = request.route_path("oauth.callback")
    again = ""
    # The callback's query holds a spent code and state: never put them in a link.
    if request.method == "GET" and status in RETRYABLE and request.path != callback_path:
        again = safe_local_path(readable_path_qs(request), default="")
    back = ""
    referer = urlsplit(request.referer or "")
    if referer.netloc == request.host and referer.scheme in ("http", "https"):
        came_from = referer.path + ("?" + referer.query if referer.query else "")
        back = safe_local_path(came_from, default="")
        if back == again or referer.path == callback_path:
            back = ""
    retry_at = None
    if isinstance(retry_after, int) and retry_after >= 0:
        zone = zone_choice(request).zone
        moment = request.registry.clock() + timedelta(seconds=retry_after)
        retry_at = {
            "iso": iso_utc(moment),
            "text": moment.astimezone(zone).strftime("%H:%M:%S"),
            "zone": zone.key,
        }
    return {"again_url": again, "back_url": back, "retry_at": retry_at}
