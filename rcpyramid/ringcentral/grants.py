"""OAuth 2.0 with RingCentral: the authorize URL, the two grants and revoke.

The authorization code flow is driven by requests-oauthlib's ``OAuth2Session`` around
oauthlib's ``WebApplicationClient`` (a fresh pair per call: they keep the token they
parsed on themselves, so sharing one would mix people up), PKCE S256 with the verifier
the pending sign-in keeps. The session sends through the one
:class:`~rcpyramid.ringcentral.transport.Transport` (its pooled adapter mounted, under
its deadline). A compliance hook reads the answer first: a token endpoint failure
becomes one of our errors before oauthlib reads the body, and the lifetimes it reads
are bounded first, so an absurd ``expires_in`` can crash neither oauthlib's arithmetic
nor ours. Nothing here keeps a token or refreshes on its own: callers refresh
through the token repository's protocol (:mod:`rcpyramid.ringcentral.refresh`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import requests
from oauthlib.oauth2 import WebApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from rcpyramid.clock import Clock
from rcpyramid.ops import metrics
from rcpyramid.ringcentral import endpoints
from rcpyramid.ringcentral.errors import (
    RateLimitedError,
    RingCentralUnavailableError,
    TokenRequestError,
)
from rcpyramid.ringcentral.transport import (
    ACCESS_LIFETIME_BOUNDS,
    REFRESH_LIFETIME_BOUNDS,
    Received,
    Transport,
    bounded_seconds,
    failures_mapped,
    json_or_none,
)
from rcpyramid.tokens.interfaces import Token

TOKEN_SERVICE = "RingCentral's token service"  # noqa: S105 - its name in messages
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def code_challenge(verifier: str) -> str:
    """PKCE S256: base64url(SHA-256(verifier)) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Grants:
    """The app's OAuth client at RingCentral: its id, secret and redirect URL."""

    def __init__(self, transport: Transport, clock: Clock) -> None:
        self.transport = transport
        self.settings = transport.settings
        self.clock = clock
        if self.settings.insecure_transport:
            # oauthlib refuses http unless this process-wide switch is on; the settings
            # check already limited http to loopback hosts outside production. Set here,
            # where every process that talks to RingCentral builds its grants (the app,
            # rcpyramid-purge, workers), not only in the app's main().
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

    def _oauth(self) -> OAuth2Session:
        """A fresh session for one call, its answers read by :meth:`_hooked` first."""
        oauth = OAuth2Session(
            client=WebApplicationClient(self.settings.client_id),
            redirect_uri=self.settings.redirect_url,
        )
        self.transport.mount_on(oauth)
        oauth.register_compliance_hook("access_token_response", self._hooked)
        oauth.register_compliance_hook("refresh_token_response", self._hooked)
        return oauth

    @property
    def _basic(self) -> HTTPBasicAuth:
        return HTTPBasicAuth(self.settings.client_id, self.settings.client_secret)

    def authorize_url(self, state: str, verifier: str) -> str:
        """Where the browser goes to sign in: no scope (RingCentral takes it from the app)."""
        url, _ = self._oauth().authorization_url(
            self.transport.url(endpoints.AUTHORIZE),
            state=state,
            code_challenge=code_challenge(verifier),
            code_challenge_method="S256",
        )
        return str(url)

    def exchange_code(self, code: str, verifier: str) -> Token:
        """The authorization_code grant, with the PKCE verifier and HTTP Basic client auth."""
        now = self.clock()
        with self.transport.calling(TOKEN_SERVICE):
            data = self._oauth().fetch_token(
                self.transport.url(endpoints.TOKEN),
                code=code,
                auth=self._basic,
                headers=dict(FORM),
                timeout=self.transport.timeout,
                include_client_id=False,
                code_verifier=verifier,
            )
        return _token_from(dict(data), now)

    def refresh(self, token: Token) -> Token:
        """Spend ``token``'s refresh token; the result keeps what RingCentral did not resend."""
        if not token.refresh_token:
            raise TokenRequestError("there is no refresh token", oauth_error="invalid_grant")
        now = self.clock()
        with self.transport.calling(TOKEN_SERVICE):
            data = self._oauth().refresh_token(
                self.transport.url(endpoints.TOKEN),
                refresh_token=token.refresh_token,
                auth=self._basic,
                headers=dict(FORM),
                timeout=self.transport.timeout,
            )
        fresh = _token_from(dict(data), now)
        # Start from the stored token: what the answer leaves out stays (the name, the times).
        changes: dict[str, Any] = {
            "access_token": fresh.access_token,
            "access_expires_at": fresh.access_expires_at,
            "token_type": fresh.token_type,
        }
        # requests-oauthlib puts the spent refresh token back when the answer has none.
        if fresh.refresh_token and fresh.refresh_token != token.refresh_token:
            changes.update(
                refresh_token=fresh.refresh_token, refresh_expires_at=fresh.refresh_expires_at
            )
        for name in ("scope", "owner_id", "endpoint_id"):
            if getattr(fresh, name):
                changes[name] = getattr(fresh, name)
        return replace(token, **changes)

    def revoke(self, token: Token) -> None:
        """End the RingCentral session that ``token`` belongs to (all its tokens)."""
        request = requests.Request(
            "POST", endpoints.REVOKE, data={"token": token.access_token}, auth=self._basic
        )
        received = self.transport.send(request, "RingCentral's sign-out")
        if received.status >= 400:
            raise RingCentralUnavailableError(
                f"RingCentral refused the sign-out (HTTP {received.status})",
                status=received.status,
            )

    def _hooked(self, response: requests.Response) -> requests.Response:
        """The compliance hook: the answer read (capped), checked and bounded.

        A failure is our error here, before oauthlib reads the body; what oauthlib
        gets is the checked answer, its lifetimes bounded.
        """
        with failures_mapped(TOKEN_SERVICE):
            body = self.transport.read_capped(response)
        headers = response.headers
        received = Received(
            status=response.status_code,
            headers=headers,
            body=body,
            data=json_or_none(headers.get("Content-Type", "application/json"), body),
        )
        metrics.ringcentral_answer(
            response, endpoints.AUTH, received.data, response.elapsed.total_seconds()
        )
        checked = requests.Response()
        checked.status_code = response.status_code
        checked.headers = headers
        checked.encoding = "utf-8"
        checked.raw = io.BytesIO(json.dumps(self._checked(received)).encode())
        return checked

    def _checked(self, received: Received) -> dict[str, Any]:
        """A token endpoint failure as our error; a usable answer with bounded lifetimes."""
        status, data = received.status, received.data
        if status == 429:
            raise RateLimitedError(
                "RingCentral is limiting sign-in requests (429)",
                status=429,
                retry_after=received.retry_after(self.clock()),
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
            code, message, _ = received.first_error()
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
        return data


def _token_from(data: dict[str, Any], now: datetime) -> Token:
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
