"""The OAuth endpoints' errors (authorize, token, revoke), in RingCentral's words."""

from __future__ import annotations

from functools import partial

from .errors import OAuthError

# Each builder makes a fresh error: status and OAuth `error`, then RingCentral's errorCode
# and message (so a table per OAuth error).
_invalid_request = partial(OAuthError, 400, "invalid_request")
_invalid_client = partial(OAuthError, 400, "invalid_client")
_unauthorized_client = partial(OAuthError, 401, "invalid_client")
_invalid_grant = partial(OAuthError, 400, "invalid_grant")

no_redirect_registered = partial(
    _invalid_client, "OAU-113", "No redirect uri is registered for the client"
)
client_auth_required = partial(_unauthorized_client, "OAU-123", "Client authentication is required")
bad_client_credentials = partial(_unauthorized_client, "OAU-146", "Invalid client credentials")
unsupported_grant_type = partial(
    OAuthError, 400, "unsupported_grant_type", "OAU-250", "Unsupported grant type"
)
# RingCentral's specification lists 415 here; the error code is the simulator's own.
unsupported_media_type = partial(
    OAuthError,
    415,
    "invalid_request",
    "CMN-415",
    "Unsupported Media Type: send application/x-www-form-urlencoded",
)

redirect_mismatch = partial(_invalid_grant, "OAU-109", "Redirect URIs do not match")
invalid_code = partial(_invalid_grant, "OAU-106", "Invalid authorization code")
invalid_code_verifier = partial(_invalid_grant, "OAU-106", "Invalid code verifier")
code_expired = partial(_invalid_grant, "OAU-108", "Authorization code is expired")
code_other_client = partial(
    _invalid_grant, "OAU-110", "Authorization code was not issued for this application"
)
token_not_found = partial(_invalid_grant, "OAU-213", "Token not found")
token_expired = partial(_invalid_grant, "OAU-210", "Token expired")
token_revoked = partial(_invalid_grant, "OAU-211", "Token revoked")


def unknown_client(client_id: str) -> OAuthError:
    parameters = [{"parameterName": "client_id", "parameterValue": client_id}]
    return _invalid_client("OAU-153", "Invalid client: ", parameters=parameters)


def invalid_parameter(name: str, error: str = "invalid_request") -> OAuthError:
    message = f"Parameter [{name}] is invalid"
    return OAuthError(400, error, "OAU-101", message, parameters=[{"parameterName": name}])


def pkce_required() -> OAuthError:
    message = "Parameter [code_challenge] is required for a client without a secret"
    return _invalid_request("OAU-101", message, parameters=[{"parameterName": "code_challenge"}])
