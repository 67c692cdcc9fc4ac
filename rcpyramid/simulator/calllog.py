"""The account's call log over a window of days that follows the clock: query and find."""

from __future__ import annotations

import bisect
import functools
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from .callgen import day_records, generator
from .callrecords import CallRecord
from .clock import to_ms
from .demo_users import DemoUser
from .directory import Directory

if TYPE_CHECKING:
    from .livelog import PlacedRecords

# Days kept before the anchor day; the anchor day and the next one are generated too so
# any 24-hour window ending "now" is full.
HISTORY_DAYS = 90


@dataclass(frozen=True)
class _Index:
    records: tuple[CallRecord, ...]  # newest first
    neg_start: tuple[int, ...]  # -start_ms, ascending, for bisect

    @classmethod
    def of(cls, records: Iterable[CallRecord]) -> _Index:
        recs = tuple(sorted(records, key=lambda r: (-r.start_ms, r.id)))
        return cls(recs, tuple(-r.start_ms for r in recs))

    def between(self, start_ms: int, end_ms: int) -> tuple[CallRecord, ...]:
        """Records with start_ms in [start_ms, end_ms), newest first."""
        lo = bisect.bisect_right(self.neg_start, -end_ms)
        hi = bisect.bisect_right(self.neg_start, -start_ms)
        return self.records[lo:hi]


@dataclass(frozen=True)
class _Day:
    all: _Index
    by_owner: dict[int, _Index]


@functools.lru_cache(maxsize=512)
def _day_index(seed: int, users: tuple[DemoUser, ...], day: date) -> _Day:
    records = day_records(seed, day, users)
    per_owner: dict[int, list[CallRecord]] = defaultdict(list)
    for r in records:
        per_owner[r.owner_id].append(r)
    return _Day(_Index.of(records), {owner: _Index.of(recs) for owner, recs in per_owner.items()})


# A day's records may start up to this long after its midnight (carol's late calls).
_SPILL = timedelta(days=1)


class CallLog:
    """All call-log records of the account over a window of days that follows the clock.

    Days are generated when a query first reaches them, so a simulator starts at once.
    """

    def __init__(
        self, seed: int, directory: Directory, today: date, placed: PlacedRecords | None = None
    ) -> None:
        self.placed = placed
        # The directory is deterministic from the seed too; the records use the same ids.
        users = directory.demo_users
        if generator(seed, users).directory.account_id != directory.account_id:
            raise ValueError("the directory was not built from this seed")
        self._seed = seed
        self._users = users
        self._lock = threading.Lock()
        self.anchor_day = today

    def _span(self, now: datetime | None = None) -> tuple[date, date]:
        with self._lock:
            # A long-running simulator moves its window along so "now" always has data.
            if now is not None and now.date() > self.anchor_day:
                self.anchor_day = now.date()
            anchor = self.anchor_day
        return anchor - timedelta(days=HISTORY_DAYS), anchor + timedelta(days=1)

    def __len__(self) -> int:
        first, last = self._span()
        days = (last - first).days + 1
        seed, users = self._seed, self._users
        return sum(len(day_records(seed, first + timedelta(days=n), users)) for n in range(days))

    def query(
        self,
        *,
        owner_id: int | None,
        date_from: datetime,
        date_to: datetime,
        now: datetime,
        types: frozenset[str] = frozenset(),
        directions: frozenset[str] = frozenset(),
        show_blocked: bool = True,
        include_placed: bool = True,
    ) -> list[CallRecord]:
        """Matching records, newest first; nothing after `now` is visible.

        Placed calls' records count from the moment they became readable.
        """
        first, last = self._span(now)
        start_ms = to_ms(date_from)
        end_ms = min(to_ms(date_to), to_ms(now) + 1)
        day = min(last, date_to.astimezone(UTC).date())
        stop = max(first, (date_from.astimezone(UTC) - _SPILL).date())
        found: list[CallRecord] = []
        while day >= stop:
            index = _day_index(self._seed, self._users, day)
            chosen = index.all if owner_id is None else index.by_owner.get(owner_id)
            if chosen is not None:
                found.extend(chosen.between(start_ms, end_ms))
            day -= timedelta(days=1)
        if include_placed and self.placed is not None:
            found.extend(self.placed.started_between(owner_id, start_ms, end_ms, now))
        found.sort(key=lambda r: (-r.start_ms, r.id))
        return [
            r
            for r in found
            if (not types or r.type in types)
            and (not directions or r.direction in directions)
            and (show_blocked or r.result != "Blocked")
        ]

    def find(self, record_id: str, now: datetime) -> CallRecord | None:
        """A record of the current window (or a readable placed one) by its id."""
        found = self._lookup(now).records.get(record_id)
        if found is None and self.placed is not None:
            found = self.placed.find(record_id, now)
        return found

    def find_recording(self, recording_id: str, now: datetime) -> CallRecord | None:
        """The record a recording id belongs to."""
        return self._lookup(now).recordings.get(recording_id)

    def find_message(self, message_id: str, now: datetime) -> CallRecord | None:
        """The record a voicemail or fax message id belongs to."""
        return self._lookup(now).messages.get(message_id)

    def _lookup(self, now: datetime) -> _Lookup:
        first, last = self._span(now)
        return _lookup(self._seed, self._users, first, last)


@dataclass(frozen=True)
class _Lookup:
    records: dict[str, CallRecord]
    recordings: dict[str, CallRecord]
    messages: dict[str, CallRecord]


@functools.lru_cache(maxsize=4)
def _lookup(seed: int, users: tuple[DemoUser, ...], first: date, last: date) -> _Lookup:
    found = _Lookup({}, {}, {})
    for n in range((last - first).days + 1):
        for r in day_records(seed, first + timedelta(days=n), users):
            found.records[r.id] = r
            if r.recording is not None:
                found.recordings[r.recording[0]] = r
            if r.message_id is not None:
                found.messages[r.message_id] = r
    return found
