"""RingCentral over HTTP: the authorize URL, the two grants, revoke and API GETs.

Built on requests-oauthlib. Every OAuth call makes a fresh ``OAuth2Session`` (it keeps
a token, a state and a verifier on itself, so sharing one between people would mix
them up) mounted on one pooled HTTP adapter shared by the whole process; API GETs
carry the bearer token themselves and go straight to that adapter. The client
keeps no tokens and refreshes nothing on its own: callers refresh through the token
repository's protocol (see :mod:`rcpyramid.ringcentral.api`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from oauthlib.oauth2 import OAuth2Error
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session
from urllib3.exceptions import ReadTimeoutError

from rcpyramid.clock import Clock
from rcpyramid.config import RingCentralSettings
from rcpyramid.ops import metrics
from rcpyramid.ringcentral.deadline import Deadline, DeadlineAdapter
from rcpyramid.ringcentral.errors import (
    ApiError,
    ApiUnauthorizedError,
    PermissionDeniedError,
    RateLimitedError,
    RingCentralError,
    RingCentralTimeoutError,
    RingCentralUnavailableError,
    TokenRequestError,
)
from rcpyramid.ringcentral.ratelimit import group_of
from rcpyramid.ringcentral.retries import failure_kind, retry_policy
from rcpyramid.tokens.interfaces import Token

log = logging.getLogger(__name__)

AUTHORIZE_PATH = "/restapi/oauth/authorize"
TOKEN_PATH = "/restapi/oauth/token"  # noqa: S105 - a path, not a password
REVOKE_PATH = "/restapi/oauth/revoke"
#: The rate-limit group of the OAuth endpoints (as ratelimit.AUTH), for the metrics.
AUTH_GROUP = "Auth"


def code_challenge(verifier: str) -> str:
    """PKCE S256: base64url(SHA-256(verifier)) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class ApiResponse:
    """A REST API answer as RingCentral sent it, and its parsed JSON."""

    status: int
    content_type: str
    body: bytes = field(repr=False)
    data: Any = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)


#: Bounds, in seconds, for the numbers RingCentral sends: a value outside is clamped (and
#: logged), so an absurd one can neither crash the app nor lock a person out for years.
RETRY_AFTER_BOUNDS = (1, 3600)
ACCESS_LIFETIME_BOUNDS = (1, 7 * 86400)
REFRESH_LIFETIME_BOUNDS = (1, 30 * 86400)


def bounded_seconds(name: str, value: Any, bounds: tuple[int, int]) -> int | None:
    """``value`` as whole seconds within ``bounds``; None when it is not a number at all."""
    low, high = bounds
    try:
        number = float(value) if isinstance(value, str | float) else int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if isinstance(number, float) and math.isnan(number):
        return None
    if low <= number <= high:
        return int(number)
    clamped = low if number < low else high
    log.warning(
        "RingCentral sent %s = %.40s, outside %s..%s seconds; using %s",
        name,
        str(value),
        low,
        high,
        clamped,
    )
    return clamped


def _retry_after(response: requests.Response, now: datetime) -> int | None:
    """Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), within bounds."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isascii() and value.isdigit():
        return bounded_seconds("Retry-After", value, RETRY_AFTER_BOUNDS)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    seconds = math.ceil((when - now).total_seconds())
    return bounded_seconds("Retry-After", seconds, RETRY_AFTER_BOUNDS)


def _json_or_none(content_type: str, body: bytes | str) -> Any:
    if "json" not in content_type.lower():
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


@dataclass(frozen=True)
class _TokenAnswer:
    """What requests-oauthlib reads after its response hooks: the checked, bounded JSON."""

    text: str


def _first_error(data: Any) -> tuple[str | None, str | None, dict[str, Any]]:
    """RingCentral's ``errors[0]``: its code, message and the whole entry."""
    if not isinstance(data, dict):
        return None, None, {}
    errors = data.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code = first.get("errorCode") or data.get("errorCode")
    message = first.get("message") or data.get("message") or data.get("error_description")
    return (
        str(code) if code else None,
        str(message)[:300] if message else None,
        first,
    )


