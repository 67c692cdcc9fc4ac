"""The Redis every process shares, and what happens when it does not answer.

Every call has a short socket and connect timeout and no retry, so a stalled Redis
costs a request at most one timeout. After a failure the store is "down" for a few
seconds: callers go straight to their per-process fallback without waiting again,
one warning is logged per outage, and ``/healthz`` reports the app as degraded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds a failed Redis is left alone before the next request tries it again.
RETRY_INTERVAL = 5.0


class StoreDown(Exception):
    """Redis did not answer (or failed recently); use the per-process fallback."""


class SharedStore:
    """A Redis client that fails fast and says when the app runs degraded."""

    def __init__(self, url: str, timeout: float, timer: Callable[[], float] = time.monotonic):
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # redis-py retries timeouts by default, which multiplies a stall.
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
            health_check_interval=0,
        )
        self._timer = timer
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._warned = False

    @property
    def degraded(self) -> bool:
        return self._timer() < self._down_until

    def run(self, operation: Callable[[redis.Redis], T]) -> T:
        """``operation(client)``, or :class:`StoreDown` when Redis fails or failed just now."""
        if self.degraded:
            raise StoreDown("the shared store failed a moment ago")
        try:
            result = operation(self.client)
        except redis.RedisError as error:
            self.failed(error)
            raise StoreDown(str(type(error).__name__)) from error
        self.recovered()
        return result

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self._down_until = self._timer() + RETRY_INTERVAL
            warn = not self._warned
            self._warned = True
        if warn:
            log.warning(
                "the shared Redis does not answer (%s): each process keeps its own cache "
                "and rate-limit budget until it is back",
                type(error).__name__,
            )

    def recovered(self) -> None:
        if self._warned:
            with self._lock:
                was_warned, self._warned = self._warned, False
            if was_warned:
                log.warning("the shared Redis answers again")

    def ping(self) -> bool:
        try:
            self.run(lambda client: client.ping())
        except StoreDown:
            return False
        return True

    def close(self) -> None:
        self.client.close()

    def after_fork(self) -> None:
        """In a new worker: connections of its own, not the master's."""
        self.client.connection_pool.reset()

    def __repr__(self) -> str:
        return "SharedStore(redis)"
