"""The in-memory token repository: real, thread-safe, and gone when the process ends."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from rcpyramid.clock import Clock, utcnow
from rcpyramid.tokens.interfaces import PendingSignIn, RefreshLease, Token, TokenRepository


class _LoginLock:
    """A lock that a WeakValueDictionary can hold (bare locks cannot be weakly referenced)."""

    __slots__ = ("__weakref__", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()


class _MemoryLease(RefreshLease):
    def __init__(self, repo: MemoryTokenRepository, login_id: str) -> None:
        self._repo = repo
        self._login_id = login_id
        self.token = repo.get(login_id)

    def save(self, token: Token) -> Token:
        self.token = self._repo.save(self._login_id, token)
        return self.token

    def delete(self) -> None:
        self._repo.delete(self._login_id)
        self.token = None


class MemoryTokenRepository(TokenRepository):
    """Tokens in a dict guarded by a lock; one lock per login id for refreshes.

    Good for one process (development, tests, a single waitress). Several processes
    each have their own memory: use the SQLAlchemy backend to share.
    """

    def __init__(self, clock: Clock = utcnow) -> None:
        self._clock = clock
        self._mutex = threading.Lock()
        self._tokens: dict[str, Token] = {}
        self._pending: dict[str, PendingSignIn] = {}
        # Locks live as long as someone holds or waits on them, so the map cannot grow forever.
        self._login_locks: weakref.WeakValueDictionary[str, _LoginLock] = (
            weakref.WeakValueDictionary()
        )

    @classmethod
    def from_settings(cls, settings: object, clock: Clock) -> MemoryTokenRepository:
        return cls(clock=clock)

    def get(self, login_id: str) -> Token | None:
        with self._mutex:
            return self._tokens.get(login_id)

    def save(self, login_id: str, token: Token) -> Token:
        now = self._clock()
        with self._mutex:
            previous = self._tokens.get(login_id)
            created = previous.created_at if previous is not None else now
            stored = replace(token, created_at=created, updated_at=now)
            self._tokens[login_id] = stored
            return stored

    def delete(self, login_id: str) -> None:
        with self._mutex:
            self._tokens.pop(login_id, None)

    @contextmanager
    def refreshing(self, login_id: str) -> Iterator[RefreshLease]:
        with self._mutex:
            holder = self._login_locks.get(login_id)
            if holder is None:
                holder = _LoginLock()
                self._login_locks[login_id] = holder
        with holder.lock:
            yield _MemoryLease(self, login_id)

    def add_pending(self, pending: PendingSignIn) -> None:
        with self._mutex:
            self._pending[pending.state_hash] = pending

    def take_pending(self, state_hash: str, now: datetime) -> PendingSignIn | None:
        with self._mutex:
            pending = self._pending.pop(state_hash, None)
        if pending is None or pending.expires_at <= now:
            return None
        return pending

    def purge(self, now: datetime) -> int:
        with self._mutex:
            dead = [
                login_id
                for login_id, token in self._tokens.items()
                if (token.refresh_expires_at is not None and token.refresh_expires_at <= now)
                or (token.refresh_token is None and token.access_expires_at <= now)
            ]
            for login_id in dead:
                del self._tokens[login_id]
            for state_hash in [h for h, p in self._pending.items() if p.expires_at <= now]:
                del self._pending[state_hash]
            return len(dead)
