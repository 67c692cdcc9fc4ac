"""A call-log record as the row a person reads, and rows grouped by local day."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from rcpyramid.views.api.query import RESULT_FILTERS
from rcpyramid.views.calllog import CallRow, call_row
from rcpyramid.views.formatting import PartyView, day_text, party_view

#: Which filter each RingCentral result word belongs to (see ``RESULT_FILTERS``).
RESULT_GROUP = {raw: key for key, (_label, raws) in RESULT_FILTERS.items() for raw in raws}
#: Direction words with an arrow; the arrow is hidden from screen readers, the word is not.
DIRECTION_MARKS = {"Inbound": ("\u2199", "Incoming"), "Outbound": ("\u2197", "Outgoing")}


@dataclass(frozen=True)
class LogRow:
    """A call as a call-log row: the other party, the colleague, a plain result word."""

    record_id: str
    row: CallRow
    #: The other side of the call (the caller of an incoming call, the callee of an outgoing).
    contact: PartyView
    #: The side of the person whose call it is (their own log: themselves).
    colleague: PartyView
    word: str
    group: str
    day: date | None

    @property
    def direction_mark(self) -> str:
        return DIRECTION_MARKS.get(self.row.direction, ("\u2022", ""))[0]

    @property
    def direction_words(self) -> str:
        words = DIRECTION_MARKS.get(self.row.direction, ("", self.row.direction or "Call"))[1]
        return words if self.row.type != "Fax" else f"{words} fax"


def result_word(raw: str, direction: str) -> str:
    """RingCentral's result in one of a few plain words (the raw word stays in the detail)."""
    group = RESULT_GROUP.get(raw, "")
    if group == "answered":
        return "Answered"
    if group == "missed":
        return "Missed" if direction == "Inbound" else "No answer"
    if group == "voicemail":
        return "Voicemail"
    if group == "declined":
        return "Blocked" if raw == "Blocked" else "Declined"
    return raw or "Unknown"


def log_row(record: Mapping[str, Any], country: str, zone: tzinfo) -> LogRow:
    row = call_row(dict(record), None, country)
    # Parties as shown in the contact column: never "You" (the colleague column says who).
    inbound = row.direction == "Inbound"
    other = record.get("from") if inbound else record.get("to")
    mine = record.get("to") if inbound else record.get("from")
    return LogRow(
        record_id=str(record.get("id") or ""),
        row=row,
        contact=party_view(other, "", country),
        colleague=party_view(mine, "", country),
        word=result_word(row.result, row.direction),
        group=RESULT_GROUP.get(row.result, "other"),
        day=row.start.astimezone(zone).date() if row.start else None,
    )


@dataclass(frozen=True)
class DayGroup:
    day: date | None
    label: str
    rows: list[LogRow]


def by_day(rows: Iterable[LogRow], zone: tzinfo, today: date) -> list[DayGroup]:
    """Consecutive rows of one local day together, labelled "Today", "Yesterday" or the date."""
    groups: list[DayGroup] = []
    for row in rows:
        if not groups or groups[-1].day != row.day:
            groups.append(DayGroup(row.day, day_label(row.day, zone, today), []))
        groups[-1].rows.append(row)
    return groups


def day_label(day: date | None, zone: tzinfo, today: date) -> str:
    if day is None:
        return "Unknown day"
    text = day_text(datetime.combine(day, time(12), tzinfo=zone), zone)
    if day == today:
        return f"Today, {text}"
    if day == today - timedelta(days=1):
        return f"Yesterday, {text}"
    return text
