"""RingCentral's answers, cached on dogpile.cache, sealed whenever they leave the process.

In memory, an entry is the :class:`Answer` itself. In Redis it is JSON sealed with
the token key ring (AES-GCM) and bound to its key: nothing read back from Redis is
unpickled or trusted before it authenticates, and an entry that fails to open (or
names a key id no longer configured) is a miss. Concurrent misses of one key wait
on dogpile's lock, a Redis lock across processes, so RingCentral is asked once.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import redis
from dogpile.cache import make_region
from dogpile.cache.api import NO_VALUE
from dogpile.cache.region import CacheRegion

from rcpyramid.cache.redis_backend import BACKEND, ExpiringRedisBackend, identity
from rcpyramid.cache.store import SharedStore
from rcpyramid.config import CacheSettings
from rcpyramid.memo import LockedLRU
from rcpyramid.tokens.crypto import DecryptionError, Keyring, UnknownKeyError

log = logging.getLogger(__name__)

MEMORY = "dogpile.cache.memory"
REDIS = "dogpile.cache.redis"
NULL = "dogpile.cache.null"


@dataclass(frozen=True)
class Answer:
    """One GET's answer as RingCentral sent it, and when it was fetched (aware UTC)."""

    key: str
    body: bytes = field(repr=False)
    content_type: str
    fetched_at: datetime
    cached: bool = False
    #: Set when the budget is spent and this is an older answer: seconds until a fresh one.
    fresh_in: int | None = None
    #: True when RingCentral failed (down, too slow) and this is the last answer kept.
    unavailable: bool = False

    @classmethod
    def received(
        cls, key: str, body: bytes, content_type: str, fetched_at: datetime, data: Any
    ) -> Answer:
        """A fresh answer whose body the client already parsed into ``data``."""
        answer = cls(key, body, content_type, fetched_at)
        answer.__dict__["data"] = data  # what cached_property stores: no second parse
        return answer

    @cached_property
    def data(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class AnswerCache:
    """``get``/``fetch`` answers by key, in the configured backend."""

    def __init__(
        self,
        settings: CacheSettings,
        keyring: Keyring | None,
        store: SharedStore | None,
    ) -> None:
        self.settings = settings
        self.keyring = keyring
        self.store = store
        self.backend = settings.backend
        # Entries stay a while past their lifetime: when the budget is spent, the
        # person still sees the last answer, labelled with its age.
        self.keep = 4 * max(settings.lifetimes.values())
        self._local = self._memory_region(settings.max_entries)
        self._opened: LockedLRU[str, tuple[bytes, Answer]] = LockedLRU(
            min(settings.max_entries, 256)
        )
        self._redis: CacheRegion | None = None
        if self.backend == REDIS:
            assert store is not None
            self._redis = make_region(serializer=identity, deserializer=identity).configure(
                BACKEND,
                arguments={
                    "connection_pool": store.client.connection_pool,
                    "distributed_lock": True,
                    "thread_local_lock": False,
                    # A worker killed while fetching frees the lock after this long.
                    "lock_timeout": max(1, int(settings.lock_timeout + 0.999)),
                    "lock_sleep": 0.05,
                    "redis_expiration_time": self.keep,
                },
            )

    @staticmethod
    def _memory_region(max_entries: int) -> CacheRegion:
        return make_region().configure(MEMORY, arguments={"cache_dict": LockedLRU(max_entries)})

    @property
    def enabled(self) -> bool:
        return self.backend != NULL

    # -- sealing ------------------------------------------------------------------

    def seal(self, answer: Answer) -> bytes:
        assert self.keyring is not None
        document = {
            "k": answer.key,
            # Epoch seconds on the wire; a datetime everywhere else.
            "t": answer.fetched_at.timestamp(),
            "c": answer.content_type,
            "b": base64.b64encode(answer.body).decode("ascii"),
        }
        blob = self.keyring.encrypt(json.dumps(document), answer.key.encode("ascii"))
        return self.keyring.primary.encode("ascii") + b"\x00" + blob

    def open(self, key: str, sealed: Any) -> Answer | None:
        """The answer in ``sealed``, or None when it does not authenticate for ``key``."""
        if not isinstance(sealed, bytes) or self.keyring is None:
            return None
        # The same sealed bytes as last time under this key: the answer opened then, with
        # its JSON already parsed. Redis is still read on every view, so expiry and
        # sign-out generations work as before; only the decryption is saved.
        opened = self._opened.get(key)
        if opened is not None and opened[0] == sealed:
            return opened[1]
        answer = self._open(key, sealed)
        if answer is not None:
            self._opened[key] = (sealed, answer)
        return answer

    def _open(self, key: str, sealed: bytes) -> Answer | None:
        kid, sep, blob = sealed.partition(b"\x00")
        if not sep or self.keyring is None:
            return None
        try:
            document = json.loads(
                self.keyring.decrypt(kid.decode("ascii"), blob, key.encode("ascii"))
            )
            if document["k"] != key:
                return None
            return Answer(
                key=key,
                body=base64.b64decode(document["b"]),
                content_type=str(document["c"]),
                fetched_at=datetime.fromtimestamp(float(document["t"]), UTC),
                cached=True,
            )
        except (DecryptionError, UnknownKeyError, UnicodeDecodeError, ValueError, KeyError):
            log.info("a cached answer did not open (another key, or altered): treated as a miss")
            return None

    # -- reading and writing ------------------------------------------------------

    def get_or_fetch(self, key: str, fetch: Callable[[], Answer], lifetime: int) -> Answer:
        """The cached answer younger than ``lifetime``, or ``fetch()`` once for all waiters."""
        if not self.enabled:
            return fetch()
        fresh: list[Answer] = []

        def creator() -> Any:
            answer = fetch()
            fresh.append(answer)
            return self.seal(answer) if self._use_redis() else _with_cached(answer)

        if self._use_redis():
            shared = self._shared_get_or_fetch(key, creator, fresh, fetch, lifetime)
            if shared is not None:
                return shared
        value = self._local.get_or_create(key, creator, expiration_time=lifetime)
        if fresh:
            return fresh[0]
        cached = _as_cached(value)
        return cached if cached is not None else fetch()

    def _shared_get_or_fetch(
        self,
        key: str,
        creator: Callable[[], Any],
        fresh: list[Answer],
        fetch: Callable[[], Answer],
        lifetime: int,
    ) -> Answer | None:
        """:meth:`get_or_fetch` in Redis; None when Redis failed before anything was fetched."""
        assert self._redis is not None
        try:
            for _ in range(2):
                sealed = self._redis.get_or_create(key, creator, expiration_time=lifetime)
                if fresh:
                    return fresh[0]
                answer = self.open(key, sealed)
                if answer is not None:
                    return answer
                self._redis.delete(key)
            return fetch()
        except redis.exceptions.LockError:
            # The lock outlived its timeout while we fetched: the answer is still good.
            if fresh:
                return fresh[0]
            raise
        except redis.RedisError as error:
            self._redis_failed(error)
            return fresh[0] if fresh else None

    @property
    def shared(self) -> bool:
        """True when answers are read from the shared Redis right now."""
        return self._use_redis()

    def fresh_from(self, key: str, sealed: Any, lifetime: int) -> Answer | None:
        """:meth:`fresh`, for a value of ``key`` read from Redis just now (None: none there)."""
        if not isinstance(sealed, bytes) or self._redis is None:
            return None
        backend = self._redis.backend
        assert isinstance(backend, ExpiringRedisBackend)
        with backend.handed(key, sealed):
            return self.fresh(key, lifetime)

    def fresh(self, key: str, lifetime: int) -> Answer | None:
        """The cached answer younger than ``lifetime``, or None; never fetches, never waits."""
        if not self.enabled:
            return None
        if self._use_redis():
            assert self._redis is not None
            try:
                value = self._redis.get(key, expiration_time=lifetime)
            except redis.RedisError as error:
                self._redis_failed(error)
            else:
                return None if value is NO_VALUE else self.open(key, value)
        value = self._local.get(key, expiration_time=lifetime)
        return None if value is NO_VALUE else _as_cached(value)

    def stale(self, key: str) -> Answer | None:
        """Whatever answer is kept for ``key``, however old (for when no call may be made)."""
        if not self.enabled:
            return None
        if self._use_redis():
            assert self._redis is not None
            try:
                return self.open(key, self._redis.get(key, ignore_expiration=True))
            except redis.RedisError as error:
                self._redis_failed(error)
        value = self._local.get(key, ignore_expiration=True)
        return None if value is NO_VALUE else _as_cached(value)

    def put(self, answer: Answer) -> None:
        """Keep a freshly fetched answer (after a Refresh, which skips the cache)."""
        if not self.enabled:
            return
        if self._use_redis():
            assert self._redis is not None
            try:
                self._redis.set(answer.key, self.seal(answer))
                return
            except redis.RedisError as error:
                self._redis_failed(error)
        self._local.set(answer.key, _with_cached(answer))

    def _use_redis(self) -> bool:
        return self._redis is not None and self.store is not None and not self.store.degraded

    def _redis_failed(self, error: BaseException) -> None:
        assert self.store is not None
        self.store.failed(error)


def _as_cached(value: Any) -> Answer | None:
    return value if isinstance(value, Answer) else None


def _with_cached(answer: Answer) -> Answer:
    return Answer(
        key=answer.key,
        body=answer.body,
        content_type=answer.content_type,
        fetched_at=answer.fetched_at,
        cached=True,
    )
