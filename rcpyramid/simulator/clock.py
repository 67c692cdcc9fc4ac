"""The simulator's clock (a base clock plus the offset tests move it by) and its time formats."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Clock:
    """Aware-UTC time that `advance` moves forward and `reset` brings back."""

    def __init__(self, base: Callable[[], datetime] | None = None) -> None:
        self._base = base or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """The configured clock plus any advance."""
        with self._lock:
            offset = self._offset
        base = self._base()
        if base.tzinfo is None:
            raise ValueError("the simulator clock must return aware datetimes")
        return base.astimezone(UTC) + offset

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward; return the new time."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    def reset(self) -> None:
        """Forget every advance."""
        with self._lock:
            self._offset = timedelta(0)


def iso_ms(epoch_ms: int) -> str:
    """ISO 8601 with milliseconds and Z, as RingCentral writes times."""
    dt = datetime.fromtimestamp(epoch_ms // 1000, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{epoch_ms % 1000:03d}Z"


def to_ms(dt: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(dt.timestamp() * 1000)
