"""Errors the simulator answers with, in RingCentral's wire shapes (reference §3, §7)."""

from __future__ import annotations

from typing import Any


class SimulatorError(Exception):
    """Base of every error that becomes an HTTP answer."""

    status: int = 500
    headers: dict[str, str]

    def body(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError


class OAuthError(SimulatorError):
    """An OAuth endpoint error: `error`/`error_description` plus `errors[]`."""

    def __init__(
        self,
        status: int,
        error: str,
        code: str,
        message: str,
        **extra: Any,
    ) -> None:
        super().__init__(f"{code} {message}")
        self.status = status
        self.error = error
        self.code = code
        self.message = message
        self.extra = extra
        self.headers = {}

    def body(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "errors": [{"errorCode": self.code, "message": self.message, **self.extra}],
            "error_description": self.message,
        }


class ApiError(SimulatorError):
    """A REST API error: the first error repeated at top level, as RingCentral does."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        top_code: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(f"{code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.top_code = top_code or code
        self.extra = extra
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {
            "errorCode": self.top_code,
            "message": self.message,
            "errors": [{"errorCode": self.code, "message": self.message, **self.extra}],
            **self.extra,
        }


# --- authorize / token / revoke -------------------------------------------------------


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


# --- REST API --------------------------------------------------------------------------


def api_invalid_token() -> ApiError:
    return ApiError(401, "OAU-149", "Invalid token", top_code="TokenInvalid")


def api_unsupported_scheme() -> ApiError:
    return ApiError(401, "OAU-151", "Authorization method not supported", top_code="TokenInvalid")


def api_token_not_found() -> ApiError:
    return ApiError(401, "OAU-213", "Token not found", top_code="TokenInvalid")


def api_token_expired() -> ApiError:
    return ApiError(401, "OAU-128", "Access token expired", top_code="TokenExpired")


def parameter_invalid(name: str) -> ApiError:
    return ApiError(400, "CMN-101", f"Parameter [{name}] value is invalid.", parameterName=name)


def app_permission_missing(permission: str) -> ApiError:
    return ApiError(
        403,
        "CMN-401",
        f"In order to call this API endpoint, application needs to have [{permission}] permission",
        permissionName=permission,
    )


def user_permission_missing(permission: str) -> ApiError:
    return ApiError(
        403,
        "CMN-408",
        f"In order to call this API endpoint, user needs to have [{permission}] permission "
        "for requested resource.",
        permissionName=permission,
    )


def extended_scope_missing(permission: str) -> ApiError:
    return ApiError(
        403,
        "CMN-419",
        f"In order to call this API endpoint, user needs to have [{permission}] permission "
        "with extended scope for requested resource.",
        permissionName=permission,
    )


def resource_not_found(parameter: str) -> ApiError:
    return ApiError(
        404,
        "CMN-102",
        f"Resource for parameter [{parameter}] is not found",
        parameterName=parameter,
    )


def invalid_uri() -> ApiError:
    return ApiError(404, "CMN-120", "Invalid URI")


class OAuthRateLimitedError(OAuthError):
    """A 429 from an OAuth endpoint: RingCentral's errorCode and OAuth's error, both."""

    def body(self) -> dict[str, Any]:
        return {"errorCode": self.code, "message": self.message, **super().body()}


def rate_exceeded(retry_after: int, *, oauth: bool = False) -> SimulatorError:
    """429 CMN-301 with Retry-After; OAuth clients also get error/error_description."""
    headers = {"Retry-After": str(retry_after)}
    if oauth:
        limited = OAuthRateLimitedError(429, "rate_limited", "CMN-301", "Request rate exceeded")
        limited.headers = headers
        return limited
    return ApiError(429, "CMN-301", "Request rate exceeded", headers=headers)


# --- subscriptions and call-log sync (../shared/ringcentral-webhooks-and-sync.md) -------


def subscription_limit() -> ApiError:
    return ApiError(403, "SUB-505", "Subscriptions limit exceeded")


def webhook_response_invalid() -> ApiError:
    return ApiError(400, "SUB-525", "WebHook server response is invalid")


def webhook_certificate_invalid() -> ApiError:
    return ApiError(400, "SUB-524", "HTTPS certificate is not valid")


def invalid_event_filters(filters: list[str]) -> ApiError:
    return ApiError(400, "SUB-508", f"Invalid event filters: {filters}")


def other_extension_filter() -> ApiError:
    return ApiError(403, "SUB-405", "Not allowed subscribe for messages to other extensions")


def other_account_filter() -> ApiError:
    return ApiError(403, "SUB-406", "Not allowed subscribe for events of other accounts")


def subscription_not_found() -> ApiError:
    return resource_not_found("subscriptionId")


def subscription_expired() -> ApiError:
    return ApiError(404, "SUB-507", "Subscription is expired")


def parameter_required(name: str) -> ApiError:
    return ApiError(400, "CMN-100", f"Parameter [{name}] is required", parameterName=name)


def sync_token_reset() -> ApiError:
    # Which of CLG-101..105 RingCentral picks is not documented; the message is.
    return ApiError(
        400,
        "CLG-104",
        "Parameter [syncToken] is invalid [Sync token expired, call log was reset]",
        parameterName="syncToken",
    )


def sync_too_many_changes() -> ApiError:
    return ApiError(
        400,
        "CMN-101",
        "Parameter [syncToken] is invalid [max sync record number limit is exceeded]",
        parameterName="syncToken",
    )
