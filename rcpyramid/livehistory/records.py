"""The records side of a history as the engine uses it: merge, delete, forget, trim.

A port, so the engine does not care which store keeps the records: the call store's
contract (:mod:`rcpyramid.callstore`) once it is wired, an in-memory one until then.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from rcpyramid.clock import as_utc


def start_time(record: dict[str, Any]) -> datetime | None:
    """A call record's ``startTime`` as aware UTC (None when missing or unreadable)."""
    value = record.get("startTime")
    if not isinstance(value, str):
        return None
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


class RecordsPort(Protocol):
    def merge(self, owner: str, records: Iterable[dict[str, Any]]) -> int:
        """Insert or replace by record id; how many ids were new."""

    def delete(self, owner: str, ids: Iterable[str]) -> None: ...

    def forget(self, owner: str) -> None: ...

    def trim(self, owner: str, before: datetime) -> None: ...

    def ids(self, owner: str) -> set[str]: ...


class MemoryRecords:
    """Records by owner and id, in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_owner: dict[str, dict[str, dict[str, Any]]] = {}

    def merge(self, owner: str, records: Iterable[dict[str, Any]]) -> int:
        new = 0
        with self._lock:
            mine = self._by_owner.setdefault(owner, {})
            for record in records:
                record_id = str(record.get("id") or "")
                if not record_id:
                    continue
                new += record_id not in mine
                mine[record_id] = record
        return new

    def delete(self, owner: str, ids: Iterable[str]) -> None:
        with self._lock:
            mine = self._by_owner.get(owner, {})
            for record_id in ids:
                mine.pop(record_id, None)

    def forget(self, owner: str) -> None:
        with self._lock:
            self._by_owner.pop(owner, None)

    def trim(self, owner: str, before: datetime) -> None:
        with self._lock:
            mine = self._by_owner.get(owner, {})
            for record_id in [k for k, r in mine.items() if (start_time(r) or before) < before]:
                del mine[record_id]

    def ids(self, owner: str) -> set[str]:
        with self._lock:
            return set(self._by_owner.get(owner, {}))
