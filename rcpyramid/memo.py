"""In-process memos: cachetools' LRU and TTL caches behind a lock.

cachetools is not thread-safe and the app serves with threads, so every memo of the
package is one of these two: :class:`LockedLRU` keeps the most recently used entries
up to a bound, :class:`LockedTTL` also forgets an entry once it is older than its
time to live (measured on the monotonic clock, so a moved wall clock changes nothing).
Each operation takes the lock once; a read-then-write sequence is not atomic, which
every user here accepts (a memo computes the same value twice at worst).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar, overload

from cachetools import Cache, LRUCache, TTLCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
D = TypeVar("D")


class _Locked(Generic[K, V]):
    def __init__(self, cache: Cache[K, V]) -> None:
        self._cache = cache
        self._lock = threading.Lock()

    @overload
    def get(self, key: K) -> V | None: ...
    @overload
    def get(self, key: K, default: D) -> V | D: ...
    def get(self, key: K, default: object = None) -> object:
        with self._lock:
            return self._cache.get(key, default)

    def __setitem__(self, key: K, value: V) -> None:
        with self._lock:
            self._cache[key] = value

    def pop(self, key: K, default: None = None) -> V | None:
        """Forget ``key``; its value, or None. (dogpile's memory backend passes the None.)"""
        with self._lock:
            return self._cache.pop(key, default)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._cache

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


class LockedLRU(_Locked[K, V]):
    """At most ``max_entries``; the least recently used entry goes first."""

    def __init__(self, max_entries: int) -> None:
        super().__init__(LRUCache(maxsize=max_entries))
        self.max_entries = max_entries


class LockedTTL(_Locked[K, V]):
    """At most ``max_entries``, each for ``seconds`` after it was set.

    ``getsizeof``: what an entry counts towards ``max_entries`` (1 when not given); an
    entry larger than the whole memo is refused with ValueError, as cachetools does.
    """

    def __init__(
        self,
        max_entries: int,
        seconds: float,
        timer: Callable[[], float] = time.monotonic,
        getsizeof: Callable[[V], int] | None = None,
    ) -> None:
        super().__init__(
            TTLCache(maxsize=max_entries, ttl=seconds, timer=timer, getsizeof=getsizeof)
        )
        self.max_entries = max_entries
