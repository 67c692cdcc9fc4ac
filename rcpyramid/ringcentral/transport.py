"""The one way to RingCentral over HTTP: a pooled adapter, a total deadline, one error mapping.

Every call (the token grants, revoke and API GETs) is a prepared request sent through
:meth:`Transport.send`: one connection pool per process, requests' environment
settings (proxies, CA bundle) read once, no redirect followed (a token goes to the
configured server only), the body read under the call's total deadline and capped at
``ringcentral.max_response_bytes``. Whatever goes wrong on the way (a timeout, a
refused connection, an unreadable answer) becomes one of :mod:`rcpyramid.ringcentral.errors`
here, in :meth:`Transport.calling`; what RingCentral *said* (a status) is read by the
grants and the REST client, each for its own endpoints.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from oauthlib.oauth2 import OAuth2Error
from urllib3.exceptions import ReadTimeoutError

from rcpyramid.config import RingCentralSettings
from rcpyramid.ringcentral.errors import (
    RingCentralError,
    RingCentralTimeoutError,
    RingCentralUnavailableError,
    TokenRequestError,
)
from rcpyramid.ringcentral.pool import DeadlineAdapter, calling_under

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Received:
    """An HTTP answer from RingCentral, read whole: status, headers, body and its JSON."""

    status: int
    #: Case-insensitive, as requests gives them.
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    data: Any = field(repr=False)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "application/json")

    def retry_after(self, now: datetime) -> int | None:
        """Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), within bounds."""
        value = self.headers.get("Retry-After", "").strip()
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

    def first_error(self) -> tuple[str | None, str | None, dict[str, Any]]:
        """RingCentral's ``errors[0]``: its code, message and the whole entry."""
        data = self.data
        if not isinstance(data, dict):
            return None, None, {}
        errors = data.get("errors")
        listed = isinstance(errors, list) and errors and isinstance(errors[0], dict)
        first: dict[str, Any] = errors[0] if listed else {}  # type: ignore[index]
        code = first.get("errorCode") or data.get("errorCode")
        message = first.get("message") or data.get("message") or data.get("error_description")
        return (
            str(code) if code else None,
            str(message)[:300] if message else None,
            first,
        )


def json_or_none(content_type: str, body: bytes | str) -> Any:
    """The parsed body when it says it is JSON and is; else None."""
    if "json" not in content_type.lower():
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


class Transport:
    """One per process: the settings' server, its pooled connections and deadlines."""

    def __init__(self, settings: RingCentralSettings) -> None:
        self.settings = settings
        self.server_url = settings.server_url.rstrip("/")
        self.timeout = (settings.connect_timeout, settings.read_timeout)
        # What requests reads from the environment (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE)
        # for this server: once, not on every call.
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
            pool_connections=4, pool_maxsize=self.settings.pool_size, max_retries=0
        )

    def url(self, path: str) -> str:
        return self.server_url + path

    def send(self, request: requests.Request, who: str) -> Received:
        """Send ``request`` and read its answer whole, all under the call's total deadline."""
        request.url = self.url(request.url)
        request.headers.setdefault("Accept", "application/json")
        with self.calling(who):
            response = self._adapter.send(
                request.prepare(),
                stream=True,
                timeout=self.timeout,
                verify=self._verify,
                cert=self._cert,
                proxies=self._proxies,
            )
            body = self._read_capped(response)
        headers = response.headers
        data = json_or_none(headers.get("Content-Type", "application/json"), body)
        return Received(status=response.status_code, headers=headers, body=body, data=data)

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

    @contextmanager
    def calling(self, who: str) -> Iterator[None]:
        """One call to RingCentral: under the total deadline, its failures as our errors."""
        with calling_under(self.settings.total_timeout) as deadline:
            try:
                with failures_mapped(who):
                    yield
            except Exception as error:
                # Whatever a cut connection left behind (a truncated body, a reset) is a timeout.
                if deadline.expired and not isinstance(error, RingCentralTimeoutError):
                    raise RingCentralTimeoutError(
                        f"{who} did not answer within {self.settings.total_timeout:g} seconds"
                    ) from error
                raise


@contextmanager
def failures_mapped(who: str) -> Iterator[None]:
    """What goes wrong reading an answer of ``who`` as our errors (the one mapping)."""
    try:
        yield
    except Exception as error:
        mapped = _as_ringcentral_error(error, who)
        if mapped is error:
            raise
        raise mapped from error


def _as_ringcentral_error(error: Exception, who: str) -> Exception:
    """The one mapping of a failed call to our errors (anything else stays as it was)."""
    if isinstance(error, RingCentralError):
        return error
    if isinstance(error, requests.Timeout) or (
        isinstance(error, requests.RequestException)
        and isinstance(error.args[0] if error.args else None, ReadTimeoutError)
    ):
        return RingCentralTimeoutError(f"{who} did not answer in time")
    if isinstance(error, requests.RequestException):
        return RingCentralUnavailableError("RingCentral could not be reached")
    if isinstance(error, OAuth2Error):
        return TokenRequestError(
            f"RingCentral's token answer was not usable ({error.error})",
            oauth_error=error.error,
        )
    if isinstance(error, ValueError | Warning | ArithmeticError):
        return RingCentralUnavailableError(f"{who} sent an answer that could not be read")
    return error
