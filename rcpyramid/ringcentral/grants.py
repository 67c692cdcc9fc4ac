"""OAuth 2.0 with RingCentral: the authorize URL, the two grants and revoke.

The requests are built and the token answers validated by oauthlib's
``WebApplicationClient`` (a fresh one per call: it keeps the token it parsed on
itself, so sharing one would mix people up) and sent through the one
:class:`~rcpyramid.ringcentral.transport.Transport`. A token endpoint failure becomes
one of our errors before oauthlib reads the body, and the lifetimes it reads are
bounded first, so an absurd ``expires_in`` can crash neither oauthlib's arithmetic
nor ours. Nothing here keeps a token or refreshes on its own: callers refresh
through the token repository's protocol (:mod:`rcpyramid.ringcentral.signed_in`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import requests
from oauthlib.oauth2 import WebApplicationClient
from requests.auth import HTTPBasicAuth

from rcpyramid.clock import Clock
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

    def _oauth(self) -> WebApplicationClient:
        return WebApplicationClient(self.settings.client_id)

    @property
    def _basic(self) -> HTTPBasicAuth:
        return HTTPBasicAuth(self.settings.client_id, self.settings.client_secret)

    def authorize_url(self, state: str, verifier: str) -> str:
        """Where the browser goes to sign in: no scope (RingCentral takes it from the app)."""
        return str(
            self._oauth().prepare_request_uri(
                self.transport.url(endpoints.AUTHORIZE),
                redirect_uri=self.settings.redirect_url,
                state=state,
                code_challenge=code_challenge(verifier),
                code_challenge_method="S256",
            )
        )

    def exchange_code(self, code: str, verifier: str) -> Token:
        """The authorization_code grant, with the PKCE verifier and HTTP Basic client auth."""
        oauth = self._oauth()
        body = oauth.prepare_request_body(
            code=code,
            redirect_uri=self.settings.redirect_url,
            include_client_id=False,
            code_verifier=verifier,
        )
        now = self.clock()
        return _token_from(self._grant(oauth, body), now)

    def refresh(self, token: Token) -> Token:
        """Spend ``token``'s refresh token; the result keeps what RingCentral did not resend."""
        if not token.refresh_token:
            raise TokenRequestError("there is no refresh token", oauth_error="invalid_grant")
        oauth = self._oauth()
        body = oauth.prepare_refresh_body(refresh_token=token.refresh_token)
        now = self.clock()
        fresh = _token_from(self._grant(oauth, body), now)
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
        request = requests.Request(
            "POST", endpoints.REVOKE, data={"token": token.access_token}, auth=self._basic
        )
        received = self.transport.send(request, "RingCentral's sign-out")
        if received.status >= 400:
            raise RingCentralUnavailableError(
                f"RingCentral refused the sign-out (HTTP {received.status})",
                status=received.status,
            )

    def _grant(self, oauth: WebApplicationClient, body: str) -> dict[str, Any]:
        """POST ``body`` to the token endpoint; its answer checked, bounded and parsed."""
        request = requests.Request(
            "POST", endpoints.TOKEN, data=body, headers=dict(FORM), auth=self._basic
        )
        received = self.transport.send(request, TOKEN_SERVICE)
        checked = self._checked(received)
        with failures_mapped(TOKEN_SERVICE):
            return dict(oauth.parse_request_body_response(json.dumps(checked)))

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
