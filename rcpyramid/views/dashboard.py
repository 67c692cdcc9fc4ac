"""The signed-in person's dashboard: who, the range's calls summarised and compared, the chart.

It never becomes an error page because RingCentral failed: each part that could not be
read says so, and the rest shows. The calls come from the local history's index.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from pyramid.request import Request

from rcpyramid.callstore.interfaces import CallEntry, HistoryQuery
from rcpyramid.ringcentral.cached import CachedRingCentral
from rcpyramid.ringcentral.endpoints import EXTENSION_INFO
from rcpyramid.ringcentral.errors import RingCentralError, SignedOutError
from rcpyramid.views.api.calls import coverage_text
from rcpyramid.views.api.history import coverage_of, history_of, owner_of
from rcpyramid.views.callbacks import calls_to_return
from rcpyramid.views.calllog import CallRow, summarise
from rcpyramid.views.charts import call_volume_svg
from rcpyramid.views.formatting import day_text, local_text, party_view, result_kind, talk_time_text
from rcpyramid.views.links import route_with_query
from rcpyramid.views.signed_in import PERSON_KEY, person, person_from_extension_info
from rcpyramid.views.zones import zone_choice

log = logging.getLogger(__name__)

#: The dashboard's ranges: today by default, a week and a month a click away.
RANGES = {"today": ("Today", 1), "7d": ("Last 7 days", 7), "30d": ("Last 30 days", 30)}


#: What each range is compared with.
PREVIOUS = {
    "today": "yesterday by this time",
    "7d": "the 7 days before",
    "30d": "the 30 days before",
}


def dashboard(request: Request, login_id: str) -> dict[str, Any]:
    api = request.find_service(CachedRingCentral)
    notes: list[str] = []
    token = api.load(login_id)
    info: Any = {}
    try:
        info = api.cached_get(login_id, EXTENSION_INFO, {}).data
        request.session[PERSON_KEY] = person_from_extension_info(info)
    except SignedOutError:
        raise
    except RingCentralError as error:
        log.info("dashboard: extension info unavailable (%s)", type(error).__name__)
        notes.append(
            "RingCentral did not answer with your extension details just now, so some of "
            "them are missing here."
        )
    info = info if isinstance(info, dict) else {}
    who = person(request)
    identity = {
        "name": str(info.get("name") or token.owner_name or ""),
        "extension_number": str(info.get("extensionNumber") or ""),
        "admin": who.admin if who else None,
    }
    zone = zone_choice(request)
    chosen = request.GET.get("range", "today")
    if chosen not in RANGES:
        chosen = "today"
    label, days = RANGES[chosen]
    now = request.registry.clock()
    local_now = now.astimezone(zone.zone)
    first_day = local_now.date() - timedelta(days=days - 1)
    start = datetime.combine(first_day, time(0), tzinfo=zone.zone)
    values: dict[str, Any] = {
        "who": identity,
        "zone": zone,
        "ranges": [
            (key, name, route_with_query(request, "home", {"range": key}), key == chosen)
            for key, (name, _days) in RANGES.items()
        ],
        "range_label": label,
        "range_text": (
            f"{day_text(start, zone.zone)}, until {now.astimezone(zone.zone):%H:%M}"
            if days == 1
            else f"{day_text(start, zone.zone)} to {day_text(local_now, zone.zone)}"
        ),
        "summary": None,
        "notes": notes,
        "calls_url": route_with_query(
            request,
            "api.page",
            {
                "api": "extension-call-log",
                "from": first_day.isoformat(),
                "to": local_now.date().isoformat(),
            },
        ),
    }
    # The call summary reads the local history: no call to RingCentral for call records.
    owner = owner_of(request, False)
    coverage = coverage_of(request, owner)
    end = now + timedelta(seconds=1)
    span = end - start
    history = history_of(request)
    entries = history.entries(owner, _range(start, end)) if owner else []
    rows = [_entry_row(entry) for entry in entries]
    summary = summarise(rows, start, end, zone.zone, hourly=days == 1)
    previous_rows = (
        [_entry_row(e) for e in history.entries(owner, _range(start - span, start))]
        if owner
        else []
    )
    previous = summarise(previous_rows, start - span, start, zone.zone, hourly=days == 1)
    country = who.country if who else "US"
    values["summary"] = summary
    values["talk_time"] = talk_time_text(summary.talk_seconds)
    values["answer_rate"] = _rate(summary.inbound - summary.missed, summary.inbound)
    values["changes"] = {
        "in": _change(summary.inbound, previous.inbound),
        "out": _change(summary.outbound, previous.outbound),
        "missed": _change(summary.missed, previous.missed),
        "talk": _change(summary.talk_seconds, previous.talk_seconds),
    }
    values["previous_label"] = PREVIOUS[chosen]
    # A period the history does not wholly hold would compare with calls it never saw:
    # "up from 0" where nothing is known. Then the page says so instead.
    values["comparable"] = coverage.covers(start - span)
    values["to_return"] = calls_to_return(history, owner, start, end, country, zone.zone)
    values["coverage_text"] = coverage_text(coverage, zone.zone, False)
    values["counter"] = coverage.counter
    values["live_url"] = request.route_path("history.updates")
    values["missed_url"] = route_with_query(
        request,
        "api.page",
        {
            "api": "extension-call-log",
            "from": first_day.isoformat(),
            "to": local_now.date().isoformat(),
            "direction": "Inbound",
            "result": "missed",
        },
    )
    values["complete"] = coverage.covers(start)
    values["history_from"] = (
        local_text(coverage.history_from, zone.zone, seconds=False) if coverage.history_from else ""
    )
    links = [_bucket_link(request, bucket.start, days == 1) for bucket in summary.buckets]
    values["chart"] = call_volume_svg(
        summary,
        f"Calls per {'hour' if days == 1 else 'day'}, {label.lower()}",
        links=links,
        partial_last=True,
    )
    return values


def _range(start: datetime, end: datetime) -> HistoryQuery:
    return HistoryQuery(date_from=start.astimezone(UTC), date_to=end.astimezone(UTC), limit=None)


def _entry_row(entry: CallEntry) -> CallRow:
    """An index entry as the summary reads a row (no names or numbers needed)."""
    return CallRow(
        start=entry.start_time,
        direction=entry.direction,
        type=entry.type,
        action="",
        result=entry.result,
        kind=result_kind(entry.result),
        seconds=entry.duration,
        caller=NOBODY,
        callee=NOBODY,
        extension_id=entry.extension_id,
    )


NOBODY = party_view(None)


def _rate(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %" if whole else "no incoming calls"


@dataclass(frozen=True)
class Change:
    """A figure against the previous period, in words and as a direction."""

    words: str
    direction: str


def _change(now: int, before: int) -> Change:
    if now == before:
        return Change("same as", "same")
    if before == 0:
        return Change(f"up from {before}", "up")
    percent = round(100 * (now - before) / before)
    if percent == 0:
        return Change("about the same as", "same")
    return Change(
        f"{'up' if percent > 0 else 'down'} {abs(percent)} % on", "up" if percent > 0 else "down"
    )


def _bucket_link(request: Request, start: datetime, hourly: bool) -> str:
    """The call log of one bar: that hour or that day."""
    if hourly:
        values = {
            "from": start.strftime("%Y-%m-%dT%H:%M"),
            "to": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        }
    else:
        values = {"from": start.date().isoformat(), "to": start.date().isoformat()}
    return route_with_query(request, "api.page", {"api": "extension-call-log", **values})
