"""RingCentral's REST API: calls with a person's access token, their failures as our errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from rcpyramid.clock import Clock
from rcpyramid.ringcentral.errors import (
    ApiError,
    ApiUnauthorizedError,
    PermissionDeniedError,
    RateLimitedError,
    RingCentralError,
    RingCentralUnavailableError,
)
from rcpyramid.ringcentral.transport import Received, Transport
from rcpyramid.tokens.interfaces import Token


@dataclass(frozen=True)
class ApiResponse:
    """A REST API answer as RingCentral sent it, and its parsed JSON."""

    status: int
    content_type: str
    body: bytes = field(repr=False)
    data: Any = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ApiCall:
    """One REST API call's parts (the token apart): method, path, query and JSON body."""

    path: str
    params: dict[str, Any] | None = None
    method: str = "GET"
    json_body: Any = None


class Rest:
    """Calls of REST API paths; the token is the caller's, nothing is kept between calls."""

    def __init__(self, transport: Transport, clock: Clock) -> None:
        self.transport = transport
        self.clock = clock

    def get(self, path: str, token: Token, params: dict[str, Any] | None = None) -> ApiResponse:
        """GET a REST API path with the access token; non-2xx answers raise.

        No Session: nothing one person's call receives (a cookie) can ride along on
        another's, and no redirect is followed, so the token goes to the server only.
        """
        return self.send(ApiCall(path, params), token)

    def send(self, call: ApiCall, token: Token) -> ApiResponse:
        """Any method (the webhook subscriptions POST, PUT and DELETE); non-2xx answers raise.

        An answer without a body (a DELETE's ``204 No Content``) has ``data`` None.
        """
        headers = {"Authorization": f"Bearer {token.access_token}"}
        request = requests.Request(
            call.method, call.path, params=call.params or {}, headers=headers, json=call.json_body
        )
        received = self.transport.send(request, "RingCentral")
        status = received.status
        if (
            status < 400
            and received.data is None
            and (call.method == "GET" or received.body.strip())
        ):
            raise RingCentralUnavailableError(
                f"RingCentral answered HTTP {status} with something that is not JSON", status=status
            )
        if status >= 400:
            raise self._error_of(received)
        return ApiResponse(
            status=status,
            content_type=received.content_type,
            body=received.body,
            data=received.data,
            headers=dict(received.headers),
        )

    def _error_of(self, received: Received) -> RingCentralError:
        status, data = received.status, received.data
        code, message, first = received.first_error()
        text = message or f"HTTP {status}"
        if status == 401:
            return ApiUnauthorizedError(text, status=status, error_code=code)
        if status == 403:
            permission = first.get("permissionName") or (
                data.get("permissionName") if isinstance(data, dict) else None
            )
            return PermissionDeniedError(
                text, status=status, error_code=code, permission=permission or None
            )
        if status == 429:
            error = RateLimitedError(
                text, status=status, error_code=code, retry_after=received.retry_after(self.clock())
            )
            # None of these headers: an account-wide or global limit (see ratelimit.py).
            error.rate_headers = {
                name: value
                for name, value in received.headers.items()
                if name.lower().startswith("x-rate-limit-")
            }
            return error
        if status >= 500:
            return RingCentralUnavailableError(
                f"RingCentral failed (HTTP {status})",
                status=status,
                error_code=code,
                retry_after=received.retry_after(self.clock()),
            )
        return ApiError(text, status=status, error_code=code)
