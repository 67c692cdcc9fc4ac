"""The REST API's errors (tokens, parameters, permissions, subscriptions, sync)."""

from __future__ import annotations

from functools import partial

from .errors import ApiError

# Each builder makes a fresh error: status, errorCode and message (a table).
_token_invalid = partial(ApiError, 401, top_code="TokenInvalid")
api_invalid_token = partial(_token_invalid, "OAU-149", "Invalid token")
api_unsupported_scheme = partial(_token_invalid, "OAU-151", "Authorization method not supported")
api_token_not_found = partial(_token_invalid, "OAU-213", "Token not found")
api_token_expired = partial(
    ApiError, 401, "OAU-128", "Access token expired", top_code="TokenExpired"
)
invalid_uri = partial(ApiError, 404, "CMN-120", "Invalid URI")


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
    message = f"In order to call this API endpoint, {words}"
    return ApiError(403, code, message, permissionName=permission)


parameter_required = partial(_parameter_error, "CMN-100")
parameter_invalid = partial(_parameter_error, "CMN-101")
resource_not_found = partial(_parameter_error, "CMN-102")
app_permission_missing = partial(_permission_missing, "CMN-401")
user_permission_missing = partial(_permission_missing, "CMN-408")
extended_scope_missing = partial(_permission_missing, "CMN-419")


# --- subscriptions and call-log sync (../shared/ringcentral-webhooks-and-sync.md) -------


subscription_limit = partial(ApiError, 403, "SUB-505", "Subscriptions limit exceeded")
webhook_response_invalid = partial(ApiError, 400, "SUB-525", "WebHook server response is invalid")
webhook_certificate_invalid = partial(ApiError, 400, "SUB-524", "HTTPS certificate is not valid")
other_extension_filter = partial(
    ApiError, 403, "SUB-405", "Not allowed subscribe for messages to other extensions"
)
other_account_filter = partial(
    ApiError, 403, "SUB-406", "Not allowed subscribe for events of other accounts"
)
subscription_expired = partial(ApiError, 404, "SUB-507", "Subscription is expired")


def invalid_event_filters(filters: list[str]) -> ApiError:
    return ApiError(400, "SUB-508", f"Invalid event filters: {filters}")


def subscription_not_found() -> ApiError:
    return resource_not_found("subscriptionId")


def _sync_token_invalid(code: str, why: str) -> ApiError:
    return ApiError(
        400, code, f"Parameter [syncToken] is invalid [{why}]", parameterName="syncToken"
    )


# Which of CLG-101..105 RingCentral picks is not documented; the message is.
sync_token_reset = partial(_sync_token_invalid, "CLG-104", "Sync token expired, call log was reset")
sync_too_many_changes = partial(
    _sync_token_invalid, "CMN-101", "max sync record number limit is exceeded"
)
