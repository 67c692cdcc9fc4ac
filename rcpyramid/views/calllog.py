"""Call-log records as rows a person reads, and the dashboard's summaries of them.

The records come from the local call history (:mod:`rcpyramid.views.api.history`);
nothing here asks RingCentral.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from rcpyramid.views.formatting import PartyView, parse_time, party_view, result_kind

#: Inbound results nobody answered: they count as missed.
MISSED_KINDS = frozenset({"missed", "voicemail"})


@dataclass(frozen=True)
class CallRow:
    start: datetime | None
    direction: str
    type: str
    action: str
    result: str
    kind: str
    seconds: int
    caller: PartyView
    callee: PartyView
    extension_id: str

    @property
    def missed(self) -> bool:
        return self.direction == "Inbound" and self.kind in MISSED_KINDS


def call_row(record: dict[str, Any], me: str | None, country: str) -> CallRow:
    """A record as a row; ``me`` is the person's extension id, None for the record's owner.

    In a person's own call log every record belongs to them, so its ``extension.id`` is
    theirs; in the company's log the caller passes the signed-in person's id.
    """
    extension = record.get("extension")
    owner = extension if isinstance(extension, dict) else {}
    me = str(owner.get("id") or "") if me is None else me
    try:
        seconds = max(int(record.get("duration") or 0), 0)
    except (TypeError, ValueError):
        seconds = 0
    return CallRow(
        start=parse_time(record.get("startTime")),
        direction=str(record.get("direction") or "")[:40],
        type=str(record.get("type") or "")[:40],
        action=str(record.get("action") or "")[:80],
        result=str(record.get("result") or "")[:80],
        kind=result_kind(record.get("result")),
        seconds=seconds,
        caller=party_view(record.get("from"), me, country),
        callee=party_view(record.get("to"), me, country),
        extension_id=str(owner.get("id") or ""),
    )


def records_of(data: Any) -> list[dict[str, Any]]:
    records = data.get("records") if isinstance(data, dict) else None
    return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []


@dataclass(frozen=True)
class Bucket:
    start: datetime
    label: str
    inbound: int = 0
    outbound: int = 0
    missed: int = 0


@dataclass
class Summary:
    inbound: int = 0
    outbound: int = 0
    missed: int = 0
    talk_seconds: int = 0
    faxes: int = 0
    buckets: list[Bucket] = field(default_factory=list)
    hourly: bool = True


def summarise(
    rows: list[CallRow], start: datetime, end: datetime, zone: tzinfo, *, hourly: bool
) -> Summary:
    """Voice calls in and out, missed, talk time; per hour (one day) or per day, in ``zone``."""
    edges: list[datetime] = []
    moment = start.astimezone(zone)
    step = timedelta(hours=1) if hourly else timedelta(days=1)
    while moment < end:
        edges.append(moment)
        if hourly:
            moment = (moment.astimezone(UTC) + step).astimezone(zone)
        else:
            # Wall-clock steps in the zone, so a day is a calendar day across DST changes.
            moment = (moment.replace(tzinfo=None) + step).replace(tzinfo=zone)
    counts = [[0, 0, 0] for _ in edges]
    summary = Summary(hourly=hourly)
    for row in rows:
        if row.start is None or not start <= row.start < end:
            continue
        if row.type == "Fax":
            summary.faxes += 1
            continue
        if row.type != "Voice":
            continue
        index = _bucket_index(edges, row.start)
        if row.direction == "Inbound":
            summary.inbound += 1
            counts[index][0] += 1
            if row.missed:
                summary.missed += 1
                counts[index][2] += 1
        elif row.direction == "Outbound":
            summary.outbound += 1
            counts[index][1] += 1
        if row.kind == "connected":
            summary.talk_seconds += row.seconds
    for edge, (inbound, outbound, missed) in zip(edges, counts, strict=True):
        label = edge.strftime("%H:00") if hourly else edge.strftime("%a %-d %b")
        summary.buckets.append(Bucket(edge, label, inbound, outbound, missed))
    return summary


def _bucket_index(edges: list[datetime], moment: datetime) -> int:
    """The last edge at or before ``moment`` (a binary search: a month of calls stays cheap)."""
    return max(bisect_right(edges, moment) - 1, 0)
