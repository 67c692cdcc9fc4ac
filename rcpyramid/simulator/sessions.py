"""Authorization codes, sessions and their tokens.

Tokens and codes are kept only as SHA-256 hashes. A rotated session keeps, during its
grace window, the hash of the previous refresh token and a random nonce; the current pair
is an HMAC of that previous refresh token and the nonce, so a replay of the previous
refresh token re-derives the *same* pair without any raw token being stored. The records
and their rules (hashes, lifetimes, the pair derivation) are in :mod:`.session_records`.

Longer than 300 lines because it is one object: :class:`SessionStore`'s verbs (codes,
exchange, refresh with its grace window and replay, revoke, expiry, persistence) share one
lock and one set of indexes, and splitting them would spread that invariant over modules.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from . import api_errors, oauth_errors, statefile
from .clock import Clock
from .config import RegisteredClient, SimulatorConfig
from .counters import Counters
from .ratelimits import RateKey
from .session_records import (
    CODE_TTL,
    KEEP_DEAD_SESSIONS,
    KEEP_EXPIRED_CODES,
    VERIFIER_RE,
    AccessGrant,
    AuthCode,
    IssuedTokens,
    Rotation,
    Session,
    TokenPair,
    b64url,
    derive_pair,
    s256,
    token_hash,
)

log = logging.getLogger(__name__)


class SessionStore:
    """Codes, sessions and the indexes from token hashes to sessions, behind one lock."""

    def __init__(self, config: SimulatorConfig, clock: Clock, counters: Counters) -> None:
        self._config = config
        self._clock = clock
        self._counters = counters
        self._lock = threading.RLock()
        self._codes: dict[str, AuthCode] = {}
        self._sessions: dict[str, Session] = {}
        self._access_index: dict[str, str] = {}
        self._refresh_index: dict[str, str] = {}
        self._previous_index: dict[str, str] = {}
        # Called with a session id when that session ends (revoked, replaced, reset): its
        # webhook subscriptions end with it, as RingCentral's do.
        self.on_session_end: Callable[[str], None] | None = None
        self._state_file = config.state_file
        if self._state_file is not None:
            self._load()

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
            now = self._clock.now()
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
            return entry.username if entry and not entry.spent else None

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
        """Trade a code for a new session; every attempt spends the code.

        A second redemption of a code that started a session also revokes that session:
        RFC 6749 §4.1.2 says SHOULD, and RingCentral's own behaviour is unconfirmed.
        """
        with self._lock:
            now = self._clock.now()
            self._purge(now)
            entry = self._codes.get(token_hash(code)) if code else None
            if entry is None:
                raise oauth_errors.invalid_code()
            if entry.spent:
                session = self._sessions.get(entry.session_id or "")
                if session is not None and session.revoked_at is None:
                    log.info("code redeemed twice: revoking session %s", session.id)
                    self._revoke_session(session, now)
                    self._save()
                raise oauth_errors.invalid_code()
            entry.spent = True
            self._save()
            if now >= entry.expires_at:
                raise oauth_errors.code_expired()
            if entry.client_id != client.client_id:
                raise oauth_errors.code_other_client()
            if redirect_uri:
                if redirect_uri != entry.redirect_uri:
                    raise oauth_errors.redirect_mismatch()
            elif entry.redirect_uri_given:
                raise oauth_errors.redirect_mismatch()
            self._check_pkce(entry, code_verifier)
            issued, entry.session_id = self._new_session(
                now, entry.username, client, access_ttl, refresh_ttl, endpoint_id
            )
            self._counters.grant("authorization_code")
            self._save()
            return issued

    @staticmethod
    def _check_pkce(entry: AuthCode, verifier: str) -> None:
        if not entry.challenge:
            # RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt.
            if verifier:
                raise oauth_errors.invalid_code_verifier()
            return
        if not verifier or not VERIFIER_RE.match(verifier):
            raise oauth_errors.invalid_code_verifier()
        expected = s256(verifier) if entry.challenge_method == "S256" else verifier
        if not hmac.compare_digest(expected.encode(), entry.challenge.encode()):
            raise oauth_errors.invalid_code_verifier()

    # --- sessions and tokens ----------------------------------------------------------

    def _new_session(
        self,
        now: datetime,
        username: str,
        client: RegisteredClient,
        access_ttl: int,
        refresh_ttl: int,
        endpoint_id: str,
    ) -> tuple[IssuedTokens, str]:
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
        issued = IssuedTokens(
            access_token=access,
            refresh_token=refresh,
            expires_in=access_ttl,
            refresh_token_expires_in=refresh_ttl,
            scope=session.scope,
            username=username,
            endpoint_id=session.endpoint_id,
            session_id=session.id,
        )
        return issued, session.id

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
            now = self._clock.now()
            self._purge(now)
            sid = self._refresh_index.get(h)
            if sid is not None:
                return self._rotate(
                    self._sessions[sid], client, refresh_token, now, access_ttl, refresh_ttl
                )
            sid = self._previous_index.get(h)
            if sid is not None:
                return self._replay(self._sessions[sid], client, refresh_token, now)
            raise oauth_errors.token_not_found()

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
            raise oauth_errors.token_not_found()
        if session.revoked_at is not None:
            raise oauth_errors.token_revoked()
        if now >= session.current.refresh_expires_at:
            raise oauth_errors.token_expired()
        nonce = secrets.token_bytes(32)
        access, refresh = derive_pair(refresh_token, nonce)
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
        self._counters.grant("refresh_token")
        self._counters.count("refreshes")
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
            session_id=session.id,
        )

    def _replay(
        self, session: Session, client: RegisteredClient, refresh_token: str, now: datetime
    ) -> IssuedTokens:
        if session.client_id != client.client_id:
            raise oauth_errors.token_not_found()
        if session.revoked_at is not None:
            raise oauth_errors.token_revoked()
        rotation = session.rotation
        if rotation is None or session.grace_over(now) or not rotation.nonce:
            raise oauth_errors.token_not_found()
        access, refresh = derive_pair(refresh_token, bytes.fromhex(rotation.nonce))
        pair = session.current
        if token_hash(access) != pair.access_hash or token_hash(refresh) != pair.refresh_hash:
            # Only possible if the state file was edited by hand.
            raise oauth_errors.token_not_found()
        self._counters.grant("refresh_token")
        log.info("session %s: previous refresh token replayed within grace", session.id)
        return IssuedTokens(
            access_token=access,
            refresh_token=refresh,
            expires_in=max(0, int((pair.access_expires_at - now).total_seconds())),
            refresh_token_expires_in=max(0, int((pair.refresh_expires_at - now).total_seconds())),
            scope=session.scope,
            username=session.username,
            endpoint_id=session.endpoint_id,
            session_id=session.id,
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
            now = self._clock.now()
            sid = self._access_index.get(token_hash(access_token))
            session = self._sessions.get(sid) if sid else None
            if session is None or session.revoked_at is not None:
                raise api_errors.api_token_not_found()
            if now >= session.current.access_expires_at:
                raise api_errors.api_token_expired()
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
            now = self._clock.now()
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
        if self.on_session_end is not None:
            self.on_session_end(session.id)
        self._access_index.pop(session.current.access_hash, None)
        if session.rotation is not None:
            session.rotation.nonce = ""  # a revoked session never replays

    def expire_access_tokens(self, username: str | None = None) -> int:
        """Make every current access token (of one user) expire now."""
        with self._lock:
            now = self._clock.now()
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
            now = self._clock.now()
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

    # --- reset and persistence --------------------------------------------------------

    def reset(self) -> None:
        """Forget every code and session."""
        with self._lock:
            self._codes.clear()
            self._sessions.clear()
            self._access_index.clear()
            self._refresh_index.clear()
            self._previous_index.clear()
            self._save()

    def _save(self) -> None:
        if self._state_file is not None:
            statefile.write(self._state_file, {"codes": self._codes, "sessions": self._sessions})

    def _load(self) -> None:
        assert self._state_file is not None
        loaded = statefile.read(self._state_file, {"codes": AuthCode, "sessions": Session})
        if loaded is None:
            return
        self._codes = loaded["codes"]
        self._sessions = loaded["sessions"]
        for session in self._sessions.values():
            if session.revoked_at is None:
                self._access_index[session.current.access_hash] = session.id
            self._refresh_index[session.current.refresh_hash] = session.id
            if session.rotation is not None:
                self._previous_index[session.rotation.previous_refresh_hash] = session.id
        log.info(
            "restored %d codes and %d sessions from %s",
            len(self._codes),
            len(self._sessions),
            self._state_file,
        )
