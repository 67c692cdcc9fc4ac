"""Sessions, CSRF and security headers.

The session cookie is signed, not encrypted: the browser can read it, so it holds
only opaque random ids (which browser this is, which login it has) and times. The
tokens themselves stay in the token repository.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPPermanentRedirect
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

from rcpyramid.compression import MaskedCSRFStoragePolicy
from rcpyramid.config import Settings
from rcpyramid.headers import defaults
from rcpyramid.ops.session_secrets import rotating_session_factory
from rcpyramid.routes import CALLBACK_PATH, MACHINE_PATHS
from rcpyramid.tokens.interfaces import browser_key

BROWSER_KEY = "browser"
LOGIN_KEY = "login"
SIGNED_IN_AT_KEY = "signed_in_at"
SEEN_AT_KEY = "seen_at"
#: The idle clock is moved at most this often (seconds), so the cookie is not rewritten
#: (and the login's last-seen time not written) on every request; a short idle timeout
#: shortens it (:func:`seen_at_resolution`).
SEEN_AT_RESOLUTION = 60
#: The caching headers a view's own ``Cache-Control`` replaces.
NO_STORE_NAMES = frozenset({"Cache-Control", "Pragma"})


def seen_at_resolution(idle_timeout: float) -> float:
    """How stale the idle clock may get: never more than a tenth of the idle timeout.

    A person active at least that often must never be signed out as idle.
    """
    return min(SEEN_AT_RESOLUTION, idle_timeout / 10)


def new_id() -> str:
    """An opaque id with 256 random bits."""
    return secrets.token_urlsafe(32)


def browser_id(request: Request) -> str:
    """This browser's id, made on first need; pending sign-ins are bound to it."""
    value = request.session.get(BROWSER_KEY)
    if not isinstance(value, str) or len(value) < 32:
        value = new_id()
        request.session[BROWSER_KEY] = value
    return value


def browser_digest(request: Request) -> str:
    """The HMAC of this browser's id that its pending sign-ins are counted under."""
    return browser_key(request.registry.browser_key_secret, browser_id(request))


def client_network(address: str | None) -> str:
    """Whose sign-ins count together: the IPv4 address, or the IPv6 address's /64.

    One IPv6 host usually has a whole /64 to pick addresses from. ``address`` is the
    request's client address after the trusted proxy's headers were applied (waitress's
    ``trusted_proxy``, the same under gunicorn); anything unreadable counts as one.
    """
    try:
        ip = ipaddress.ip_address((address or "").strip("[]"))
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def address_digest(request: Request) -> str:
    """The HMAC of the client's network that its pending sign-ins are counted under."""
    return browser_key(request.registry.address_key_secret, client_network(request.remote_addr))


def held_login_id(request: Request) -> str | None:
    """The login id the session cookie holds, timed out or not."""
    login_id = request.session.get(LOGIN_KEY)
    return login_id if isinstance(login_id, str) and login_id else None


def session_timed_out(request: Request) -> bool:
    """True when the session was idle or has lasted too long, on the server's clock.

    Idle longer than ``rcpyramid.session.idle_timeout``, or begun longer ago than
    ``rcpyramid.session.absolute_timeout``. The times live in the signed cookie; the
    login record's own ``created_at`` bounds the absolute lifetime on the server too
    (see SignedInRingCentral).
    """
    session = request.session
    settings = request.registry.app_settings.session
    now = request.registry.clock().timestamp()
    signed_in_at = session.get(SIGNED_IN_AT_KEY)
    seen_at = session.get(SEEN_AT_KEY, signed_in_at)
    return (
        not isinstance(signed_in_at, int | float)
        or not isinstance(seen_at, int | float)
        or now - signed_in_at > settings.absolute_timeout
        or now - seen_at > settings.idle_timeout
    )


def login(request: Request) -> str | None:
    """``request.login``: the signed-in person's login id, or None. No side effects.

    A session that timed out counts as signed out here; ending it at RingCentral is
    done once per request, by the security policy's ``identity()``
    (:mod:`rcpyramid.views.signed_in`); error pages read only this. Reified: a sign-in
    or sign-out later in the same request does not change it.
    """
    login_id = held_login_id(request)
    if login_id is None or session_timed_out(request):
        return None
    return login_id


def note_seen(request: Request) -> bool:
    """Move the session's idle clock, at most once per resolution; True when it moved."""
    session = request.session
    now = request.registry.clock().timestamp()
    seen_at = session.get(SEEN_AT_KEY, session.get(SIGNED_IN_AT_KEY))
    resolution = seen_at_resolution(request.registry.app_settings.session.idle_timeout)
    if isinstance(seen_at, int | float) and now - seen_at > resolution:
        # Kept to the millisecond: with a short idle timeout, whole seconds are too coarse.
        session[SEEN_AT_KEY] = round(now, 3)
        return True
    return False