class RingCentralClient:
    """One per process: configuration plus the shared connection pool."""

    def __init__(self, settings: RingCentralSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.server_url = settings.server_url.rstrip("/")
        self.timeout = (settings.connect_timeout, settings.read_timeout)
        # What requests reads from the environment (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE)
        # for this server: once, not on every call; API GETs pass it to the adapter.
        environment = requests.Session().merge_environment_settings(
            self.server_url, {}, None, None, None
        )
        self._proxies: dict[str, str] = dict(environment["proxies"])
        verify = environment["verify"]
        self._verify: bool | str = True if verify is None else verify
        self._cert: str | tuple[str, str] | None = environment["cert"]
        self.new_pool()

    def new_pool(self) -> None:
        """A fresh connection pool: a forked worker must not share its parent's sockets."""
        self._adapter = DeadlineAdapter(
            pool_connections=4,
            pool_maxsize=self.settings.pool_size,
            max_retries=retry_policy(self.settings.retries),
        )

    # -- sessions -----------------------------------------------------------------

    def _session(self, **kwargs: Any) -> OAuth2Session:
        session = OAuth2Session(self.settings.client_id, **kwargs)
        session.mount("https://", self._adapter)
        session.mount("http://", self._adapter)
        session.headers["Accept"] = "application/json"
        return session

    @property
    def _basic(self) -> HTTPBasicAuth:
        return HTTPBasicAuth(self.settings.client_id, self.settings.client_secret)

    def url(self, path: str) -> str:
        return self.server_url + path

    @contextmanager
    def _calling(self, who: str) -> Iterator[None]:
        """One call to RingCentral: under the total deadline, its failures as our errors."""
        deadline = Deadline(self.settings.total_timeout)
        try:
            with deadline:
                yield
        except Exception as error:
            metrics.ringcentral_failure(failure_kind(error, deadline.expired))
            # Whatever a cut connection left behind (a truncated body, a reset) is a timeout.
            if deadline.expired:
                raise RingCentralTimeoutError(
                    f"{who} did not answer within {self.settings.total_timeout:g} seconds"
                ) from error
            if isinstance(error, RingCentralError):
                raise
            if isinstance(error, requests.Timeout) or (
                isinstance(error, requests.RequestException)
                and isinstance(error.args[0] if error.args else None, ReadTimeoutError)
            ):
                raise RingCentralTimeoutError(f"{who} did not answer in time") from error
            if isinstance(error, requests.RequestException):
                raise RingCentralUnavailableError("RingCentral could not be reached") from error
            if isinstance(error, OAuth2Error):
                raise TokenRequestError(
                    f"RingCentral's token answer was not usable ({error.error})",
                    oauth_error=error.error,
                ) from error
            if isinstance(error, ValueError | Warning | ArithmeticError):
                raise RingCentralUnavailableError(
                    f"{who} sent an answer that could not be read"
                ) from error
            raise

    # -- OAuth --------------------------------------------------------------------

    def authorize_url(self, state: str, verifier: str) -> str:
        """Where the browser goes to sign in: no scope (RingCentral takes it from the app)."""
        session = self._session(redirect_uri=self.settings.redirect_url, state=state)
        url, _ = session.authorization_url(
            self.url(AUTHORIZE_PATH),
            code_challenge=code_challenge(verifier),
            code_challenge_method="S256",
        )
        return url

    def exchange_code(self, code: str, verifier: str) -> Token:
        """The authorization_code grant, with the PKCE verifier and HTTP Basic client auth."""
        session = self._session(redirect_uri=self.settings.redirect_url)
        # The hook hands oauthlib an object with the checked ``text`` only, all it reads.
        session.register_compliance_hook(  # type: ignore[call-overload]
            "access_token_response", self._check_token_response
        )
        now = self.clock()
        data = self._token_call(
            lambda: session.fetch_token(
                self.url(TOKEN_PATH),
                code=code,
                code_verifier=verifier,
                auth=self._basic,
                timeout=self.timeout,
            )
        )
        return self._token_from(data, now)

    def refresh(self, token: Token) -> Token:
        """Spend ``token``'s refresh token; the result keeps what RingCentral did not resend."""
        if not token.refresh_token:
            raise TokenRequestError("there is no refresh token", oauth_error="invalid_grant")
        session = self._session()
        session.register_compliance_hook(  # type: ignore[call-overload]
            "refresh_token_response", self._check_token_response
        )
        now = self.clock()
        data = self._token_call(
            lambda: session.refresh_token(
                self.url(TOKEN_PATH),
                refresh_token=token.refresh_token,
                auth=self._basic,
                timeout=self.timeout,
            )
        )
        fresh = self._token_from(data, now)
        # Start from the stored token: what the answer leaves out stays (the name, the times).
        changes: dict[str, Any] = {
            "access_token": fresh.access_token,
            "access_expires_at": fresh.access_expires_at,
            "token_type": fresh.token_type,
        }
        if fresh.refresh_token:
            changes.update(
                refresh_token=fresh.refresh_token, refresh_expires_at=fresh.refresh_expires_at
            )
        for name in ("scope", "owner_id", "endpoint_id"):
            if getattr(fresh, name):
                changes[name] = getattr(fresh, name)
        return replace(token, **changes)

    def revoke(self, token: Token) -> None:
        """End the RingCentral session that ``token`` belongs to (all its tokens)."""
        session = self._session()
        with self._calling("RingCentral's sign-out"):
            response = session.post(
                self.url(REVOKE_PATH),
                data={"token": token.access_token},
                auth=self._basic,
                timeout=self.timeout,
            )
        metrics.ringcentral_answer(response, AUTH_GROUP)
        if response.status_code >= 400:
            raise RingCentralUnavailableError(
                f"RingCentral refused the sign-out (HTTP {response.status_code})",
                status=response.status_code,
            )

    def _token_call(self, call: Callable[[], Any]) -> dict[str, Any]:
        with self._calling("RingCentral's token service"):
            return dict(call())

    def _check_token_response(self, response: requests.Response) -> _TokenAnswer:
        """Turn a token endpoint failure into our errors before oauthlib reads the body.

        A usable answer goes on to oauthlib with its lifetimes within bounds, so an
        absurd ``expires_in`` can crash neither oauthlib's arithmetic nor ours.
        """
        status = response.status_code
        data = _json_or_none(response.headers.get("Content-Type", ""), response.content)
        metrics.ringcentral_answer(response, AUTH_GROUP, data)
        if status == 429:
            raise RateLimitedError(
                "RingCentral is limiting sign-in requests (429)",
                status=429,
                retry_after=_retry_after(response, self.clock()),
            )
        if status >= 500:
            raise RingCentralUnavailableError(
                f"RingCentral's token service failed (HTTP {status})", status=status
            )
        if not isinstance(data, dict):
            raise RingCentralUnavailableError(
                f"RingCentral's token service answered HTTP {status} with something that is not "
                "JSON",
                status=status,
            )
        if status >= 400 or "error" in data:
            code, message, _ = _first_error(data)
            oauth_error = str(data.get("error") or "") or None
            raise TokenRequestError(
                message or oauth_error or f"HTTP {status}",
                status=status,
                error_code=code,
                oauth_error=oauth_error,
            )
        for name, bounds in (
            ("expires_in", ACCESS_LIFETIME_BOUNDS),
            ("refresh_token_expires_in", REFRESH_LIFETIME_BOUNDS),
        ):
            if data.get(name) not in (None, ""):
                seconds = bounded_seconds(name, data[name], bounds)
                if seconds is None:
                    raise RingCentralUnavailableError(
                        f"RingCentral's token answer had an unusable {name}"
                    )
                data[name] = seconds
        return _TokenAnswer(text=json.dumps(data))

    def _token_from(self, data: dict[str, Any], now: datetime) -> Token:
        try:
            expires_in = bounded_seconds(
                "expires_in", data.get("expires_in") or 0, ACCESS_LIFETIME_BOUNDS
            )
            refresh_in = data.get("refresh_token_expires_in")
            refresh_token = data.get("refresh_token") or None
            refresh_seconds = (
                bounded_seconds("refresh_token_expires_in", refresh_in, REFRESH_LIFETIME_BOUNDS)
                if refresh_token and refresh_in not in (None, "")
                else None
            )
            return Token(
                access_token=str(data["access_token"]),
                access_expires_at=now + timedelta(seconds=expires_in or 0),
                refresh_token=str(refresh_token) if refresh_token else None,
                refresh_expires_at=(
                    now + timedelta(seconds=refresh_seconds) if refresh_seconds else None
                ),
                token_type=str(data.get("token_type") or "bearer"),
                scope=str(data.get("scope") or ""),
                owner_id=str(data.get("owner_id") or ""),
                endpoint_id=str(data.get("endpoint_id") or ""),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise RingCentralUnavailableError(
                "RingCentral's token answer lacked a usable access token or lifetime"
            ) from error

    # -- REST API -----------------------------------------------------------------

    def get(self, path: str, token: Token, params: dict[str, Any] | None = None) -> ApiResponse:
        """GET a REST API path with the access token; non-2xx answers raise.

        No Session: nothing one person's call receives (a cookie) can ride along on
        another's, and no redirect is followed, so the token goes to the server only.
        """
        headers = {"Accept": "application/json", "Authorization": f"Bearer {token.access_token}"}
        request = requests.Request("GET", self.url(path), params=params or {}, headers=headers)
        started = time.perf_counter()
        with self._calling("RingCentral"):
            response = self._adapter.send(
                request.prepare(),
                stream=True,
                timeout=self.timeout,
                verify=self._verify,
                cert=self._cert,
                proxies=self._proxies,
            )
            body = self._read_capped(response)
        status = response.status_code
        content_type = response.headers.get("Content-Type", "application/json")
        data = _json_or_none(content_type, body)
        metrics.ringcentral_answer(response, group_of(path), data, time.perf_counter() - started)
        if status < 400 and data is None:
            raise RingCentralUnavailableError(
                f"RingCentral answered HTTP {status} with something that is not JSON", status=status
            )
        if status >= 400:
            self._raise_for_api_status(response, data)
        return ApiResponse(
            status=status,
            content_type=content_type,
            body=body,
            data=data,
            headers=dict(response.headers),
        )

    def _read_capped(self, response: requests.Response) -> bytes:
        """The body, refusing more than ``ringcentral.max_response_bytes``."""
        limit = self.settings.max_response_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise RingCentralUnavailableError("RingCentral's answer was too large")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > limit:
                response.close()
                raise RingCentralUnavailableError("RingCentral's answer was too large")
            chunks.append(chunk)
        return b"".join(chunks)

    def _raise_for_api_status(self, response: requests.Response, data: Any) -> None:
        status = response.status_code
        code, message, first = _first_error(data)
        text = message or f"HTTP {status}"
        if status == 401:
            raise ApiUnauthorizedError(text, status=status, error_code=code)
        if status == 403:
            permission = first.get("permissionName") or (
                data.get("permissionName") if isinstance(data, dict) else None
            )
            raise PermissionDeniedError(
                text, status=status, error_code=code, permission=permission or None
            )
        if status == 429:
            error = RateLimitedError(
                text,
                status=status,
                error_code=code,
                retry_after=_retry_after(response, self.clock()),
            )
            # None of these headers: an account-wide or global limit (see ratelimit.py).
            error.rate_headers = {
                name: value
                for name, value in response.headers.items()
                if name.lower().startswith("x-rate-limit-")
            }
            raise error
        if status >= 500:
            raise RingCentralUnavailableError(
                f"RingCentral failed (HTTP {status})",
                status=status,
                error_code=code,
                retry_after=_retry_after(response, self.clock()),
            )
        raise ApiError(text, status=status, error_code=code)
