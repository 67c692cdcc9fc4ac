"""Call-log records of the calls placed while the simulator runs (controls and the office).

Each becomes readable only `record_delay` seconds after its call ended, as RingCentral's
do 15-30 s after the end, so an app that reads the log the moment it hears
"Disconnected" misses it, as it would in production.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from .callrecords import CallRecord
from .clock import to_ms

KEEP = 2000  # placed records kept; the oldest go first (a long-running office)


@dataclass(frozen=True)
class Placed:
    """A placed call's record and the simulator time it becomes readable."""

    record: CallRecord
    visible_ms: int

    @property
    def visible_at(self) -> datetime:
        """When the record can be read, as an aware UTC datetime."""
        return datetime.fromtimestamp(self.visible_ms / 1000, UTC)


class PlacedRecords:
    """Thread-safe list of placed records, newest last."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Placed] = []

    def add(self, record: CallRecord, visible_at: datetime) -> Placed:
        """Keep a record that becomes readable at `visible_at`."""
        placed = Placed(record, to_ms(visible_at))
        with self._lock:
            self._items.append(placed)
            del self._items[:-KEEP]
        return placed

    def clear(self) -> None:
        """Forget every placed record."""
        with self._lock:
            self._items.clear()

    def recent(self, count: int) -> list[Placed]:
        """The last `count` placed calls, newest first (readable yet or not)."""
        with self._lock:
            return list(reversed(self._items[-count:]))

    def _readable(self, owner_id: int | None, keep: Callable[[Placed], bool]) -> list[CallRecord]:
        """The records of ``owner_id`` (None: every owner) that ``keep`` keeps."""
        with self._lock:
            items = list(self._items)
        return [
            p.record
            for p in items
            if keep(p) and (owner_id is None or p.record.owner_id == owner_id)
        ]

    def started_between(
        self, owner_id: int | None, start_ms: int, end_ms: int, now: datetime
    ) -> list[CallRecord]:
        """Readable records that started in [start_ms, end_ms)."""
        now_ms = to_ms(now)
        return self._readable(
            owner_id, lambda p: p.visible_ms <= now_ms and start_ms <= p.record.start_ms < end_ms
        )

    def appeared_between(
        self, owner_id: int | None, after_ms: int, now: datetime
    ) -> list[CallRecord]:
        """Records that became readable after `after_ms` and by `now` (what ISync reports)."""
        now_ms = to_ms(now)
        return self._readable(owner_id, lambda p: after_ms < p.visible_ms <= now_ms)

    def find(self, record_id: str, now: datetime) -> CallRecord | None:
        """A readable placed record by its id."""
        now_ms = to_ms(now)
        with self._lock:
            for p in self._items:
                if p.record.id == record_id and p.visible_ms <= now_ms:
                    return p.record
        return None
