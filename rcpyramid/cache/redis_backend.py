"""dogpile's Redis backend as the answer cache uses it: one SET with expiry, a value handed in."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dogpile.cache import register_backend
from dogpile.cache.backends.redis import RedisBackend

#: The name dogpile knows this backend by.
BACKEND = "rcpyramid.cache.redis"


def identity(value: bytes) -> bytes:
    return value


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
            return item[1]
        return super().get_serialized(key)

    def set_serialized(self, key: str, value: bytes) -> None:
        self.writer_client.set(key, value, ex=self.redis_expiration_time)

    def set_serialized_multi(self, mapping: Mapping[str, bytes]) -> None:
        pipe = self.writer_client.pipeline()
        for key, value in mapping.items():
            pipe.set(key, value, ex=self.redis_expiration_time)
        pipe.execute()


register_backend(BACKEND, __name__, "ExpiringRedisBackend")
