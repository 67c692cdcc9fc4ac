"""What can go wrong when talking to RingCentral, as exceptions a page can explain.

Messages never carry a token, a code or a URL with either in it: they are shown to
people and written to logs.
"""

from __future__ import annotations

from typing import Any

#: RingCentral's refresh-token errors that mean "these tokens are dead: sign in again".
DEAD_TOKEN_CODES = frozenset({"OAU-210", "OAU-211", "OAU-213"})


class RingCentralError(Exception):
    """RingCentral did not give us what we asked for."""

    #: The HTTP status this app answers with when the error reaches a page.
    page_status = 502

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.retry_after = retry_after


class RingCentralUnavailableError(RingCentralError):
    """RingCentral could not be reached, failed (5xx) or answered something unreadable."""


class RingCentralTimeoutError(RingCentralUnavailableError):
    """RingCentral did not answer within the configured timeout."""

    page_status = 504


class RateLimitedError(RingCentralError):
    """RingCentral answered 429: too many requests for this user and group."""

    page_status = 429


class TokenRequestError(RingCentralError):
    """The token endpoint refused a code or a refresh token (an OAuth error body)."""

    page_status = 400

    def __init__(self, message: str, *, oauth_error: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.oauth_error = oauth_error

    @property
    def tokens_dead(self) -> bool:
        """True when RingCentral says the refresh token can never work again."""
        return self.oauth_error == "invalid_grant" or self.error_code in DEAD_TOKEN_CODES


class ApiError(RingCentralError):
    """A REST API call answered 4xx."""

    page_status = 502


class ApiUnauthorizedError(ApiError):
    """401: the access token was not accepted."""

    page_status = 401


class PermissionDeniedError(ApiError):
    """403: the app or the user lacks a permission; ``permission`` names it when known."""

    page_status = 403

    def __init__(self, message: str, *, permission: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.permission = permission


class SignedOutError(Exception):
    """The person's RingCentral session ended (refresh refused, tokens revoked or gone)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
