"""The OAuth endpoints' errors (authorize, token, revoke), in RingCentral's words."""

from __future__ import annotations

from .errors import OAuthError


def unknown_client(client_id: str) -> OAuthError:
    return OAuthError(
        400,
        "invalid_client",
        "OAU-153",
        "Invalid client: ",
        parameters=[{"parameterName": "client_id", "parameterValue": client_id}],
    )


def redirect_mismatch() -> OAuthError:
    return OAuthError(400, "invalid_grant", "OAU-109", "Redirect URIs do not match")


def no_redirect_registered() -> OAuthError:
    return OAuthError(
        400, "invalid_client", "OAU-113", "No redirect uri is registered for the client"
    )


def invalid_parameter(name: str, error: str = "invalid_request") -> OAuthError:
    return OAuthError(
        400,
        error,
        "OAU-101",
        f"Parameter [{name}] is invalid",
        parameters=[{"parameterName": name}],
    )


def unsupported_media_type() -> OAuthError:
    # RingCentral's specification lists 415 here; the error code is the simulator's own.
    return OAuthError(
        415,
        "invalid_request",
        "CMN-415",
        "Unsupported Media Type: send application/x-www-form-urlencoded",
    )


def pkce_required() -> OAuthError:
    return OAuthError(
        400,
        "invalid_request",
        "OAU-101",
        "Parameter [code_challenge] is required for a client without a secret",
        parameters=[{"parameterName": "code_challenge"}],
    )


def client_auth_required() -> OAuthError:
    return OAuthError(401, "invalid_client", "OAU-123", "Client authentication is required")


def bad_client_credentials() -> OAuthError:
    return OAuthError(401, "invalid_client", "OAU-146", "Invalid client credentials")


def unsupported_grant_type() -> OAuthError:
    return OAuthError(400, "unsupported_grant_type", "OAU-250", "Unsupported grant type")


def invalid_code() -> OAuthError:
    return OAuthError(400, "invalid_grant", "OAU-106", "Invalid authorization code")


def invalid_code_verifier() -> OAuthError:
    return OAuthError(400, "invalid_grant", "OAU-106", "Invalid code verifier")


def code_expired() -> OAuthError:
    return OAuthError(400, "invalid_grant", "OAU-108", "Authorization code is expired")


def code_other_client() -> OAuthError:
    return OAuthError(
        400, "invalid_grant", "OAU-110", "Authorization code was not issued for this application"
    )


def token_not_found() -> OAuthError:
    return OAuthError(400, "invalid_grant", "OAU-213", "Token not found")


def token_expired() -> OAuthError:
    return OAuthError(400, "invalid_grant", "OAU-210", "Token expired")


def token_revoked() -> OAuthError:
    return OAuthError(400, "invalid_grant", "OAU-211", "Token revoked")
