"""What the simulator counts for GET /simulator/counters."""

from __future__ import annotations

import copy
import threading
from typing import Any

# The top-level counters, in the order GET /simulator/counters lists them after the grants.
COUNTS = (
    "refreshes",
    "revokes",
    "rate_limited",
    "api_calls",
    "token_errors",
    "subscriptions",
    "handshakes",
    "deliveries",
    "syncs",
    "calls",
)


def _fresh() -> dict[str, Any]:
    return {"grants": {"authorization_code": 0, "refresh_token": 0}, **dict.fromkeys(COUNTS, 0)}


class Counters:
    """Thread-safe counters in the shape of GET /simulator/counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = _fresh()

    def count(self, name: str) -> None:
        """Add one to a top-level counter."""
        with self._lock:
            self._values[name] += 1

    def grant(self, grant_type: str) -> None:
        """Add one to the grants of a type."""
        with self._lock:
            self._values["grants"][grant_type] += 1

    def snapshot(self) -> dict[str, Any]:
        """A copy of every counter."""
        with self._lock:
            return copy.deepcopy(self._values)

    def reset(self) -> None:
        """Back to zero."""
        with self._lock:
            self._values = _fresh()
