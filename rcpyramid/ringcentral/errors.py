"""What can go wrong when talking to RingCentral, as exceptions a page can explain.

Each class says the status, title and plain words of its page (:class:`PageError`).
``message`` is the technical account the client gives (logged, and shown as detail
where it helps); ``status`` is RingCentral's own HTTP status when it answered.
Messages never carry a token, a code or a URL with either in it: they are shown to
people and written to logs.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rcpyramid.errors import PageError

#: RingCentral's refresh-token errors that mean "these tokens are dead: sign in again".
DEAD_TOKEN_CODES = frozenset({"OAU-210", "OAU-211", "OAU-213"})

#: What a 429 page says to wait when RingCentral did not say (its penalty is 60 s).
DEFAULT_RETRY_AFTER = 60


class RingCentralError(PageError):
    """RingCentral did not give us what we asked for."""

    page_status: ClassVar[int] = 502
    title: ClassVar[str] = "RingCentral refused the request"
    #: On the way back from RingCentral (not signed in yet), the page offers a new sign-in.
    offers_sign_in: ClassVar[bool | None] = None
    words: ClassVar[str] = "RingCentral could not answer this."
    #: The page shows ``message`` as the detail: RingCentral's own words help here.
    shows_message: ClassVar[bool] = False

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
        if self.shows_message:
            self.detail = message

    @property
    def explanation(self) -> str:
        return f"{self.words} Please try again in a moment."


class RingCentralUnavailableError(RingCentralError):
    """RingCentral could not be reached, failed (5xx) or answered something unreadable."""

    title: ClassVar[str] = "RingCentral is having trouble"

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        if self.status == 503 and self.retry_after is not None:
            # RingCentral said when it will be back: the page says so too, with its status.
            self.page_status = 503  # type: ignore[misc]

    @property
    def explanation(self) -> str:
        # The technical message (with RingCentral's status) goes to the log, not the page:
        # a page names one status, its own.
        if self.status is None:
            return "RingCentral could not be reached. Please try again in a moment."
        if self.page_status == 503:
            return "RingCentral is briefly unavailable and said when to come back."
        return "RingCentral answered with an error of its own. Please try again in a moment."


class RingCentralTimeoutError(RingCentralUnavailableError):
    """RingCentral did not answer within the configured timeout."""

    page_status: ClassVar[int] = 504
    title: ClassVar[str] = "RingCentral did not answer"

    @property
    def explanation(self) -> str:
        return "RingCentral took too long to answer. Please try again in a moment."


class RateLimitedError(RingCentralError):
    """RingCentral answered 429: too many requests for this user and group."""

    page_status: ClassVar[int] = 429
    title: ClassVar[str] = "RingCentral asks us to slow down"
    #: The answer's X-Rate-Limit-* headers; an empty dict means an account-wide limit.
    rate_headers: dict[str, str] | None = None

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        if self.retry_after is None:
            self.retry_after = DEFAULT_RETRY_AFTER

    @property
    def explanation(self) -> str:
        # The page says when to try again (and counts down), so the words do not.
        return "Too many requests were made for your account in a short time."


class PacingError(RateLimitedError):
    """This app held a request back to stay within RingCentral's limits: no call was made.

    Its own budget (the counts RingCentral's answers reported, or the wait a 429 named)
    said no, so the page says the app is pacing itself, not that RingCentral complained.
    """

    title: ClassVar[str] = "Pacing our requests to RingCentral"

    @property
    def explanation(self) -> str:
        return (
            "To stay within RingCentral's limits for your account, this app is holding its "
            "requests back for a moment. Nothing is wrong with RingCentral or your account."
        )


class TokenRequestError(RingCentralError):
    """The token endpoint refused a code or a refresh token (an OAuth error body)."""

    page_status: ClassVar[int] = 400
    title: ClassVar[str] = "RingCentral did not accept the sign-in"
    offers_sign_in: ClassVar[bool | None] = True
    shows_message: ClassVar[bool] = True

    def __init__(self, message: str, *, oauth_error: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.oauth_error = oauth_error

    @property
    def tokens_dead(self) -> bool:
        """True when RingCentral says the refresh token can never work again."""
        return self.oauth_error == "invalid_grant" or self.error_code in DEAD_TOKEN_CODES

    @property
    def explanation(self) -> str:
        return "RingCentral refused to complete the sign-in. Please sign in again."


class ApiError(RingCentralError):
    """A REST API call answered 4xx."""


class ApiUnauthorizedError(ApiError):
    """401: the access token was not accepted."""

    page_status: ClassVar[int] = 401


class PermissionDeniedError(ApiError):
    """403: the app or the user lacks a permission; ``permission`` names it when known."""

    page_status: ClassVar[int] = 403
    title: ClassVar[str] = "RingCentral refused this page"
    offers_sign_in: ClassVar[bool | None] = False
    shows_message: ClassVar[bool] = True

    def __init__(self, message: str, *, permission: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.permission = permission

    @property
    def explanation(self) -> str:
        missing = f" the [{self.permission}] permission" if self.permission else " a permission"
        return f"Your RingCentral account or this app lacks{missing} needed for this page."


class SignedOutError(PageError):
    """The person's RingCentral session ended (refresh refused, tokens revoked or gone)."""

    page_status: ClassVar[int] = 401
    title: ClassVar[str] = "Your RingCentral session ended"
    offers_sign_in: ClassVar[bool | None] = True

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def explanation(self) -> str:
        return "RingCentral no longer accepts this app's sign-in for you. Please sign in again."
