"""The call-log pages, their JSON and CSV, read from the local call history.

RingCentral is never asked for call records here: the live history engine
(:mod:`rcpyramid.livehistory`) keeps each person's (and each account's) records in the
store, and a page view reads them with :meth:`CallHistory.page` (a page of records) and
:meth:`CallHistory.entries` (the plaintext index, for counts). Each page says how far
back the history goes while it is still being filled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode

from pyramid.request import Request

from rcpyramid.callstore.interfaces import CallEntry, CallHistory, HistoryQuery
from rcpyramid.livehistory import LiveHistory
from rcpyramid.ringcentral.cached import CachedRingCentral
from rcpyramid.ringcentral.endpoints import rc_time
from rcpyramid.ringcentral.errors import SignedOutError
from rcpyramid.views.api.query import RESULT_FILTERS, CallQuery
from rcpyramid.views.calllog import CallRow, call_row
from rcpyramid.views.formatting import PartyView, day_text, local_text, party_view

#: Which filter each RingCentral result word belongs to (see ``RESULT_FILTERS``).
RESULT_GROUP = {raw: key for key, (_label, raws) in RESULT_FILTERS.items() for raw in raws}
#: Direction words with an arrow; the arrow is hidden from screen readers, the word is not.
DIRECTION_MARKS = {"Inbound": ("\u2199", "Incoming"), "Outbound": ("\u2197", "Outgoing")}


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


# -- rows a person reads -------------------------------------------------------------------


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


# -- colleagues (company log) ----------------------------------------------------------------


@dataclass
class ColleagueSummary:
    extension_id: str
    name: str
    extension_number: str
    calls: int = 0
    missed: int = 0
    talk_seconds: int = 0

    @property
    def label(self) -> str:
        if self.name and self.extension_number:
            return f"{self.name} (ext. {self.extension_number})"
        return self.name or (f"ext. {self.extension_number}" if self.extension_number else "")


def colleagues(
    history: CallHistory, owner: str, entries: list[CallEntry], country: str
) -> list[ColleagueSummary]:
    """Per colleague: calls, missed incoming calls, talk time; names read from one record each."""
    out: dict[str, ColleagueSummary] = {}
    first_record: dict[str, str] = {}
    for entry in entries:
        key = entry.extension_id
        if not key:
            continue
        summary = out.get(key)
        if summary is None:
            summary = out[key] = ColleagueSummary(key, "", "")
            first_record[key] = entry.record_id
        summary.calls += 1
        group = RESULT_GROUP.get(entry.result, "")
        if entry.direction == "Inbound" and group in ("missed", "voicemail"):
            summary.missed += 1
        if group == "answered" and entry.type == "Voice":
            summary.talk_seconds += entry.duration
    for key, record_id in first_record.items():
        record = history.get(owner, record_id)
        if record is None:
            continue
        name, number = colleague_of(record, key)
        out[key].name, out[key].extension_number = name, number
    return sorted(out.values(), key=lambda s: (-s.calls, s.label.casefold()))


def colleague_of(record: Mapping[str, Any], extension_id: str) -> tuple[str, str]:
    """The name and extension number of the record's own extension, from its parties."""
    for side in ("from", "to"):
        party = record.get(side)
        if isinstance(party, Mapping) and str(party.get("extensionId") or "") == extension_id:
            return str(party.get("name") or "")[:200], str(party.get("extensionNumber") or "")[:20]
    inbound = record.get("direction") == "Inbound"
    party = record.get("to" if inbound else "from")
    if isinstance(party, Mapping):
        return str(party.get("name") or "")[:200], str(party.get("extensionNumber") or "")[:20]
    return "", ""


# -- RingCentral's JSON, built from the history ---------------------------------------------


def ringcentral_json(
    request: Request,
    path: str,
    query: CallQuery,
    page_number: int,
    per_page: int,
    found: Slice,
) -> dict[str, Any]:
    """A call-log page shaped as RingCentral shapes it: ``uri``, ``records``, ``paging``,
    ``navigation`` (``firstPage`` always, ``nextPage``/``previousPage`` when there is one;
    no totals, as RingCentral's call log gives none)."""
    assert query.dates is not None
    base = _base_uri(request, path, found.records)
    pairs: list[tuple[str, str]] = [
        ("view", "Simple"),
        ("showBlocked", "true"),
        ("dateFrom", rc_time(query.dates.start)),
        ("dateTo", rc_time(query.dates.end)),
    ]
    if query.type:
        pairs.append(("type", query.type))
    if query.direction:
        pairs.append(("direction", query.direction))

    def uri(number: int) -> str:
        paged = [*pairs, ("page", str(number)), ("perPage", str(per_page))]
        # RingCentral leaves the colons of its times unescaped.
        return f"{base}?{urlencode(paged, safe=':')}"

    start = (page_number - 1) * per_page
    paging: dict[str, Any] = {"page": page_number, "perPage": per_page}
    if found.records:
        paging["pageStart"] = start
        paging["pageEnd"] = start + len(found.records) - 1
    navigation: dict[str, Any] = {}
    if found.total > start + per_page:
        navigation["nextPage"] = {"uri": uri(page_number + 1)}
    if page_number > 1:
        navigation["previousPage"] = {"uri": uri(page_number - 1)}
    navigation["firstPage"] = {"uri": uri(1)}
    return {
        "uri": uri(page_number),
        "records": found.records,
        "paging": paging,
        "navigation": navigation,
    }


def _base_uri(request: Request, path: str, records: list[dict[str, Any]]) -> str:
    """The call log's own address as RingCentral writes it (numeric ids where a record says)."""
    for record in records:
        own = record.get("uri")
        if isinstance(own, str) and "/call-log/" in own:
            return own.split("/call-log/", 1)[0] + "/call-log"
    server = str(request.registry.app_settings.ringcentral.server_url).rstrip("/")
    if not server.startswith(("http://", "https://")):
        server = "https://platform.ringcentral.com"
    return server + path


# -- names for files people pass around ------------------------------------------------------


def own_name(request: Request) -> str:
    """The signed-in person's name as RingCentral gave it at sign-in (a token read, no call)."""
    login_id = request.login
    if login_id is None:
        return ""
    try:
        return request.find_service(CachedRingCentral).load(login_id).owner_name or ""
    except SignedOutError:
        return ""


@dataclass
class Names:
    """Real names for parties a record leaves unnamed: the owner's and colleagues' extensions."""

    by_extension_id: dict[str, str] = field(default_factory=dict)

    def learn(self, record: Mapping[str, Any]) -> None:
        for side in ("from", "to"):
            party = record.get(side)
            if not isinstance(party, Mapping):
                continue
            ext, name = str(party.get("extensionId") or ""), party.get("name")
            if ext and isinstance(name, str) and name.strip():
                self.by_extension_id.setdefault(ext, name[:200])

    def of(self, view: PartyView, extension_id: str) -> str:
        return view.name or self.by_extension_id.get(extension_id, "")


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
