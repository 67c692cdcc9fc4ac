"""Sign in (authorization code flow with state and PKCE), the callback, and sign out."""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from pyramid.csrf import check_csrf_origin, check_csrf_token
from pyramid.httpexceptions import HTTPFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from rcpyramid.events import LoginStarted
from rcpyramid.logins import EndReason, end_login
from rcpyramid.ringcentral.client import RingCentralClient
from rcpyramid.ringcentral.endpoints import EXTENSION_INFO
from rcpyramid.ringcentral.errors import RingCentralError
from rcpyramid.routes import READABLE_PATHS
from rcpyramid.security import (
    BROWSER_KEY,
    LOGIN_KEY,
    address_digest,
    browser_digest,
    browser_id,
    new_id,
    start_login_session,
)
from rcpyramid.tokens.interfaces import PendingLimits, PendingSignIn, TokenRepository, state_digest
from rcpyramid.views.errors import SignInError
from rcpyramid.views.safety import safe_local_path
from rcpyramid.views.signed_in import SIGNED_IN, remember_person

log = logging.getLogger(__name__)


#: What RingCentral's ``error`` values mean to the person who comes back with them.
CALLBACK_ERRORS = {
    "access_denied": (403, "You declined to let this app use your RingCentral account."),
    "login_required": (400, "RingCentral needs you to sign in again."),
    "consent_required": (400, "RingCentral needs your consent before this app can sign you in."),
    "server_error": (502, "RingCentral had a problem signing you in."),
    "temporarily_unavailable": (503, "RingCentral's sign-in is unavailable right now."),
}


@view_config(route_name="oauth.login", request_method="POST")
def sign_in(request: Request) -> Response:
    """Start a sign-in: fresh state and PKCE verifier, kept server-side; then to RingCentral."""
    settings = request.registry.app_settings.session
    state = new_id()
    verifier = secrets.token_urlsafe(32)  # 43 characters from 32 random bytes (RFC 7636 §4.1)
    now = request.registry.clock()
    request.find_service(TokenRepository).add_pending(
        PendingSignIn(
            state_hash=state_digest(state),
            code_verifier=verifier,
            browser_id=browser_id(request),
            expires_at=now + timedelta(seconds=settings.sign_in_timeout),
            browser_key=browser_digest(request),
            return_to=safe_local_path(request.POST.get("return_to")),
            address_key=address_digest(request),
        ),
        now=now,
        limits=PendingLimits(
            per_browser=settings.sign_ins_per_browser,
            total=settings.sign_ins_in_progress,
            per_address=settings.sign_ins_per_address,
        ),
    )
    url = request.find_service(RingCentralClient).authorize_url(state, verifier)
    return HTTPSeeOther(location=url)


@view_config(route_name="oauth.login", request_method="GET")
def sign_in_get(request: Request) -> Response:
    # Signing in changes state, so it needs the form's POST; a bookmarked /login goes home.
    return HTTPFound(location=request.route_path("home"))


#: Where the last sign-in of this session landed: a path only (the cookie is readable, and
#: a query could hold a searched phone number).
LANDING_KEY = "landing"


def _landing(return_to: object) -> str:
    """The page a sign-in was for, without its query; home for anything else."""
    path = safe_local_path(return_to)
    parts = urlsplit(path)
    if parts.path == "/test":
        # The seed's address: its readable path names the page without the query.
        api = parse_qs(parts.query).get("api", [""])[0]
        return READABLE_PATHS.get(api, "/")
    return parts.path or "/"


def _declined_or_spent(
    request: Request, pending: PendingSignIn | None, *, state: str, error: str
) -> Response | None:
    """The calm answers: a Deny, or a spent sign-in coming back to a signed-in browser."""
    if error == "access_denied":
        return declined(request, pending)
    if pending is None and state and request.login is not None:
        # A sign-in already used, come back to a browser that is signed in (Back after
        # signing in, then Authorize again): nothing to do but show where they were going.
        log.info("a spent sign-in came back to a signed-in browser")
        return HTTPSeeOther(location=_landing(request.session.get(LANDING_KEY)))
    return None


