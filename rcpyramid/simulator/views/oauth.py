"""The OAuth endpoints: authorize page, sign-in, token and revoke (reference §2-§4)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPFound
from pyramid.request import Request
from pyramid.response import Response

from .. import errors, oauth_errors
from ..config import RegisteredClient
from ..rendering import render
from ..session_records import CODE_TTL, clamp_access_ttl, clamp_refresh_ttl
from ..wire import add_query, first, html_response, json_response
from .guards import authenticate_client, claimed_client_id, simulator, throttle

log = logging.getLogger(__name__)

_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
# The parameters carried from the authorize request through the sign-in form.
CARRIED = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
)
FORM_TYPE = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True)
class AuthorizeRequest:
    """A validated authorize request."""

    client: RegisteredClient
    redirect_uri: str  # the effective one
    redirect_uri_given: bool
    state: str
    code_challenge: str | None
    code_challenge_method: str | None
    carried: dict[str, str]


def validate_authorize(request: Request, params: Mapping[str, str]) -> AuthorizeRequest:
    """Check client, redirect URI, response type and PKCE as RingCentral does."""
    clients = simulator(request).clients
    client_id = first(params, "client_id") or ""
    client = clients.get(client_id)
    if client is None:
        raise oauth_errors.unknown_client(client_id)
    redirect_uri = first(params, "redirect_uri")
    if redirect_uri is not None:
        if redirect_uri not in client.redirect_uris:
            raise oauth_errors.redirect_mismatch()
    elif not client.redirect_uris:
        raise oauth_errors.no_redirect_registered()
    elif len(client.redirect_uris) > 1:
        # Optional only when exactly one URI is registered (reference §2).
        raise oauth_errors.redirect_mismatch()
    if first(params, "response_type") != "code":
        raise oauth_errors.invalid_parameter("response_type", error="unsupported_response_type")
    challenge = first(params, "code_challenge")
    method = first(params, "code_challenge_method")
    if challenge is not None:
        method = method or "plain"
        if method not in ("plain", "S256"):
            raise oauth_errors.invalid_parameter("code_challenge_method")
        if not _CHALLENGE_RE.match(challenge):
            raise oauth_errors.invalid_parameter("code_challenge")
    elif client.is_public:
        # RFC 9700 §2.1.1: a client that cannot keep a secret must prove the code is its own.
        raise oauth_errors.pkce_required()
    else:
        method = None
    carried = {name: first(params, name) or "" for name in CARRIED}
    carried["state"] = params.get("state", "") or ""
    return AuthorizeRequest(
        client=client,
        redirect_uri=redirect_uri or client.redirect_uris[0],
        redirect_uri_given=redirect_uri is not None,
        state=params.get("state", "") or "",
        code_challenge=challenge,
        code_challenge_method=method,
        carried=carried,
    )


def _sign_in_page(
    request: Request,
    auth: AuthorizeRequest,
    *,
    error: str | None = None,
    username: str = "",
    status: int = 200,
) -> Response:
    html = render(
        "sign_in.jinja2",
        auth=auth,
        users=simulator(request).directory.demo_users,
        error=error,
        username=username,
        form_action=request.route_path("sim.sign_in"),
        home_url=request.route_path("sim.home"),
    )
    return html_response(html, status=status)


def authorize(request: Request) -> Response:
    """GET (or form POST) /restapi/oauth/authorize: the simulated sign-in page."""
    params = request.GET if request.method != "POST" else request.POST
    # Reported but not counted: a person reloading the page must not lock the app out.
    throttle(request, "Auth", (None, first(params, "client_id")), count=False)
    auth = validate_authorize(request, params)
    return _sign_in_page(request, auth)


def sign_in(request: Request) -> Response:
    """POST /simulator/sign-in: check the demo credentials, then redirect with a code."""
    sim = simulator(request)
    form = request.POST
    auth = validate_authorize(request, form)
    state_pairs = [("state", auth.state)] if auth.state else []
    if form.get("action") == "deny":
        location = add_query(
            auth.redirect_uri,
            [
                ("error", "access_denied"),
                ("error_description", "The user denied the authorization request"),
                *state_pairs,
            ],
        )
        log.info("sign-in denied (client %s)", auth.client.client_id)
        return HTTPFound(location=location, headers=NO_STORE)
    username = (form.get("username") or "").strip()
    user = sim.directory.check_password(username, form.get("password") or "")
    if user is None:
        log.info("sign-in failed: wrong username or password")
        return _sign_in_page(
            request,
            auth,
            error="Wrong username or password. Use one of the demo users listed below.",
            username=username,
            status=401,
        )
    code = sim.sessions.issue_code(
        client_id=auth.client.client_id,
        redirect_uri=auth.redirect_uri,
        redirect_uri_given=auth.redirect_uri_given,
        username=user.username,
        challenge=auth.code_challenge,
        challenge_method=auth.code_challenge_method,
    )
    log.info("sign-in as %s authorized client %s", user.username, auth.client.client_id)
    location = add_query(
        auth.redirect_uri,
        [("code", code), *state_pairs, ("expires_in", str(int(CODE_TTL.total_seconds())))],
    )
    return HTTPFound(location=location, headers=NO_STORE)


def _no_store(_request: Request, response: Response) -> None:
    for name, value in NO_STORE.items():
        response.headers[name] = value


def token(request: Request) -> Response:
    """POST /restapi/oauth/token: authorization_code and refresh_token grants."""
    sim = simulator(request)
    form = request.POST
    request.add_response_callback(_no_store)
    grant_type = form.get("grant_type", "")
    username = None
    if grant_type == "authorization_code":
        username = sim.sessions.code_owner(form.get("code", ""))
    elif grant_type == "refresh_token":
        username = sim.sessions.refresh_owner(form.get("refresh_token", ""))
    throttle(request, "Auth", (username, claimed_client_id(request)))
    try:
        if request.content_type != FORM_TYPE:
            raise oauth_errors.unsupported_media_type()
        client = authenticate_client(request)
        access_ttl = clamp_access_ttl(form.get("access_token_ttl"))
        refresh_ttl = clamp_refresh_ttl(form.get("refresh_token_ttl"))
        if grant_type == "authorization_code":
            issued = sim.sessions.exchange_code(
                client=client,
                code=form.get("code", ""),
                redirect_uri=form.get("redirect_uri", ""),
                code_verifier=form.get("code_verifier", ""),
                access_ttl=access_ttl,
                refresh_ttl=refresh_ttl,
                endpoint_id=form.get("endpoint_id", ""),
            )
        elif grant_type == "refresh_token":
            issued = sim.sessions.refresh(
                client=client,
                refresh_token=form.get("refresh_token", ""),
                access_ttl=access_ttl,
                refresh_ttl=refresh_ttl,
            )
        else:
            raise oauth_errors.unsupported_grant_type()
    except errors.OAuthError as exc:
        sim.counters.count("token_errors")
        log.info("token request refused: %s", exc.code)
        raise
    extension = sim.directory.extension_for(issued.username)
    return json_response(
        {
            "access_token": issued.access_token,
            "token_type": "bearer",
            "expires_in": issued.expires_in,
            "refresh_token": issued.refresh_token,
            "refresh_token_expires_in": issued.refresh_token_expires_in,
            "scope": issued.scope,
            "owner_id": str(extension.id),
            "endpoint_id": issued.endpoint_id,
            "session_id": issued.session_id,
        }
    )


def revoke(request: Request) -> Response:
    """POST /restapi/oauth/revoke: end the token's whole session; 200 either way."""
    sim = simulator(request)
    request.add_response_callback(_no_store)
    raw = request.POST.get("token") or request.GET.get("token") or ""
    owner = sim.sessions.access_owner(raw)
    username = owner[0] if owner else sim.sessions.refresh_owner(raw)
    throttle(request, "Auth", (username, claimed_client_id(request)))
    try:
        client = authenticate_client(request)
    except errors.OAuthError as exc:
        sim.counters.count("token_errors")
        log.info("revoke refused: %s", exc.code)
        raise
    sim.sessions.revoke(client.client_id, raw)
    sim.counters.count("revokes")
    return json_response(None)


def includeme(config: Configurator) -> None:
    """Routes and views of the OAuth endpoints."""
    config.add_route("rc.authorize", "/restapi/oauth/authorize")
    config.add_route("rc.token", "/restapi/oauth/token")
    config.add_route("rc.revoke", "/restapi/oauth/revoke")
    config.add_route("sim.sign_in", "/simulator/sign-in")
    config.add_view(authorize, route_name="rc.authorize", request_method=("GET", "POST"))
    config.add_view(token, route_name="rc.token", request_method="POST")
    config.add_view(revoke, route_name="rc.revoke", request_method="POST")
    config.add_view(sign_in, route_name="sim.sign_in", request_method="POST")
