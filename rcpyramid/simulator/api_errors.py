"""The REST API's errors (tokens, parameters, permissions, subscriptions, sync)."""

from __future__ import annotations

from .errors import ApiError


def api_invalid_token() -> ApiError:
    return ApiError(401, "OAU-149", "Invalid token", top_code="TokenInvalid")


def api_unsupported_scheme() -> ApiError:
    return ApiError(401, "OAU-151", "Authorization method not supported", top_code="TokenInvalid")


def api_token_not_found() -> ApiError:
    return ApiError(401, "OAU-213", "Token not found", top_code="TokenInvalid")


def api_token_expired() -> ApiError:
    return ApiError(401, "OAU-128", "Access token expired", top_code="TokenExpired")


# What RingCentral says of a parameter, by error code: status and words ({} is the name).
_ABOUT_PARAMETER = {
    "CMN-100": (400, "Parameter [{}] is required"),
    "CMN-101": (400, "Parameter [{}] value is invalid."),
    "CMN-102": (404, "Resource for parameter [{}] is not found"),
}
# What RingCentral says of a missing permission, by error code ({} is the permission).
_PERMISSION_MISSING = {
    "CMN-401": "application needs to have [{}] permission",
    "CMN-408": "user needs to have [{}] permission for requested resource.",
    "CMN-419": "user needs to have [{}] permission with extended scope for requested resource.",
}


def _parameter_error(code: str, name: str) -> ApiError:
    status, words = _ABOUT_PARAMETER[code]
    return ApiError(status, code, words.format(name), parameterName=name)


def _permission_missing(code: str, permission: str) -> ApiError:
    words = _PERMISSION_MISSING[code].format(permission)
    return ApiError(
        403,
        code,
        f"In order to call this API endpoint, {words}",
        permissionName=permission,
    )


def parameter_required(name: str) -> ApiError:
    return _parameter_error("CMN-100", name)


def parameter_invalid(name: str) -> ApiError:
    return _parameter_error("CMN-101", name)


def resource_not_found(parameter: str) -> ApiError:
    return _parameter_error("CMN-102", parameter)


def app_permission_missing(permission: str) -> ApiError:
    return _permission_missing("CMN-401", permission)


def user_permission_missing(permission: str) -> ApiError:
    return _permission_missing("CMN-408", permission)


def extended_scope_missing(permission: str) -> ApiError:
    return _permission_missing("CMN-419", permission)


def invalid_uri() -> ApiError:
    return ApiError(404, "CMN-120", "Invalid URI")


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


def _sync_token_invalid(code: str, why: str) -> ApiError:
    return ApiError(
        400, code, f"Parameter [syncToken] is invalid [{why}]", parameterName="syncToken"
    )


def sync_token_reset() -> ApiError:
    # Which of CLG-101..105 RingCentral picks is not documented; the message is.
    return _sync_token_invalid("CLG-104", "Sync token expired, call log was reset")


def sync_too_many_changes() -> ApiError:
    return _sync_token_invalid("CMN-101", "max sync record number limit is exceeded")
