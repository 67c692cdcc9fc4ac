"""What a call-log page reads from the local call history: whose, how far back, which slice.

RingCentral is never asked for call records here: the live history engine
(:mod:`rcpyramid.livehistory`) keeps each person's (and each account's) records in the
store, and a page view reads them with :meth:`CallHistory.page` (a page of records) and
:meth:`CallHistory.entries` (the plaintext index, for counts). Each page says how far
back the history goes while it is still being filled (:func:`range_note`). The rows a
person reads are :mod:`.log_rows`, the company log's colleagues :mod:`.colleagues`,
RingCentral's JSON shape :mod:`.call_log_json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from pyramid.request import Request

from rcpyramid.callstore.interfaces import CallHistory, HistoryQuery
from rcpyramid.livehistory import LiveHistory
from rcpyramid.views.api.query import RESULT_FILTERS, CallQuery
from rcpyramid.views.formatting import local_text


@dataclass(frozen=True)
class Coverage:
    """How far back a history goes, and whether it is still being filled."""

    owner: str
    #: The history holds every call from this moment (None: nothing synced yet).
    history_from: datetime | None
    filling: bool
    #: The live engine's counter of records come in: what a live page polls against.
    counter: int
    synced: bool

    def covers(self, start: datetime) -> bool:
        """Whether a range starting at ``start`` lies wholly inside the history."""
        return self.history_from is not None and start >= self.history_from


def history_of(request: Request) -> CallHistory:
    history: CallHistory = request.find_service(CallHistory)
    return history


def owner_of(request: Request, company: bool) -> str:
    """The history key of the signed-in person's own log, or of their account's."""
    own, account = request.history_keys
    return str(account if company else own)


def coverage_of(request: Request, owner: str) -> Coverage:
    """One read of the live engine's state: how far back, filling, the new-calls counter."""
    live: LiveHistory = request.registry.live_history
    state = live.schedule.owner(owner) if owner else None
    if state is None:
        return Coverage(owner, None, True, 0, False)
    synced = state.last_sync_at is not None
    return Coverage(owner, state.history_from, state.filling or not synced, state.counter, synced)


def entry_query(query: CallQuery, **overrides: Any) -> HistoryQuery:
    """The store's query for what the call-log form asked (dates, filters, search)."""
    assert query.dates is not None
    values: dict[str, Any] = {
        "date_from": query.dates.start.astimezone(UTC),
        "date_to": query.dates.end.astimezone(UTC),
        "directions": (query.direction,) if query.direction else (),
        "types": (query.type,) if query.type else (),
        "results": RESULT_FILTERS[query.result][1] if query.result else (),
        "extension_id": query.colleague or None,
        "search": query.search,
    }
    values.update(overrides)
    return HistoryQuery(**values)


@dataclass(frozen=True)
class Slice:
    """One page of records of a query, in the chosen order, and how many match in all."""

    records: list[dict[str, Any]]
    total: int


def read_slice(
    history: CallHistory, owner: str, query: CallQuery, offset: int, limit: int
) -> Slice:
    """Newest first straight from the store; other orders through the index, then by id."""
    if not owner:
        return Slice([], 0)
    if not query.sort:
        page = history.page(owner, entry_query(query, offset=offset, limit=limit))
        return Slice(page.records, page.total)
    entries = history.entries(owner, entry_query(query, limit=None))
    if query.sort == "oldest":
        ordered = list(reversed(entries))
    else:
        ordered = sorted(entries, key=lambda e: (-e.duration, -e.start_time.timestamp()))
    chosen = ordered[offset : offset + limit]
    records = [history.get(owner, entry.record_id) for entry in chosen]
    return Slice([r for r in records if r is not None], len(entries))


def range_note(coverage: Coverage, start: datetime, zone: tzinfo) -> str:
    """A sentence when the chosen range starts before the history does; "" when it does not."""
    if coverage.history_from is None:
        return (
            "Your call history is still being fetched from RingCentral: this range shows "
            "what has arrived so far."
        )
    if start >= coverage.history_from:
        return ""
    since = local_text(coverage.history_from, zone, seconds=False)
    if coverage.filling:
        return (
            f"This range starts before your history does: it goes back to {since} so far, "
            "and older calls are still being fetched."
        )
    return f"This range starts before your history does: it holds calls from {since} on."
