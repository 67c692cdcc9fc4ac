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
