"""Checks every simulated RingCentral endpoint shares: rate limits, client and bearer auth."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyramid.request import Request
from pyramid.response import Response

from .. import api_errors, errors, oauth_errors
from ..config import RegisteredClient
from ..directory import Extension
from ..ratelimits import RateKey, RateStatus
from ..session_records import AccessGrant

if TYPE_CHECKING:
    from ..app import Simulator

OAUTH_PREFIX = "/restapi/oauth/"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")


def simulator(request: Request) -> Simulator:
    """The Simulator serving this request."""
    sim: Simulator = request.registry.simulator
    return sim


def throttle(request: Request, group: str, key: RateKey, *, count: bool = True) -> RateStatus:
    """Count the request in its rate-limit group; headers go on whatever answer follows."""
    status = simulator(request).rate_limits.hit(key, group, count=count)

    def add_headers(_request: Request, response: Response) -> None:
        for name, value in status.headers().items():
            response.headers.setdefault(name, value)

    request.add_response_callback(add_headers)
    if status.limited:
        oauth = request.path_info.startswith(OAUTH_PREFIX)
        raise errors.rate_exceeded(status.retry_after, oauth=oauth)
    return status


# --- client authentication (token and revoke) ------------------------------------------

_MALFORMED = ("", "")


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return _MALFORMED
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else _MALFORMED


def claimed_client_id(request: Request) -> str | None:
    """The client a request says it is, before checking: the rate-limit key."""
    creds = _basic_credentials(request)
    if creds is not None and creds[0]:
        return creds[0]
    return request.POST.get("client_id") or None


def authenticate_client(request: Request) -> RegisteredClient:
    """HTTP Basic for confidential clients, body `client_id` for public ones."""
    clients = simulator(request).clients
    creds = _basic_credentials(request)
    body_id = request.POST.get("client_id", "")
    if creds is not None:
        client_id, secret = creds
        client = clients.get(client_id) if client_id else None
        # A client without a secret cannot use Basic: "id:" would authenticate anyone.
        expected = client.client_secret if client and not client.is_public else "\0"
        ok = hmac.compare_digest(secret.encode("utf-8"), expected.encode("utf-8"))
        if client is None or not ok or (body_id and body_id != client_id):
            raise oauth_errors.bad_client_credentials()
        return client
    if body_id:
        client = clients.get(body_id)
        if client is None:
            raise oauth_errors.bad_client_credentials()
        if not client.is_public:
            raise oauth_errors.client_auth_required()
        return client
    raise oauth_errors.client_auth_required()


# --- bearer authentication (REST API) --------------------------------------------------


def bearer_token(request: Request) -> tuple[str | None, errors.ApiError | None]:
    """The bearer token, or the 401 a bad Authorization header earns."""
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return None, api_errors.api_invalid_token()
    scheme, _, value = header.partition(" ")
    # SDKs copy token_type ("bearer") verbatim, so the scheme is matched case-insensitively.
    if scheme.lower() != "bearer":
        return None, api_errors.api_unsupported_scheme()
    value = value.strip()
    if not value or not _TOKEN_RE.match(value):
        return None, api_errors.api_invalid_token()
    return value, None


def bearer_owner(request: Request) -> RateKey:
    """(username, client_id) behind the request's bearer token, (None, None) if unknown."""
    token, _ = bearer_token(request)
    owner = simulator(request).sessions.access_owner(token) if token else None
    return owner or (None, None)


@dataclass(frozen=True)
class ApiCaller:
    """An authenticated API caller."""

    grant: AccessGrant
    extension: Extension
    admin: bool


def user_has(extension: Extension, permission: str) -> bool:
    """The simulated user permissions: everyone reads, only admins read the company log."""
    if permission == "FullCompanyCallLog":
        return extension.admin
    return permission in (
        "ReadExtensions",
        "ReadCallLog",
        "ReadAccounts",
        "ReadMessages",
        "ReadCallRecording",
        "ReadPresence",
        "CallControl",
        "WebhookSubscriptions",
    )


def api_caller(
    request: Request, group: str, app_permission: str, user_permission: str
) -> ApiCaller:
    """Rate-limit, authenticate and authorize one REST API call."""
    sim = simulator(request)
    token, problem = bearer_token(request)
    owner = sim.sessions.access_owner(token) if token else None
    throttle(request, group, owner or (None, None))
    sim.counters.count("api_calls")
    if problem is not None:
        raise problem
    assert token is not None
    grant = sim.sessions.authenticate_access(token)
    if app_permission not in grant.scope:
        raise api_errors.app_permission_missing(app_permission)
    extension = sim.directory.extension_for(grant.username)
    if not user_has(extension, user_permission):
        raise api_errors.user_permission_missing(user_permission)
    return ApiCaller(grant, extension, extension.admin)
