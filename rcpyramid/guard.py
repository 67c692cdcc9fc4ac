"""The outermost layer: bytes WebOb cannot read get the app's 400 page, and nothing escapes bare.

WebOb decodes the path and the query string as strict UTF-8 and refuses form bodies in
other charsets (with a ``DeprecationWarning`` raised as an exception) or multipart bodies
without a usable boundary, and Pyramid reads the form in its CSRF check before any view
runs. So the environ is checked here, before Pyramid parses anything; a request that
fails is handed on with the unreadable parts removed and a mark that makes
:func:`refuse_tween` answer the app's own 400 page (its template, its headers).
Whatever still escapes every error view gets :func:`last_resort`'s minimal page, which
carries the security headers too.
"""

from __future__ import annotations

import io
import logging
import re
import sys
import warnings
from collections.abc import Callable, Iterable
from typing import Any, ClassVar
from urllib.parse import unquote_to_bytes, urlsplit

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response
from pyramid.router import Router
from pyramid.tweens import EXCVIEW
from webob.cookies import RequestCookies
from webob.request import BaseRequest

from rcpyramid.errors import WordsError
from rcpyramid.headers import defaults

log = logging.getLogger(__name__)

#: Where the guard leaves its finding for :func:`refuse_tween`.
PROBLEM_KEY = "rcpyramid.guard.problem"

#: The content types WebOb parses as a form (``''`` only for POST), as in ``BaseRequest.POST``.
FORM_TYPES = frozenset({"", "application/x-www-form-urlencoded", "multipart/form-data"})
#: Charsets a form may declare; ASCII is a subset of UTF-8, so it is read as UTF-8.
ASCII_NAMES = frozenset({"ascii", "usascii", "ansix3.41968", "646"})
_CHARSET = re.compile(r";\s*charset=([^;]*)", re.IGNORECASE)

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


class MalformedRequestError(WordsError):
    """The request could not be read (bad UTF-8, an unusable form); ``message`` says how."""

    page_status: ClassVar[int] = 400
    title: ClassVar[str] = "This request could not be read"


def _utf8(value: str) -> bool:
    """A WSGI string (bytes as latin-1) that holds valid UTF-8."""
    try:
        value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return False
    return True


#: Raw control characters: RFC 3986 has no place for them, and header values refuse them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _query_readable(query: str) -> bool:
    if _CONTROL.search(query):
        return False
    try:
        unquote_to_bytes(query.encode("latin-1")).decode("utf-8")
    except UnicodeError:
        return False
    return True


def _form_problem(environ: Environ) -> str | None:
    """Parse the form as Pyramid's request will (WebOb keeps the result in the environ)."""
    request = BaseRequest(environ)
    content_type = request.content_type
    if (request.method != "POST" and not content_type) or content_type not in FORM_TYPES:
        return None
    declared = _CHARSET.search(environ.get("CONTENT_TYPE", ""))
    if declared:
        charset = declared.group(1).strip().strip('"').strip().lower().replace("-", "")
        if charset in ASCII_NAMES:
            environ["CONTENT_TYPE"] = _CHARSET.sub("; charset=UTF-8", environ["CONTENT_TYPE"])
        elif charset != "utf8":
            return "The form was sent in a character set other than UTF-8."
    try:
        with warnings.catch_warnings():
            # WebOb signals a charset it will not read by raising DeprecationWarning.
            warnings.simplefilter("error")
            request.POST  # noqa: B018 - parsed here so that a failure is a 400, not a 500
    except (Exception, Warning):
        return "The form could not be read."
    return None


def _cookies_readable(environ: Environ) -> bool:
    """Whether WebOb can read ``environ``'s cookies.

    WebOb keeps a successful parse in the environ it read, so the session factory
    reads the cookies of a request that passed here without parsing them again.
    """
    try:
        RequestCookies(environ).keys()
    except (UnicodeError, ValueError):
        return False
    return True


def drop_unreadable_cookies(environ: Environ) -> None:
    """Cookies WebOb cannot decode are dropped; the readable ones stay.

    A quoted value with octal escapes (``anything="\\377"``) decodes to bytes that
    are not UTF-8, and WebOb raises in whatever reads the cookies first (the session
    factory). Such a cookie is no one's session: any site of the parent domain can set
    it, so refusing the request would let it lock a person out; it is ignored instead.
    """
    header = environ.get("HTTP_COOKIE")
    if not header or _cookies_readable(environ):
        return
    kept = [part for part in header.split(";") if _cookies_readable({"HTTP_COOKIE": part})]
    log.info("dropped %d unreadable cookies", header.count(";") + 1 - len(kept))
    environ["HTTP_COOKIE"] = ";".join(kept)


