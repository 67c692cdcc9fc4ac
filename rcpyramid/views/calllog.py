"""Call-log records as rows a person reads, whole ranges fetched page by page, and summaries.

RingCentral gives no totals for call logs: a range is complete when the last page
fetched has no ``navigation.nextPage``. The dashboard and the CSV export fetch at most
:func:`heavy_calls_allowed` pages of 1000 records, so one view never spends more of the
person's Heavy rate-limit group (10 requests a minute by default) than it may.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from pyramid.request import Request

from rcpyramid.ringcentral.cached import CachedRingCentral
from rcpyramid.ringcentral.endpoints import HEAVY, OWN_CALL_LOG
from rcpyramid.ringcentral.errors import (
    PacingError,
    RateLimitedError,
    RingCentralError,
    SignedOutError,
)
from rcpyramid.views.formatting import PartyView, parse_time, party_view, result_kind

#: RingCentral's largest call-log page.
BULK_PER_PAGE = 1000
#: Heavy calls one page view may make (RingCentral's default Heavy limit is 10 a minute).
HEAVY_CALLS_PER_VIEW = 3
#: Inbound results nobody answered: they count as missed.
MISSED_KINDS = frozenset({"missed", "voicemail"})


def heavy_calls_allowed(request: Request, login_id: str | None = None) -> int:
    """How many call-log pages one view may fetch now: a few, fewer when the budget is low."""
    if login_id is None:
        return HEAVY_CALLS_PER_VIEW
    api = request.find_service(CachedRingCentral)
    try:
        person, _ = api.whose(login_id)
    except SignedOutError:
        return HEAVY_CALLS_PER_VIEW
    left = api.budget.left(person, HEAVY, request.registry.clock())
    return HEAVY_CALLS_PER_VIEW if left is None else min(HEAVY_CALLS_PER_VIEW, left)


def me_in(request: Request, login_id: str, path: str) -> str | None:
    """Who is "You" in the rows of ``path``: see :func:`call_row`."""
    if path == OWN_CALL_LOG:
        return None
    owner: str = request.find_service(CachedRingCentral).whose(login_id)[1]
    return owner


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


def has_next(data: Any) -> bool:
    navigation = data.get("navigation") if isinstance(data, dict) else None
    return isinstance(navigation, dict) and "nextPage" in navigation


@dataclass
class Fetched:
    """Every record of a range that the budget allowed, and whether that was all of them."""

    records: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True
    calls: int = 0
    #: Why the fetch stopped early after its first page, in plain words.
    stopped: str = ""


def fetch_range(
    request: Request,
    login_id: str,
    path: str,
    params: dict[str, Any],
    max_calls: int,
    key_params: dict[str, Any] | None = None,
) -> Fetched:
    """Fetch pages of ``BULK_PER_PAGE`` until the last one or ``max_calls``, through the cache.

    The first page's failure propagates (the caller shows its error page); a failure on
    a later page ends the fetch with what came before, marked incomplete. ``key_params``
    names the range in the cache when its end moves with the clock.
    """
    api = request.find_service(CachedRingCentral)
    out = Fetched()
    page = 1
    while True:
        query = {**params, "page": page, "perPage": BULK_PER_PAGE}
        key = {**(key_params or params), "page": page, "perPage": BULK_PER_PAGE}
        try:
            data = api.cached_get(login_id, path, query, key_params=key).data
        except RingCentralError as error:
            if page == 1:
                raise
            out.complete = False
            if isinstance(error, PacingError):
                out.stopped = "this app paused to stay within RingCentral's limits"
            elif isinstance(error, RateLimitedError):
                out.stopped = "RingCentral asked us to slow down"
            else:
                out.stopped = "RingCentral stopped answering"
            return out
        out.calls += 1
        out.records.extend(records_of(data))
        if not has_next(data):
            return out
        if out.calls >= max_calls:
            out.complete = False
            out.stopped = "this view may make only a few requests to RingCentral"
            return out
        page += 1


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