def declined(request: Request, pending: PendingSignIn | None) -> Response:
    """Deny at RingCentral: a calm page that says nothing was shared, and a way to try again."""
    response = render_to_response(
        "rcpyramid.templates:sign_in_declined.jinja2",
        {
            "return_to": pending.return_to if pending is not None else "",
            "still_signed_in": request.login is not None,
        },
        request=request,
    )
    # For programs: the sign-in was refused. The page itself names no error number.
    response.status = 403
    return response


@view_config(route_name="oauth.callback", request_method="GET")
def callback(request: Request) -> Response:
    """RingCentral sends the browser back here with ``code`` and ``state`` (or ``error``)."""
    params = request.GET
    state = params.get("state", "")
    error = params.get("error", "")
    repo = request.find_service(TokenRepository)
    # The state is consumed before anything else, so a replayed callback fails right here,
    # before any token request.
    pending = repo.take_pending(state_digest(state), request.registry.clock()) if state else None
    settled = _declined_or_spent(request, pending, state=state, error=error)
    if settled is not None:
        return settled
    if error:
        status, message = CALLBACK_ERRORS.get(error, (400, "RingCentral could not sign you in."))
        raise SignInError(message, status=status, detail=params.get("error_description", ""))
    if not state:
        raise SignInError("The answer from RingCentral carried no sign-in state.")
    if pending is None:
        raise SignInError("This sign-in has expired or was already used.")
    session_browser = request.session.get(BROWSER_KEY)
    if not isinstance(session_browser, str) or not hmac.compare_digest(
        pending.browser_id.encode(), session_browser.encode()
    ):
        raise SignInError("This sign-in was started in another browser (or its cookie was lost).")
    code = params.get("code", "")
    if not code:
        raise SignInError("The answer from RingCentral carried no authorization code.")

    # A timed-out session of this browser is ended here (the security policy).
    previous = request.identity
    if previous:
        # RingCentral allows only a few sessions per user and ends the oldest when one
        # more starts: end this browser's own old session first, not another device's.
        end_login(request, EndReason.REPLACED, login_id=previous)
        request.session.pop(LOGIN_KEY, None)

    client = request.find_service(RingCentralClient)
    token = client.exchange_code(code, pending.code_verifier)
    profile: object = None
    try:
        profile = client.get(EXTENSION_INFO, token).data
        name = str(profile.get("name") or "") if isinstance(profile, dict) else ""
    except RingCentralError as problem:
        log.warning("signed in, but reading the user's name failed: %s", type(problem).__name__)
        name = ""
    if name:
        token = replace(token, owner_name=name)

    login_id = new_id()
    repo.save(login_id, token)
    start_login_session(request, login_id)
    remember_person(request, profile)
    request.registry.notify(LoginStarted(request, login_id, token, profile))
    request.session[LANDING_KEY] = _landing(pending.return_to)
    log.info("a person signed in (owner %s)", token.owner_id)
    return HTTPSeeOther(location=pending.return_to)


@view_config(
    route_name="oauth.logout",
    request_method="GET",
    permission=SIGNED_IN,
    renderer="rcpyramid.templates:logout.jinja2",
)
def sign_out_confirm(request: Request) -> dict[str, object]:
    """A GET changes nothing: it asks for the POST that signs out."""
    return {}


@view_config(route_name="oauth.logout", request_method="POST", require_csrf=False)
def sign_out(request: Request) -> Response:
    """Revoke at RingCentral, delete locally whatever happened there, end the session."""
    # A session that timed out was ended by the security policy, asking for the identity.
    if request.identity is not None:
        # Only a POST that would end a login needs the form's token: one from a tab that was
        # signed out elsewhere (or no session at all) asked for what is already true.
        check_csrf_origin(request)
        check_csrf_token(request)
    end_login(request, EndReason.SIGNED_OUT)
    return HTTPSeeOther(location=request.route_path("home"))
