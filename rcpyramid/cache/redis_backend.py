"""dogpile's Redis backend as the answer cache uses it: one SET with expiry, a value handed in,
and a fetch lock that lives a few seconds unless its holder renews it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import redis
from dogpile.cache import register_backend
from dogpile.cache.api import NO_VALUE, CacheMutex
from dogpile.cache.backends.redis import RedisBackend

log = logging.getLogger(__name__)

#: Seconds a fetch lock lives unless renewed: a worker killed mid-fetch holds the page's
#: waiters this long at most; a live fetch renews it every third of it.
LOCK_LEASE = 5.0

#: The name dogpile knows this backend by.
BACKEND = "rcpyramid.cache.redis"


def identity(value: bytes) -> bytes:
    return value


def readable_entry(value: Any) -> bool:
    """True for what dogpile wrote: ``{"ct": time, "v": version}|payload``.

    Anything else under an answer key (plain JSON, a pickle, junk, a flipped byte in
    the header) would raise inside dogpile, which reads the header before any check of
    ours: it is a miss instead. The payload itself is checked when it is opened.
    """
    if not isinstance(value, bytes):
        return False
    head, sep, _ = value.partition(b"|")
    if not sep:
        return False
    try:
        metadata = json.loads(head)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError both are
        return False
    return (
        isinstance(metadata, dict)
        and isinstance(metadata.get("ct"), int | float)
        and not isinstance(metadata.get("ct"), bool)
        and "v" in metadata
    )


class RenewedLock(CacheMutex):
    """A Redis lock with a short lease, renewed by a thread while its fetch lives.

    Losing it (a flush, a failover, an eviction) is no error of the fetch: its own
    outcome, an answer or its failure, is what the request shows.
    """

    def __init__(self, lock: redis.lock.Lock) -> None:
        self.lock = lock
        self._stop = threading.Event()

    def acquire(self, wait: bool = True) -> bool:
        got = bool(self.lock.acquire(blocking=wait))
        if got:
            self._stop.clear()
            threading.Thread(target=self._renew, name="cache-lock-renewal", daemon=True).start()
        return got

    def _renew(self) -> None:
        lease = float(self.lock.timeout or LOCK_LEASE)
        while not self._stop.wait(lease / 3):
            try:
                self.lock.reacquire()
            except redis.RedisError:  # lost or unreachable: the release says so
                return

    def release(self) -> None:
        self._stop.set()
        try:
            self.lock.release()
        except redis.exceptions.LockError:
            log.info("the cache's fetch lock was lost meanwhile; the fetch's outcome stands")
        except redis.RedisError as error:
            log.info("the cache's fetch lock could not be released: %s", type(error).__name__)

    def locked(self) -> bool:
        return bool(self.lock.locked())


class ExpiringRedisBackend(RedisBackend):
    """dogpile's Redis backend, writing each key with its expiry in one SET.

    A value already read from Redis (with the generation it depends on, in one MGET:
    :meth:`rcpyramid.cache.answers.AnswerCache.fresh_from`) is handed to dogpile through
    :meth:`handed`, so dogpile checks its age as it does any other read, without a
    second round trip.
    """

    def __init__(self, arguments: dict[str, Any]) -> None:
        super().__init__(arguments)
        self._handoff = threading.local()

    @contextmanager
    def handed(self, key: str, value: bytes) -> Iterator[None]:
        self._handoff.item = (key, value)
        try:
            yield
        finally:
            self._handoff.item = None

    def get_serialized(self, key: str) -> Any:
        item = getattr(self._handoff, "item", None)
        if item is not None and item[0] == key:
            self._handoff.item = None
            value = item[1]
        else:
            value = super().get_serialized(key)
        return value if readable_entry(value) else NO_VALUE

    def get_mutex(self, key: str) -> RenewedLock:
        return RenewedLock(
            self.writer_client.lock(
                self.lock_template.format(key),
                timeout=min(float(self.lock_timeout or LOCK_LEASE), LOCK_LEASE),
                sleep=self.lock_sleep,
                thread_local=False,
                blocking=self.lock_blocking,
                blocking_timeout=self.lock_blocking_timeout,
            )
        )

    def set_serialized(self, key: str, value: bytes) -> None:
        self.writer_client.set(key, value, ex=self.redis_expiration_time)

    def set_serialized_multi(self, mapping: Mapping[str, bytes]) -> None:
        pipe = self.writer_client.pipeline()
        for key, value in mapping.items():
            pipe.set(key, value, ex=self.redis_expiration_time)
        pipe.execute()


register_backend(BACKEND, __name__, "ExpiringRedisBackend")
