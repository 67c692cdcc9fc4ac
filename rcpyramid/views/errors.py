"""One exception view per family of errors: a page a person understands, never a traceback."""

from __future__ import annotations

import logging

from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken
from pyramid.httpexceptions import HTTPClientError, HTTPNotFound
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config, notfound_view_config

from rcpyramid.ringcentral.errors import (
    PermissionDeniedError,
    RateLimitedError,
    RingCentralError,
    RingCentralTimeoutError,
    RingCentralUnavailableError,
    SignedOutError,
    TokenRequestError,
)
from rcpyramid.security import current_login_id, end_session
from rcpyramid.tokens.interfaces import TokenStoreError
from rcpyramid.views.safety import safe_local_path, wants_json

log = logging.getLogger(__name__)


class SignInError(Exception):
    """The way back from RingCentral did not hold up (declined, bad state, no code)."""

    def __init__(self, message: str, *, status: int = 400, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        # RingCentral's own words (error_description); shown escaped, never trusted.
        self.detail = detail[:300]


class BadInputError(Exception):
    """A query parameter a person can fix (a page number, a date)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def error_page(
    request: Request,
    status: int,
    title: str,
    message: str,
    *,
    detail: str = "",
    sign_in: bool = False,
    retry_after: int | None = None,
) -> Response:
    """Render ``error.jinja2`` (or JSON for API clients) with ``status``."""
    if wants_json(request):
        response = Response(json_body={"error": title, "message": message}, status=status)
    else:
        # Signing in again from an API page comes back to it (a validated local path).
        return_to = (
            safe_local_path(request.path_qs, default="")
            if sign_in and request.method == "GET" and request.path == "/test"
            else ""
        )
        response = render_to_response(
            "error.jinja2",
            {
                "status": status,
                "title": title,
                "message": message,
                "detail": detail,
                "sign_in": sign_in,
                "retry_after": retry_after,
                "return_to": return_to,
            },
            request=request,
        )
        response.status = status
    response.headers["Cache-Control"] = "no-store"
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@exception_view_config(SignInError)
def sign_in_failed(exc: SignInError, request: Request) -> Response:
    return error_page(
        request,
        exc.status,
        "Sign-in did not complete",
        exc.message,
        detail=exc.detail,
        sign_in=True,
    )


@exception_view_config(SignedOutError)
def signed_out(exc: SignedOutError, request: Request) -> Response:
    log.info("a RingCentral session ended: %s", exc.reason)
    end_session(request)
    return error_page(
        request,
        401,
        "Your RingCentral session ended",
        "RingCentral no longer accepts this app's sign-in for you. Please sign in again.",
        sign_in=True,
    )


@exception_view_config(RingCentralError)
def ringcentral_failed(exc: RingCentralError, request: Request) -> Response:
    log.warning(
        "RingCentral error %s (status %s, code %s)", type(exc).__name__, exc.status, exc.error_code
    )
    # On the way back from RingCentral (not signed in yet), every page offers a new sign-in.
    signing_in = current_login_id(request) is None
    if isinstance(exc, RateLimitedError):
        wait = exc.retry_after if exc.retry_after is not None else 60
        return error_page(
            request,
            429,
            "RingCentral asks us to slow down",
            f"Too many requests were made for your account. Try again in {wait} seconds.",
            retry_after=wait,
            sign_in=signing_in,
        )
    if isinstance(exc, PermissionDeniedError):
        missing = f" the [{exc.permission}] permission" if exc.permission else " a permission"
        return error_page(
            request,
            403,
            "RingCentral refused this page",
            f"Your RingCentral account or this app lacks{missing} needed for this page.",
            detail=exc.message,
        )
    if isinstance(exc, TokenRequestError):
        return error_page(
            request,
            400,
            "RingCentral did not accept the sign-in",
            "RingCentral refused to complete the sign-in. Please sign in again.",
            detail=exc.message,
            sign_in=True,
        )
    if isinstance(exc, RingCentralTimeoutError):
        title, message = "RingCentral did not answer", "RingCentral took too long to answer."
    elif isinstance(exc, RingCentralUnavailableError):
        title, message = "RingCentral is having trouble", f"{exc.message}."
    else:
        title, message = "RingCentral refused the request", "RingCentral could not answer this."
    return error_page(
        request,
        exc.page_status,
        title,
        f"{message} Please try again in a moment.",
        sign_in=signing_in,
    )


@exception_view_config(BadInputError)
def bad_input(exc: BadInputError, request: Request) -> Response:
    return error_page(request, 400, "That address is not quite right", exc.message)


@exception_view_config(BadCSRFToken)
@exception_view_config(BadCSRFOrigin)
def bad_csrf(exc: Exception, request: Request) -> Response:
    return error_page(
        request,
        400,
        "This form has expired",
        "The form was too old or did not come from this site. Go back, reload the page "
        "and try again.",
    )


@exception_view_config(TokenStoreError)
def store_down(exc: TokenStoreError, request: Request) -> Response:
    log.error("the token store failed: %s", exc)
    return error_page(
        request,
        503,
        "Temporarily unavailable",
        "The app cannot reach its database right now. Nothing was lost; please try again "
        "in a moment.",
    )


@notfound_view_config()
def not_found(request: Request) -> Response:
    return error_page(request, 404, "Page not found", "There is no page at this address.")


@exception_view_config(HTTPClientError)
def client_error(exc: HTTPClientError, request: Request) -> Response:
    if isinstance(exc, HTTPNotFound):
        return not_found(request)
    return error_page(request, exc.code, exc.title, "This request could not be handled.")


@exception_view_config(Exception)
def unexpected(exc: Exception, request: Request) -> Response:
    log.error("unexpected error on %s", request.path, exc_info=exc)
    return error_page(
        request,
        500,
        "Something went wrong",
        "Something went wrong on our side. It has been logged; please try again.",
    )
