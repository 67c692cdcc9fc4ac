"""RingCentral's rate limits: a sliding 60-second window per user, app and group."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .clock import Clock
from .config import SimulatorConfig
from .counters import Counters

RATE_WINDOW_SECONDS = 60
RATE_PENALTY_SECONDS = 60
RateKey = tuple[str | None, str | None]  # (username, client_id); None when not known


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


@dataclass
class _Bucket:
    hits: deque[datetime] = field(default_factory=deque)
    penalty_until: datetime | None = None


class RateLimiter:
    """Counts requests per (user, client, group) where limits are on, and refuses the excess."""

    def __init__(self, config: SimulatorConfig, clock: Clock, counters: Counters) -> None:
        self._config = config
        self._clock = clock
        self._counters = counters
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str | None, str | None, str], _Bucket] = {}

    def hit(self, key: RateKey, group: str, *, count: bool = True) -> RateStatus:
        """Count one request of `group` for `key` in the sliding window, and enforce it.

        With count=False the request is neither counted nor refused: it only reports the
        window as it stands. With the group's limit off, nothing is counted: the
        headers report the whole limit remaining.
        """
        limit, enforced = self._config.limit_for(group)
        if not enforced:
            # A client that follows X-Rate-Limit-Remaining (as the app does) must not be
            # told to stop by a server that would never refuse it.
            return RateStatus(group, limit, limit)
        with self._lock:
            now = self._clock.now()
            bucket = self._buckets.setdefault((key[0], key[1], group), _Bucket())
            cutoff = now - timedelta(seconds=RATE_WINDOW_SECONDS)
            while bucket.hits and bucket.hits[0] <= cutoff:
                bucket.hits.popleft()
            if not count:
                return RateStatus(group, limit, max(0, limit - len(bucket.hits)))
            in_penalty = bucket.penalty_until is not None and now < bucket.penalty_until
            if in_penalty or len(bucket.hits) >= limit:
                # Any request during the penalty restarts it (reference §7).
                bucket.penalty_until = now + timedelta(seconds=RATE_PENALTY_SECONDS)
                self._counters.count("rate_limited")
                return RateStatus(group, limit, 0, True, RATE_PENALTY_SECONDS)
            bucket.hits.append(now)
            return RateStatus(group, limit, max(0, limit - len(bucket.hits)))

    def reset(self) -> None:
        """Forget every window and penalty."""
        with self._lock:
            self._buckets.clear()
