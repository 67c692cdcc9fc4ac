"""The in-memory call history: real, thread-safe, and gone when the process ends.

The app uses it when tokens are kept in memory (``rcpyramid.tokens.memory``): one
process, nothing on disk, so nothing to encrypt.
"""

from __future__ import annotations

import copy
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pyramid.config import Configurator

from rcpyramid.callstore.interfaces import (
    CallEntry,
    CallHistory,
    HistoryPage,
    HistoryQuery,
    Merged,
    SyncState,
)
from rcpyramid.callstore.records import newer, search_text, sort_out
from rcpyramid.callstore.schedule_memory import MemoryLiveSchedule
from rcpyramid.callstore.search import Needle, SearchIndex


@dataclass
class _Stored:
    entry: CallEntry
    record: dict[str, Any]
    names: str
    digits: str


@dataclass
class _Owner:
    records: dict[str, _Stored] = field(default_factory=dict)
    state: SyncState = field(default_factory=SyncState)
    revision: str | None = None
    #: The records newest first, and their search index built in that order: made on
    #: the first read after a change.
    ordered: list[_Stored] | None = None
    index: SearchIndex | None = None

    def changed(self) -> None:
        self.revision = secrets.token_hex(8)
        self.ordered = None
        self.index = None

    def newest_first(self) -> list[_Stored]:
        if self.ordered is None:
            self.ordered = sorted(
                self.records.values(), key=lambda stored: _order(stored.entry), reverse=True
            )
        return self.ordered


def _order(entry: CallEntry) -> tuple[datetime, str]:
    return entry.start_time, entry.record_id


def matches_filters(entry: CallEntry, query: HistoryQuery) -> bool:
    """Whether ``entry`` passes the query's filters other than the search."""
    return (
        (query.date_from is None or entry.start_time >= query.date_from)
        and (query.date_to is None or entry.start_time < query.date_to)
        and (not query.directions or entry.direction in query.directions)
        and (not query.types or entry.type in query.types)
        and (not query.results or entry.result in query.results)
        and (query.extension_id is None or entry.extension_id == query.extension_id)
    )


class MemoryCallHistory(CallHistory):
    """Records in dicts guarded by one lock. Records are copied in and out, never shared."""

    shared_across_processes = False

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._owners: dict[str, _Owner] = {}

    def _owner(self, owner: str) -> _Owner:
        """The owner's data, made on first write (call with the mutex held)."""
        held = self._owners.get(owner)
        if held is None:
            held = self._owners[owner] = _Owner()
        return held

    def merge(self, owner: str, records: Iterable[Mapping[str, Any]]) -> Merged:
        keep, to_delete, malformed = sort_out(records)
        # Copied before the lock: a caller's dict never becomes the stored one.
        copies = {record_id: copy.deepcopy(dict(record)) for record_id, (_, record) in keep.items()}
        added: list[str] = []
        updated: list[str] = []
        with self._mutex:
            held = self._owners.get(owner)
            stored_records = held.records if held is not None else {}
            deleted = [rid for rid in to_delete if stored_records.pop(rid, None) is not None]
            for record_id, (entry, _) in keep.items():
                stored = stored_records.get(record_id)
                if stored is not None and not newer(entry, stored.entry):
                    continue
                record = copies[record_id]
                names, digits = search_text(record)
                if held is None:
                    held = self._owners[owner] = _Owner()
                    stored_records = held.records
                stored_records[record_id] = _Stored(entry, record, names, digits)
                (added if stored is None else updated).append(record_id)
            result = Merged(tuple(added), tuple(updated), tuple(deleted), malformed)
            if held is not None and result.changed:
                held.changed()
        return result

    def delete_records(self, owner: str, record_ids: Iterable[str]) -> int:
        with self._mutex:
            held = self._owners.get(owner)
            if held is None:
                return 0
            removed = sum(
                held.records.pop(record_id, None) is not None for record_id in set(record_ids)
            )
            if removed:
                held.changed()
            return removed

    def get(self, owner: str, record_id: str) -> dict[str, Any] | None:
        with self._mutex:
            held = self._owners.get(owner)
            stored = held.records.get(record_id) if held is not None else None
            return copy.deepcopy(stored.record) if stored is not None else None

    def _matching(self, owner: str, query: HistoryQuery) -> list[_Stored]:
        """Every match, newest first (call with the mutex held)."""
        held = self._owners.get(owner)
        if held is None:
            return []
        candidates: Iterable[_Stored] = held.newest_first()
        needle = Needle.parse(query.search)
        if needle is not None:
            if held.index is None:
                held.index = SearchIndex(
                    (stored.entry.record_id, stored.names, stored.digits)
                    for stored in held.newest_first()
                )
            # The index is newest first, and so is what it finds.
            candidates = (held.records[record_id] for record_id in held.index.matching(needle))
        return [stored for stored in candidates if matches_filters(stored.entry, query)]

    @staticmethod
    def _window(matching: list[_Stored], query: HistoryQuery) -> list[_Stored]:
        end = None if query.limit is None else query.offset + query.limit
        return matching[query.offset : end]

    def page(self, owner: str, query: HistoryQuery) -> HistoryPage:
        with self._mutex:
            matching = self._matching(owner, query)
            records = [copy.deepcopy(stored.record) for stored in self._window(matching, query)]
        return HistoryPage(records=records, total=len(matching))

    def entries(self, owner: str, query: HistoryQuery) -> list[CallEntry]:
        with self._mutex:
            return [stored.entry for stored in self._window(self._matching(owner, query), query)]

    def revision(self, owner: str) -> str | None:
        with self._mutex:
            held = self._owners.get(owner)
            return held.revision if held is not None else None

    def sync_state(self, owner: str) -> SyncState:
        with self._mutex:
            held = self._owners.get(owner)
            return held.state if held is not None else SyncState()

    def save_sync_state(self, owner: str, state: SyncState) -> None:
        with self._mutex:
            held = self._owner(owner)
            held.state = state

    def trim(self, owner: str, older_than: datetime) -> int:
        with self._mutex:
            held = self._owners.get(owner)
            if held is None:
                return 0
            old = [
                rid for rid, stored in held.records.items() if stored.entry.start_time < older_than
            ]
            for record_id in old:
                del held.records[record_id]
            if old:
                held.changed()
            covers_from = held.state.covers_from
            if covers_from is not None and covers_from < older_than:
                held.state = replace(held.state, covers_from=older_than)
            return len(old)

    def forget(self, owner: str) -> None:
        with self._mutex:
            self._owners.pop(owner, None)

    def owners(self) -> list[str]:
        with self._mutex:
            return sorted(self._owners)


def includeme(config: Configurator) -> None:
    """One history for the whole process: every request, and work outside requests, share it."""
    history = MemoryCallHistory()
    config.registry.call_history_outside_requests = history
    config.registry.live_schedule = MemoryLiveSchedule()
    config.register_service(history, CallHistory)
