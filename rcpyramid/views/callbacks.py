"""Calls to return: numbers that called, were missed, and were not answered or called since."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from rcpyramid.callstore.interfaces import CallHistory, HistoryQuery
from rcpyramid.views.api.query import RESULT_FILTERS
from rcpyramid.views.formatting import PartyView, parse_time, party_view

#: How many numbers "calls to return" lists at most.
TO_RETURN = 8


@dataclass
class ToReturn:
    """One number that called and was missed, with no answered call with it since."""

    contact: PartyView
    last: datetime
    tries: int
    tel: str


def calls_to_return(
    history: CallHistory,
    owner: str,
    start: datetime,
    end: datetime,
    country: str,
    zone: tzinfo,
) -> list[ToReturn]:
    """Missed incoming calls of the range by number, newest first, without those answered
    or called back since (a search of the history by that number, after the last miss)."""
    if not owner:
        return []
    missed = history.page(
        owner,
        HistoryQuery(
            date_from=start.astimezone(UTC),
            date_to=end.astimezone(UTC),
            directions=("Inbound",),
            results=("Missed", "Voicemail"),
            limit=200,
        ),
    ).records
    found: dict[str, ToReturn] = {}
    for record in missed:
        contact = party_view(record.get("from"), "", country)
        key = contact.e164 or contact.extension
        if not key:
            continue  # an anonymous caller cannot be called back
        when = parse_time(record.get("startTime"))
        if when is None:
            continue
        kept = found.get(key)
        if kept is None:
            if len(found) >= TO_RETURN * 2:
                continue
            found[key] = ToReturn(contact, when, 1, contact.e164 or contact.extension)
        else:
            kept.tries += 1
    out: list[ToReturn] = []
    for key, item in found.items():
        since = history.page(
            owner,
            HistoryQuery(
                date_from=item.last.astimezone(UTC) + timedelta(seconds=1),
                results=RESULT_FILTERS["answered"][1],
                search=key,
                limit=1,
            ),
        )
        if since.total == 0:
            out.append(item)
        if len(out) >= TO_RETURN:
            break
    return out