def problem_with(environ: Environ) -> str | None:
    """Why WebOb could not read this request, in plain words; None when it can."""
    for key in ("PATH_INFO", "SCRIPT_NAME"):
        if not _utf8(environ.get(key, "")):
            return "The address is not valid UTF-8."
    if not _query_readable(environ.get("QUERY_STRING", "")):
        return "The address's query string is not valid UTF-8."
    return _form_problem(environ)


def _without_unreadable_parts(environ: Environ, problem: str) -> Environ:
    """A copy Pyramid can read: unreadable address parts and the body removed."""
    safe = dict(environ)
    for key in ("PATH_INFO", "SCRIPT_NAME"):
        if not _utf8(safe.get(key, "")):
            safe[key] = "/" if key == "PATH_INFO" else ""
    if not _query_readable(safe.get("QUERY_STRING", "")):
        safe["QUERY_STRING"] = ""
    safe.pop("CONTENT_TYPE", None)
    safe.pop("webob._parsed_post_vars", None)
    safe["CONTENT_LENGTH"] = "0"
    safe["wsgi.input"] = io.BytesIO(b"")
    safe[PROBLEM_KEY] = problem
    return safe


LAST_RESORT_BODY = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Something went wrong</title>"
    b"<h1>Something went wrong</h1><p>Something went wrong on our side. Please try again "
    b"in a moment.</p></html>"
)


def last_resort(start_response: StartResponse, *, production: bool) -> Iterable[bytes]:
    """A minimal 500 page that needs nothing from the app, with the security headers."""
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(LAST_RESORT_BODY))),
        # Stricter than the app's pages: this one has nothing to load and no form.
        (
            "Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
        ("Referrer-Policy", "no-referrer"),
        *defaults(production=production),
    ]
    start_response("500 Internal Server Error", headers, sys.exc_info())
    return [LAST_RESORT_BODY]


class RequestGuard:
    """The WSGI app ``main()`` returns: the Pyramid router behind the checks above."""

    def __init__(self, app: Router) -> None:
        self.app = app
        # server.py and the tests reach the settings and services through it.
        self.registry: Registry = app.registry

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            drop_unreadable_cookies(environ)
            problem = problem_with(environ)
            if problem is not None:
                # The words only: the input itself may hold a code or a state.
                log.info("refused an unreadable request: %s", problem)
                environ = _without_unreadable_parts(environ, problem)
            body: Iterable[bytes] = self.app(environ, start_response)
            return body
        except Exception:
            log.exception("a request escaped every error view")
            return last_resort(start_response, production=self._production)

    @property
    def _production(self) -> bool:
        settings = getattr(self.registry, "app_settings", None)
        return settings.app.production if settings is not None else True


def refuse_tween(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    """Turn the guard's mark into :class:`MalformedRequestError`, under the exception views."""

    def tween(request: Request) -> Response:
        problem = request.environ.get(PROBLEM_KEY)
        if problem:
            raise MalformedRequestError(problem)
        return handler(request)

    return tween


def configured_origin(redirect_url: str, canonical_host: str | None) -> str:
    """The app's public origin from configuration: the canonical host, else the redirect URI's."""
    parts = urlsplit(redirect_url)
    return f"{parts.scheme}://{canonical_host or parts.netloc}"


def location_tween(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    """Absolute ``Location`` headers take their origin from configuration, never from ``Host``.

    WebOb makes a relative ``Location`` absolute from the request's ``Host`` (and Pyramid's
    static view builds its own from it), so a forged or forwarded ``Host`` would choose
    where the browser goes next. Relative locations are completed here first, and
    absolute ones built from the request's host get the configured origin instead.
    """
    settings = registry.app_settings
    origin = configured_origin(settings.ringcentral.redirect_url, settings.app.canonical_host)

    def tween(request: Request) -> Response:
        response = handler(request)
        location = response.headers.get("Location")
        if location is None:
            return response
        # WebOb strips these before resolving a location (CVE-2024-42353); do the same.
        location = location.replace("\t", "").replace("\r", "").replace("\n", "")
        if location.startswith("/"):
            # Also "//host" and "/\\host": after the origin they are only paths.
            response.headers["Location"] = origin + location
        elif location.startswith(request.host_url + "/") and request.host_url != origin:
            response.headers["Location"] = origin + location[len(request.host_url) :]
        return response

    return tween


def includeme(config: Configurator) -> None:
    # MalformedRequestError's page is an exception view like every other family's
    # (rcpyramid.views.errors), so this layer imports no view.
    config.add_tween("rcpyramid.guard.refuse_tween", under=EXCVIEW)
    # Above the exception views, so their redirects are covered too.
    config.add_tween("rcpyramid.guard.location_tween")
