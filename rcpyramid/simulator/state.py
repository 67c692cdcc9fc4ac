"""Thread-safe simulator state: codes, sessions, counters, faults, clock and rate windows.

Tokens and codes are kept only as SHA-256 hashes. A rotated session keeps, during its
grace window, the hash of the previous refresh token and a random nonce; the current pair
is an HMAC of that previous refresh token and the nonce, so a replay of the previous
refresh token re-derives the *same* pair without any raw token being stored.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import logging
import math
import os
import pathlib
import re
import secrets
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from . import errors
from .config import RegisteredClient, SimulatorConfig

log = logging.getLogger(__name__)

CODE_TTL = timedelta(seconds=60)
ACCESS_TTL_DEFAULT = 3600
ACCESS_TTL_MIN = 600
ACCESS_TTL_MAX = 3600
REFRESH_TTL_MAX = 604800
GRACE_AFTER_FIRST_USE = timedelta(seconds=10)
GRACE_IF_UNUSED = timedelta(minutes=60)
RATE_WINDOW_SECONDS = 60
RATE_PENALTY_SECONDS = 60
# Expired codes and dead sessions linger so they answer "expired"/"revoked" rather
# than "not found" for a while.
KEEP_EXPIRED_CODES = timedelta(minutes=10)
KEEP_DEAD_SESSIONS = timedelta(days=1)
STATE_FILE_VERSION = 1
_VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


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


def _derive_pair(previous_refresh: str, nonce: bytes) -> tuple[str, str]:
    key = previous_refresh.encode("utf-8")
    access = hmac.new(key, b"access:" + nonce, hashlib.sha256).digest()
    refresh = hmac.new(key, b"refresh:" + nonce, hashlib.sha256).digest()
    return b64url(access), b64url(refresh)


def _dt(value: str | None) -> datetime | None:
    return None if value is None else _req_dt(value)


def _req_dt(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("naive datetime in the state file")
    return parsed


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass
class AuthCode:
    client_id: str
    redirect_uri: str  # the effective one
    redirect_uri_given: bool  # RFC 6749 §4.1.3: then the token request must repeat it
    username: str
    challenge: str | None
    challenge_method: str | None
    expires_at: datetime

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["expires_at"] = _iso(self.expires_at)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuthCode:
        data = dict(data)
        data["expires_at"] = _req_dt(data["expires_at"])
        return cls(**data)


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

    def to_json(self) -> dict[str, Any]:
        pair = self.current
        return {
            "id": self.id,
            "username": self.username,
            "client_id": self.client_id,
            "scope": self.scope,
            "endpoint_id": self.endpoint_id,
            "created_at": _iso(self.created_at),
            "revoked_at": _iso(self.revoked_at),
            "current": {
                "access_hash": pair.access_hash,
                "access_expires_at": _iso(pair.access_expires_at),
                "refresh_hash": pair.refresh_hash,
                "refresh_expires_at": _iso(pair.refresh_expires_at),
                "issued_at": _iso(pair.issued_at),
                "first_used_at": _iso(pair.first_used_at),
            },
            "rotation": None
            if self.rotation is None
            else {
                "previous_refresh_hash": self.rotation.previous_refresh_hash,
                "rotated_at": _iso(self.rotation.rotated_at),
                "nonce": self.rotation.nonce,
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        cur = data["current"]
        rot = data.get("rotation")
        return cls(
            id=data["id"],
            username=data["username"],
            client_id=data["client_id"],
            scope=data["scope"],
            endpoint_id=data["endpoint_id"],
            created_at=_req_dt(data["created_at"]),
            revoked_at=_dt(data.get("revoked_at")),
            current=TokenPair(
                access_hash=cur["access_hash"],
                access_expires_at=_req_dt(cur["access_expires_at"]),
                refresh_hash=cur["refresh_hash"],
                refresh_expires_at=_req_dt(cur["refresh_expires_at"]),
                issued_at=_req_dt(cur["issued_at"]),
                first_used_at=_dt(cur.get("first_used_at")),
            ),
            rotation=None
            if rot is None
            else Rotation(
                previous_refresh_hash=rot["previous_refresh_hash"],
                rotated_at=_req_dt(rot["rotated_at"]),
                nonce=rot["nonce"],
            ),
        )


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
    replayed: bool = False


@dataclass(frozen=True)
class AccessGrant:
    """Who an accepted access token speaks for."""

    session_id: str
    username: str
    client_id: str
    scope: tuple[str, ...]


@dataclass
class FailureRule:
    status: int
    remaining: int
    path: str
    retry_after: int | None
    content: str  # json | html


@dataclass
class LatencyRule:
    seconds: float
    path: str
    remaining: int | None  # None = until cleared


@dataclass(frozen=True)
class RateStatus:
    group: str
    limit: int
    remaining: int
    limited: bool = False
    retry_after: int = 0

    def headers(self) -> dict[str, str]:
        return {
            "X-Rate-Limit-Group": self.group,
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "X-Rate-Limit-Window": str(RATE_WINDOW_SECONDS),
        }


def _fresh_counters() -> dict[str, Any]:
    return {
        "grants": {"authorization_code": 0, "refresh_token": 0},
        "refreshes": 0,
        "revokes": 0,
        "rate_limited": 0,
        "api_calls": 0,
        "token_errors": 0,
    }


RateKey = tuple[str | None, str | None]  # (username, client_id); None when not known


@dataclass
class _RateBucket:
    hits: deque[datetime] = field(default_factory=deque)
    penalty_until: datetime | None = None


class SimulatorState:
    """Everything that changes while the simulator runs, behind one lock."""

    def __init__(
        self,
        config: SimulatorConfig,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._config = config
        self._base_clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._offset = timedelta(0)
        self._codes: dict[str, AuthCode] = {}
        self._sessions: dict[str, Session] = {}
        self._access_index: dict[str, str] = {}
        self._refresh_index: dict[str, str] = {}
        self._previous_index: dict[str, str] = {}
        self._counters = _fresh_counters()
        self._failures: list[FailureRule] = []
        self._latency: LatencyRule | None = None
        self._buckets: dict[tuple[str | None, str | None, str], _RateBucket] = {}
        self._state_file = config.state_file
        if self._state_file is not None:
            self._load()

    # --- clock ----------------------------------------------------------------------

    def now(self) -> datetime:
        """The simulator's current time: the configured clock plus any advance."""
        with self._lock:
            offset = self._offset
        base = self._base_clock()
        if base.tzinfo is None:
            raise ValueError("the simulator clock must return aware datetimes")
        return base.astimezone(UTC) + offset

    def advance_clock(self, seconds: float) -> datetime:
        """Move the simulator's clock forward."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    # --- authorization codes --------------------------------------------------------

    def issue_code(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        redirect_uri_given: bool,
        username: str,
        challenge: str | None,
        challenge_method: str | None,
    ) -> str:
        """Create a single-use, 60-second code and return it (only its hash is kept)."""
        code = secrets.token_urlsafe(32)
        with self._lock:
            now = self.now()
            self._purge(now)
            self._codes[token_hash(code)] = AuthCode(
                client_id=client_id,
                redirect_uri=redirect_uri,
                redirect_uri_given=redirect_uri_given,
                username=username,
                challenge=challenge,
                challenge_method=challenge_method,
                expires_at=now + CODE_TTL,
            )
            self._save()
        return code

    def code_owner(self, code: str) -> str | None:
        """Username a code was issued for, without consuming it."""
        with self._lock:
            entry = self._codes.get(token_hash(code)) if code else None
            return entry.username if entry else None

    def exchange_code(
        self,
        *,
        client: RegisteredClient,
        code: str,
        redirect_uri: str,
        code_verifier: str,
        access_ttl: int,
        refresh_ttl: int,
        endpoint_id: str = "",
    ) -> IssuedTokens:
        """Trade a code for a new session; every attempt consumes the code."""
        with self._lock:
            now = self.now()
            self._purge(now)
            entry = self._codes.pop(token_hash(code), None) if code else None
            if entry is None:
                raise errors.invalid_code()
            self._save()
            if now >= entry.expires_at:
                raise errors.code_expired()
            if entry.client_id != client.client_id:
                raise errors.code_other_client()
            if redirect_uri:
                if redirect_uri != entry.redirect_uri:
                    raise errors.redirect_mismatch()
            elif entry.redirect_uri_given:
                raise errors.redirect_mismatch()
            self._check_pkce(entry, code_verifier)
            issued = self._new_session(
                now, entry.username, client, access_ttl, refresh_ttl, endpoint_id
            )
            self._counters["grants"]["authorization_code"] += 1
            self._save()
            return issued

    @staticmethod
    def _check_pkce(entry: AuthCode, verifier: str) -> None:
        if not entry.challenge:
            # RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt.
            if verifier:
                raise errors.invalid_code_verifier()
            return
        if not verifier or not _VERIFIER_RE.match(verifier):
            raise errors.invalid_code_verifier()
        expected = s256(verifier) if entry.challenge_method == "S256" else verifier
        if not hmac.compare_digest(expected.encode(), entry.challenge.encode()):
            raise errors.invalid_code_verifier()

    # --- sessions and tokens --------------------------------------------------------

    def _new_session(
        self,
        now: datetime,
        username: str,
        client: RegisteredClient,
        access_ttl: int,
        refresh_ttl: int,
        endpoint_id: str,
    ) -> IssuedTokens:
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        session = Session(
            id=secrets.token_hex(8),
            username=username,
            client_id=client.client_id,
            scope=" ".join(client.permissions),
            endpoint_id=endpoint_id or b64url(secrets.token_bytes(16)),
            created_at=now,
            current=TokenPair(
                access_hash=token_hash(access),
                access_expires_at=now + timedelta(seconds=access_ttl),
                refresh_hash=token_hash(refresh),
                refresh_expires_at=now + timedelta(seconds=refresh_ttl),
                issued_at=now,
            ),
        )
        self._sessions[session.id] = session
        self._access_index[session.current.access_hash] = session.id
        self._refresh_index[session.current.refresh_hash] = session.id
        live = sorted(
            (
                s
                for s in self._sessions.values()
                if s.username == username and s.client_id == client.client_id and s.live(now)
            ),
            key=lambda s: s.created_at,
        )
        for oldest in live[: max(0, len(live) - self._config.max_sessions_per_user)]:
            log.info("session limit reached for %s: revoking the oldest session", username)
            self._revoke_session(oldest, now)
        log.info("session %s started for %s (client %s)", session.id, username, client.client_id)
        return IssuedTokens(
            access_token=access,
            refresh_token=refresh,
            expires_in=access_ttl,
            refresh_token_expires_in=refresh_ttl,
            scope=session.scope,
            username=username,
            endpoint_id=session.endpoint_id,
        )

    def refresh_owner(self, refresh_token: str) -> str | None:
        """Username behind a refresh token (current or in grace), without using it."""
        if not refresh_token:
            return None
        h = token_hash(refresh_token)
        with self._lock:
            sid = self._refresh_index.get(h) or self._previous_index.get(h)
            session = self._sessions.get(sid) if sid else None
            return session.username if session else None

    def refresh(
        self,
        *,
        client: RegisteredClient,
        refresh_token: str,
        access_ttl: int,
        refresh_ttl: int,
    ) -> IssuedTokens:
        """Rotate a session's pair, or replay the current pair during the grace window."""
        h = token_hash(refresh_token) if refresh_token else ""
        with self._lock:
            now = self.now()
            self._purge(now)
            sid = self._refresh_index.get(h)
            if sid is not None:
                return self._rotate(
                    self._sessions[sid], client, refresh_token, now, access_ttl, refresh_ttl
                )
            sid = self._previous_index.get(h)
            if sid is not None:
                return self._replay(self._sessions[sid], client, refresh_token, now)
            raise errors.token_not_found()

    def _rotate(
        self,
        session: Session,
        client: RegisteredClient,
        refresh_token: str,
        now: datetime,
        access_ttl: int,
        refresh_ttl: int,
    ) -> IssuedTokens:
        if session.client_id != client.client_id:
            raise errors.token_not_found()
        if session.revoked_at is not None:
            raise errors.token_revoked()
        if now >= session.current.refresh_expires_at:
            raise errors.token_expired()
        nonce = secrets.token_bytes(32)
        access, refresh = _derive_pair(refresh_token, nonce)
        old = session.current
        self._access_index.pop(old.access_hash, None)
        self._refresh_index.pop(old.refresh_hash, None)
        if session.rotation is not None:
            self._previous_index.pop(session.rotation.previous_refresh_hash, None)
        session.rotation = Rotation(old.refresh_hash, now, nonce.hex())
        session.current = TokenPair(
            access_hash=token_hash(access),
            access_expires_at=now + timedelta(seconds=access_ttl),
            refresh_hash=token_hash(refresh),
            refresh_expires_at=now + timedelta(seconds=refresh_ttl),
            issued_at=now,
        )
        self._access_index[session.current.access_hash] = session.id
        self._refresh_index[session.current.refresh_hash] = session.id
        self._previous_index[old.refresh_hash] = session.id
        self._counters["grants"]["refresh_token"] += 1
        self._counters["refreshes"] += 1
        self._save()
        log.info("session %s refreshed", session.id)
        return IssuedTokens(
            access_token=access,
            refresh_token=refresh,
            expires_in=access_ttl,
            refresh_token_expires_in=refresh_ttl,
            scope=session.scope,
            username=session.username,
            endpoint_id=session.endpoint_id,
        )

    def _replay(
        self, session: Session, client: RegisteredClient, refresh_token: str, now: datetime
    ) -> IssuedTokens:
        if session.client_id != client.client_id:
            raise errors.token_not_found()
        if session.revoked_at is not None:
            raise errors.token_revoked()
        rotation = session.rotation
        if rotation is None or session.grace_over(now) or not rotation.nonce:
            raise errors.token_not_found()
        access, refresh = _derive_pair(refresh_token, bytes.fromhex(rotation.nonce))
        pair = session.current
        if token_hash(access) != pair.access_hash or token_hash(refresh) != pair.refresh_hash:
            # Only possible if the state file was edited by hand.
            raise errors.token_not_found()
        self._counters["grants"]["refresh_token"] += 1
        log.info("session %s: previous refresh token replayed within grace", session.id)
        return IssuedTokens(
            access_token=access,
            refresh_token=refresh,
            expires_in=max(0, int((pair.access_expires_at - now).total_seconds())),
            refresh_token_expires_in=max(0, int((pair.refresh_expires_at - now).total_seconds())),
            scope=session.scope,
            username=session.username,
            endpoint_id=session.endpoint_id,
            replayed=True,
        )

    def access_owner(self, access_token: str) -> RateKey | None:
        """(username, client_id) of a known access token, without touching it."""
        if not access_token:
            return None
        with self._lock:
            sid = self._access_index.get(token_hash(access_token))
            session = self._sessions.get(sid) if sid else None
            return (session.username, session.client_id) if session else None

    def authenticate_access(self, access_token: str) -> AccessGrant:
        """Accept a bearer token or raise the 401 RingCentral would answer."""
        with self._lock:
            now = self.now()
            sid = self._access_index.get(token_hash(access_token))
            session = self._sessions.get(sid) if sid else None
            if session is None or session.revoked_at is not None:
                raise errors.api_token_not_found()
            if now >= session.current.access_expires_at:
                raise errors.api_token_expired()
            if session.current.first_used_at is None:
                # Starts the 10-second countdown for the previous refresh token.
                session.current.first_used_at = now
                self._save()
            return AccessGrant(
                session.id, session.username, session.client_id, tuple(session.scope.split())
            )

    def revoke(self, client_id: str, token: str) -> bool:
        """End the whole session the token belongs to; False when nothing was revoked."""
        if not token:
            return False
        h = token_hash(token)
        with self._lock:
            now = self.now()
            self._purge(now)
            sid = self._access_index.get(h) or self._refresh_index.get(h)
            if sid is None and h in self._previous_index:
                candidate = self._sessions.get(self._previous_index[h])
                if candidate is not None and not candidate.grace_over(now):
                    sid = candidate.id
            session = self._sessions.get(sid) if sid else None
            if session is None or session.client_id != client_id or session.revoked_at:
                return False
            self._revoke_session(session, now)
            self._save()
            log.info("session %s revoked", session.id)
            return True

    def _revoke_session(self, session: Session, now: datetime) -> None:
        session.revoked_at = now
        self._access_index.pop(session.current.access_hash, None)
        if session.rotation is not None:
            session.rotation.nonce = ""  # a revoked session never replays

    def expire_access_tokens(self, username: str | None = None) -> int:
        """Make every current access token (of one user) expire now."""
        with self._lock:
            now = self.now()
            n = 0
            for session in self._sessions.values():
                if session.revoked_at is not None:
                    continue
                if username is not None and session.username != username:
                    continue
                if session.current.access_expires_at > now:
                    session.current.access_expires_at = now
                    n += 1
            self._save()
            return n

    def active_sessions(self) -> int:
        """How many sessions can still be refreshed."""
        with self._lock:
            now = self.now()
            return sum(1 for s in self._sessions.values() if s.live(now))

    def _purge(self, now: datetime) -> None:
        changed = False
        for h, code in list(self._codes.items()):
            if now > code.expires_at + KEEP_EXPIRED_CODES:
                del self._codes[h]
                changed = True
        for sid, session in list(self._sessions.items()):
            if session.rotation is not None and session.grace_over(now):
                self._previous_index.pop(session.rotation.previous_refresh_hash, None)
                session.rotation = None
                changed = True
            if now > session.current.refresh_expires_at + KEEP_DEAD_SESSIONS:
                self._access_index.pop(session.current.access_hash, None)
                self._refresh_index.pop(session.current.refresh_hash, None)
                del self._sessions[sid]
                changed = True
        if changed:
            self._save()

    # --- counters -------------------------------------------------------------------

    def count(self, name: str) -> None:
        """Add one to a top-level counter."""
        with self._lock:
            self._counters[name] += 1

    def counters(self) -> dict[str, Any]:
        """A snapshot of the counters, in the shape of GET /simulator/counters."""
        with self._lock:
            return copy.deepcopy(self._counters)

    # --- injected faults ------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        count: int = 1,
        path: str = "/restapi",
        retry_after: int | None = None,
        content: str = "json",
    ) -> None:
        """Make the next `count` requests under `path` answer `status` without work."""
        if status not in (429, 500, 502, 503):
            raise ValueError("status must be 429, 500, 502 or 503")
        if count < 1:
            raise ValueError("count must be at least 1")
        if content not in ("json", "html"):
            raise ValueError("content must be json or html")
        if status == 429 and retry_after is None:
            retry_after = 60
        with self._lock:
            self._failures.append(FailureRule(status, count, path, retry_after, content))

    def take_failure(self, path: str) -> FailureRule | None:
        """Consume one injected failure matching this request path, if any."""
        with self._lock:
            for rule in self._failures:
                if path.startswith(rule.path):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._failures.remove(rule)
                    if rule.status == 429:
                        self._counters["rate_limited"] += 1
                    return copy.copy(rule)
            return None

    def set_latency(self, seconds: float, path: str = "/restapi", count: int | None = None) -> None:
        """Delay matching requests; zero seconds clears the delay."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("seconds must be a finite number >= 0")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._latency = LatencyRule(seconds, path, count) if seconds > 0 else None

    def take_latency(self, path: str) -> float:
        """Seconds this request should sleep (the caller sleeps, outside the lock)."""
        with self._lock:
            rule = self._latency
            if rule is None or not path.startswith(rule.path):
                return 0.0
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._latency = None
            return rule.seconds

    # --- rate limits ----------------------------------------------------------------

    def rate_hit(self, key: RateKey, group: str, *, count: bool = True) -> RateStatus:
        """Count one request of `group` for `key` in the sliding window; enforce if set.

        With count=False the request is neither counted nor refused: it only reports the
        window as it stands.
        """
        limit, enforced = self._config.limit_for(group)
        with self._lock:
            now = self.now()
            bucket = self._buckets.setdefault((key[0], key[1], group), _RateBucket())
            cutoff = now - timedelta(seconds=RATE_WINDOW_SECONDS)
            while bucket.hits and bucket.hits[0] <= cutoff:
                bucket.hits.popleft()
            if not count:
                return RateStatus(group, limit, max(0, limit - len(bucket.hits)))
            if enforced:
                in_penalty = bucket.penalty_until is not None and now < bucket.penalty_until
                if in_penalty or len(bucket.hits) >= limit:
                    # Any request during the penalty restarts it (reference §7).
                    bucket.penalty_until = now + timedelta(seconds=RATE_PENALTY_SECONDS)
                    self._counters["rate_limited"] += 1
                    return RateStatus(group, limit, 0, True, RATE_PENALTY_SECONDS)
            bucket.hits.append(now)
            return RateStatus(group, limit, max(0, limit - len(bucket.hits)))

    # --- reset and persistence ------------------------------------------------------

    def reset(self) -> None:
        """Forget codes, sessions, counters, faults, latency, clock offset, rate windows."""
        with self._lock:
            self._offset = timedelta(0)
            self._codes.clear()
            self._sessions.clear()
            self._access_index.clear()
            self._refresh_index.clear()
            self._previous_index.clear()
            self._counters = _fresh_counters()
            self._failures.clear()
            self._latency = None
            self._buckets.clear()
            self._save()

    def _save(self) -> None:
        """Write codes and sessions atomically (temp file + os.replace, mode 0600)."""
        path = self._state_file
        if path is None:
            return
        data = {
            "version": STATE_FILE_VERSION,
            "codes": {h: c.to_json() for h, c in self._codes.items()},
            "sessions": {sid: s.to_json() for sid, s in self._sessions.items()},
        }
        tmp: str | None = None
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, separators=(",", ":"))
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
            tmp = None
        except OSError:
            # The simulator keeps serving from memory; the next change retries the write.
            log.exception("could not write the state file %s", path)
        finally:
            if tmp is not None:
                pathlib.Path(tmp).unlink(missing_ok=True)

    def _load(self) -> None:
        path = self._state_file
        assert path is not None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") != STATE_FILE_VERSION:
                raise ValueError(f"unsupported state file version {raw.get('version')!r}")
            codes = {h: AuthCode.from_json(c) for h, c in raw["codes"].items()}
            sessions = {sid: Session.from_json(s) for sid, s in raw["sessions"].items()}
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning(
                "ignoring unreadable state file %s (%s); starting empty", path, type(exc).__name__
            )
            return
        self._codes = codes
        self._sessions = sessions
        for session in sessions.values():
            if session.revoked_at is None:
                self._access_index[session.current.access_hash] = session.id
            self._refresh_index[session.current.refresh_hash] = session.id
            if session.rotation is not None:
                self._previous_index[session.rotation.previous_refresh_hash] = session.id
        log.info("restored %d codes and %d sessions from %s", len(codes), len(sessions), path)
