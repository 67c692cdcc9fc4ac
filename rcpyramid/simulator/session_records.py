"""What the session store keeps, and its rules: code and token records, hashes, lifetimes.

Tokens and codes are kept only as SHA-256 hashes (:func:`token_hash`); a rotated pair is
an HMAC of the previous refresh token and a nonce (:func:`derive_pair`). The store that
issues, rotates and revokes them is :mod:`.sessions`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

CODE_TTL = timedelta(seconds=60)
ACCESS_TTL_DEFAULT = 3600
ACCESS_TTL_MIN = 600
ACCESS_TTL_MAX = 3600
REFRESH_TTL_MAX = 604800
GRACE_AFTER_FIRST_USE = timedelta(seconds=10)
GRACE_IF_UNUSED = timedelta(minutes=60)
# Expired codes and dead sessions linger so they answer "expired"/"revoked" rather
# than "not found" for a while.
KEEP_EXPIRED_CODES = timedelta(minutes=10)
KEEP_DEAD_SESSIONS = timedelta(days=1)
VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def token_hash(token: str) -> str:
    """SHA-256 hex of a token or code: the only form in which they are stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def b64url(raw: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier."""
    return b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest())


def _number(raw: str | None) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def clamp_access_ttl(raw: str | None) -> int:
    """`access_token_ttl` clamped to 600..3600; unusable values mean the default."""
    value = _number(raw)
    if value is None:
        return ACCESS_TTL_DEFAULT
    return int(min(max(value, ACCESS_TTL_MIN), ACCESS_TTL_MAX))


def clamp_refresh_ttl(raw: str | None) -> int:
    """`refresh_token_ttl` honoured in (0, 604800]; anything else means 604800."""
    value = _number(raw)
    if value is None or value <= 0:
        return REFRESH_TTL_MAX
    return max(1, int(min(value, REFRESH_TTL_MAX)))


def derive_pair(previous_refresh: str, nonce: bytes) -> tuple[str, str]:
    key = previous_refresh.encode("utf-8")
    access = hmac.new(key, b"access:" + nonce, hashlib.sha256).digest()
    refresh = hmac.new(key, b"refresh:" + nonce, hashlib.sha256).digest()
    return b64url(access), b64url(refresh)


@dataclass
class AuthCode:
    client_id: str
    redirect_uri: str  # the effective one
    redirect_uri_given: bool  # RFC 6749 §4.1.3: then the token request must repeat it
    username: str
    challenge: str | None
    challenge_method: str | None
    expires_at: datetime
    # Every redemption attempt spends the code; the session a successful one started is
    # remembered so a second redemption can revoke it (RFC 6749 §4.1.2).
    spent: bool = False
    session_id: str | None = None


@dataclass
class TokenPair:
    access_hash: str
    access_expires_at: datetime
    refresh_hash: str
    refresh_expires_at: datetime
    issued_at: datetime
    first_used_at: datetime | None = None


@dataclass
class Rotation:
    previous_refresh_hash: str
    rotated_at: datetime
    nonce: str  # hex; with the previous refresh token it re-derives the current pair


@dataclass
class Session:
    id: str
    username: str
    client_id: str
    scope: str
    endpoint_id: str
    created_at: datetime
    current: TokenPair
    rotation: Rotation | None = None
    revoked_at: datetime | None = None

    def grace_over(self, now: datetime) -> bool:
        """Whether the previous refresh token has stopped working."""
        if self.rotation is None:
            return True
        if now >= self.rotation.rotated_at + GRACE_IF_UNUSED:
            return True
        used = self.current.first_used_at
        return used is not None and now >= used + GRACE_AFTER_FIRST_USE

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.current.refresh_expires_at


@dataclass(frozen=True)
class IssuedTokens:
    """What a successful token grant hands back (the raw tokens live only here)."""

    access_token: str
    refresh_token: str
    expires_in: int
    refresh_token_expires_in: int
    scope: str
    username: str
    endpoint_id: str
    session_id: str  # opaque, the same across refreshes of one session (spec: required)


@dataclass(frozen=True)
class AccessGrant:
    """Who an accepted access token speaks for."""

    session_id: str
    username: str
    client_id: str
    scope: tuple[str, ...]
