"""Honour RingCentral's 429s: no further call for that person and group until the wait is over.

RingCentral counts requests per user, app and group, and every request during a
penalty restarts it; calling again early only makes the wait longer. The gate is
per process: with several processes, each learns of a penalty on its own first 429.
"""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta

from rcpyramid.ringcentral.errors import RateLimitedError

#: RingCentral's advice when a 429 carries no Retry-After.
DEFAULT_WAIT = 60

#: The rate-limit group of each API path the app calls (RingCentral's API reference).
GROUPS = {
    "/restapi/v1.0/account/~/extension/~": "Light",
    "/restapi/v1.0/account/~/extension": "Medium",
    "/restapi/v1.0/account/~/extension/~/call-log": "Heavy",
    "/restapi/v1.0/account/~/call-log": "Heavy",
}
AUTH = "Auth"


def group_of(path: str) -> str:
    return GROUPS.get(path, "Medium")


class RateLimitGate:
    """Remembers, per (login id, group), until when RingCentral asked us to wait."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[tuple[str, str], datetime] = {}

    def check(self, login_id: str, group: str, now: datetime) -> None:
        """Raise :class:`RateLimitedError` (without calling RingCentral) while a wait lasts."""
        with self._lock:
            until = self._until.get((login_id, group))
        if until is not None and until > now:
            wait = math.ceil((until - now).total_seconds())
            raise RateLimitedError(
                f"waiting out RingCentral's {group} rate limit", status=429, retry_after=wait
            )

    def block(self, login_id: str, group: str, error: RateLimitedError, now: datetime) -> None:
        wait = error.retry_after if error.retry_after is not None else DEFAULT_WAIT
        with self._lock:
            for key in [key for key, until in self._until.items() if until <= now]:
                del self._until[key]
            self._until[(login_id, group)] = now + timedelta(seconds=wait)