def start_login_session(request: Request, login_id: str) -> None:
    """Drop everything the pre-login session held and start a new one for ``login_id``.

    The login id and the CSRF token are new. The browser id is kept: it is not a
    credential (it only binds pending sign-ins to this browser), and keeping it lets
    sign-ins started in several tabs at once all complete. Logout replaces it too.
    """
    browser = browser_id(request)
    request.session.invalidate()
    request.session[BROWSER_KEY] = browser
    request.session[LOGIN_KEY] = login_id
    request.session[SIGNED_IN_AT_KEY] = int(request.registry.clock().timestamp())
    request.session[SEEN_AT_KEY] = request.session[SIGNED_IN_AT_KEY]
    request.session.new_csrf_token()


def end_session(request: Request) -> None:
    request.session.invalidate()


def _security_headers_tween(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    settings: Settings = registry.app_settings
    server = urlsplit(settings.ringcentral.server_url)
    # Chrome applies form-action to the redirect that follows a form POST, and the
    # sign-in form's redirect goes to RingCentral.
    rc_origin = f"{server.scheme}://{server.netloc}"
    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"form-action 'self' {rc_origin}; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    )

    table = defaults(production=settings.app.production)

    defaults_here = (("Content-Security-Policy", policy), *table)

    def tween(request: Request) -> Response:
        response = handler(request)
        headerlist = response.headerlist
        present = {name.lower() for name, _ in headerlist}
        # A view that says how it may be cached (the static view) keeps its own words.
        cached = "cache-control" in present
        for name, value in defaults_here:
            if name.lower() not in present and not (cached and name in NO_STORE_NAMES):
                headerlist.append((name, value))
        # no-referrer only where the address holds secrets (the callback, its error pages);
        # site-wide it makes browsers send "Origin: null", which fails the CSRF origin check.
        # By path: a request refused before routing (rcpyramid.guard) still carries the code.
        if CALLBACK_PATH in request.environ.get("PATH_INFO", "") and (
            request.path == CALLBACK_PATH
        ):
            response.headers["Referrer-Policy"] = "no-referrer"
        elif "referrer-policy" not in present:
            headerlist.append(("Referrer-Policy", "same-origin"))
        return response

    return tween


def _canonical_host_tween(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    """Send people who opened another host name (127.0.0.1 for localhost) to the canonical one.

    The pending sign-in is bound to a cookie on the host the person started from; if
    RingCentral then sends them back to the redirect URI's host, that cookie is not
    there and the sign-in fails. Redirecting first avoids that. Only GET and HEAD are
    redirected; load balancers' health checks and metrics scrapes are left alone.
    """
    canonical = registry.app_settings.app.canonical_host
    if not canonical:
        return handler
    redirect_scheme = urlsplit(registry.app_settings.ringcentral.redirect_url).scheme

    def tween(request: Request) -> Response:
        if (
            request.host.lower() != canonical
            and request.method in {"GET", "HEAD"}
            and request.path not in MACHINE_PATHS
        ):
            location = f"{redirect_scheme}://{canonical}{request.path_qs}"
            return HTTPPermanentRedirect(location=location)
        return handler(request)

    return tween


def includeme(config: Configurator) -> None:
    settings = config.registry.app_settings.session
    # Signed with the first secret, any listed one accepted (rotation: docs/operations.md).
    factory = rotating_session_factory(
        settings.secrets,
        cookie_name=settings.cookie_name,
        secure=settings.cookie_secure,
        httponly=True,
        samesite="Lax",
        # No timeout of the cookie's own: it would drop the session data on the real
        # clock before the app's check (rcpyramid.views.signed_in) could revoke at
        # RingCentral and delete the tokens. The app's idle and absolute timeouts,
        # checked on the server's clock, are the ones that end a session.
        timeout=None,
        reissue_time=None,
        set_on_exception=True,
    )
    config.set_session_factory(factory)
    # Its own key, derived from the session secret: the browser id's HMAC must not be
    # usable as anything the session secret signs.
    config.registry.browser_key_secret = hmac.new(
        settings.secret.encode(), b"rcpyramid pending sign-ins by browser", hashlib.sha256
    ).digest()
    config.registry.address_key_secret = hmac.new(
        settings.secret.encode(), b"rcpyramid pending sign-ins by address", hashlib.sha256
    ).digest()
    config.add_request_method(login, "login", reify=True)
    # Masked per page: compressed pages must not repeat the token's bytes (see compression).
    config.set_csrf_storage_policy(MaskedCSRFStoragePolicy())
    config.set_default_csrf_options(require_csrf=True)
    config.add_tween("rcpyramid.security._security_headers_tween")
    # Under the headers tween, so its redirects carry the security headers too.
    config.add_tween(
        "rcpyramid.security._canonical_host_tween",
        under="rcpyramid.security._security_headers_tween",
    )
