"""The in-memory token repository: real, thread-safe, and gone when the process ends.

Select it with ``rcpyramid.tokens.backend = rcpyramid.tokens.memory.MemoryTokenRepository``.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from pyramid.config import Configurator

from rcpyramid.clock import Clock, utcnow
from rcpyramid.tokens.interfaces import (
    AddressPendingLimitError,
    PendingLimitError,
    PendingLimits,
    PendingSignIn,
    RefreshFailure,
    RefreshLease,
    ServiceFactory,
    Token,
    TokenRepository,
)


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
        self.failure = repo.failure_in_force(login_id)

    def save(self, token: Token) -> Token:
        self.token = self._repo.save(self._login_id, token)
        self.failure = None
        return self.token

    def delete(self) -> None:
        self._repo.delete(self._login_id)
        self.token = None
        self.failure = None

    def fail(self, failure: RefreshFailure) -> None:
        self._repo.note_failure(self._login_id, failure)
        self.failure = failure


class MemoryTokenRepository(TokenRepository):
    """Tokens in a dict guarded by a lock; one lock per login id for refreshes.

    Good for one process (development, tests, a single waitress). Several processes
    each have their own memory: use the SQLAlchemy backend to share.
    """

    shared_across_processes = False

    @classmethod
    def service_factory(cls, config: Configurator) -> ServiceFactory:
        """One repository for the whole process: every request shares its memory and locks."""
        repo = cls(clock=config.registry.clock)
        return lambda context, request: repo

    def __init__(self, clock: Clock = utcnow) -> None:
        self._clock = clock
        self._mutex = threading.Lock()
        self._tokens: dict[str, Token] = {}
        self._failures: dict[str, RefreshFailure] = {}
        self._pending: dict[str, PendingSignIn] = {}
        # Locks live as long as someone holds or waits on them, so the map cannot grow forever.
        self._login_locks: weakref.WeakValueDictionary[str, _LoginLock] = (
            weakref.WeakValueDictionary()
        )

    def get(self, login_id: str) -> Token | None:
        with self._mutex:
            return self._tokens.get(login_id)

    def save(self, login_id: str, token: Token) -> Token:
        now = self._clock()
        with self._mutex:
            previous = self._tokens.get(login_id)
            created = previous.created_at if previous is not None else now
            seen = _later(previous.last_seen_at if previous else None, token.last_seen_at)
            stored = replace(token, created_at=created, updated_at=now, last_seen_at=seen)
            self._tokens[login_id] = stored
            self._failures.pop(login_id, None)
            return stored

    def delete(self, login_id: str) -> None:
        with self._mutex:
            self._tokens.pop(login_id, None)
            self._failures.pop(login_id, None)

    def touch(self, login_id: str, seen_at: datetime) -> None:
        with self._mutex:
            token = self._tokens.get(login_id)
            if token is not None:
                self._tokens[login_id] = replace(
                    token, last_seen_at=_later(token.last_seen_at, seen_at)
                )

    @contextmanager
    def refreshing(self, login_id: str) -> Iterator[RefreshLease]:
        with self._mutex:
            holder = self._login_locks.get(login_id)
            if holder is None:
                holder = _LoginLock()
                self._login_locks[login_id] = holder
        with holder.lock:
            yield _MemoryLease(self, login_id)

    def note_failure(self, login_id: str, failure: RefreshFailure) -> None:
        """A failed refresh, remembered with the login (a lease's ``fail``)."""
        with self._mutex:
            if login_id in self._tokens:
                self._failures[login_id] = failure

    def failure_in_force(self, login_id: str) -> RefreshFailure | None:
        with self._mutex:
            failure = self._failures.get(login_id)
            if failure is not None and failure.until <= self._clock():
                del self._failures[login_id]
                failure = None
            return failure

    def add_pending(self, pending: PendingSignIn, *, now: datetime, limits: PendingLimits) -> None:
        with self._mutex:
            for state_hash in [h for h, p in self._pending.items() if p.expires_at <= now]:
                del self._pending[state_hash]
            self._pending.pop(pending.state_hash, None)
            same_browser = sorted(
                (p for p in self._pending.values() if p.browser_key == pending.browser_key),
                key=lambda p: p.expires_at,
            )
            give_way = same_browser[: max(0, len(same_browser) - limits.per_browser + 1)]
            if len(self._pending) - len(give_way) >= limits.total:
                raise PendingLimitError("too many sign-ins are in progress")
            if limits.per_address is not None:
                same_address = [
                    p
                    for p in self._pending.values()
                    if p.address_key == pending.address_key and p not in give_way
                ]
                if len(same_address) >= limits.per_address:
                    earliest = min(p.expires_at for p in same_address)
                    raise AddressPendingLimitError(
                        "too many sign-ins are in progress from one address",
                        math.ceil((earliest - now).total_seconds()),
                    )
            for old in give_way:
                del self._pending[old.state_hash]
            self._pending[pending.state_hash] = pending

    def take_pending(self, state_hash: str, now: datetime) -> PendingSignIn | None:
        with self._mutex:
            pending = self._pending.pop(state_hash, None)
        if pending is None or pending.expires_at <= now:
            return None
        return pending

    def idle_logins(self, seen_before: datetime, limit: int) -> list[tuple[str, Token]]:
        with self._mutex:
            idle = [
                (login_id, token)
                for login_id, token in self._tokens.items()
                if _seen(token) < seen_before
            ]
        return sorted(idle, key=lambda item: _seen(item[1]))[:limit]

    def purge(self, now: datetime, owners: list[str] | None = None) -> int:
        with self._mutex:
            dead = [
                login_id
                for login_id, token in self._tokens.items()
                if (token.refresh_expires_at is not None and token.refresh_expires_at <= now)
                or (token.refresh_token is None and token.access_expires_at <= now)
            ]
            for login_id in dead:
                owner = self._tokens.pop(login_id).owner_id
                if owners is not None:
                    owners.append(owner or f"login:{login_id}")
                self._failures.pop(login_id, None)
            for state_hash in [h for h, p in self._pending.items() if p.expires_at <= now]:
                del self._pending[state_hash]
            return len(dead)


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


def _seen(token: Token) -> datetime:
    seen = token.last_seen_at or token.updated_at
    assert seen is not None  # every stored token has updated_at
    return seen
