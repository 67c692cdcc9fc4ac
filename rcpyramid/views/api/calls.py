"""The call-log pages' values, their JSON, a call's detail: all from the local history.

No value here comes from a call to RingCentral for call records (the live history
engine keeps them); the person's name and the tabs come from the session and token.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from pyramid.request import Request

from rcpyramid.livehistory import LiveHistory
from rcpyramid.views.api.call_log_json import ringcentral_json
from rcpyramid.views.api.colleagues import colleague_of, colleagues
from rcpyramid.views.api.history import (
    Coverage,
    Slice,
    coverage_of,
    entry_query,
    history_of,
    owner_of,
    range_note,
    read_slice,
)
from rcpyramid.views.api.log_rows import DayGroup, by_day, log_row
from rcpyramid.views.api.query import MAX_SEARCH, RESULT_FILTERS, SORTS
from rcpyramid.views.api.table import ApiView, page_values, quick_ranges
from rcpyramid.views.errors import BadInputError
from rcpyramid.views.formatting import RESULT_MARKS, local_text, party_view
from rcpyramid.views.links import readable_path_qs, route_with_query
from rcpyramid.views.pages import DIRECTIONS, TYPES

#: A call's id as RingCentral writes them (letters, digits, ``-`` and ``_``).
_CALL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
#: Marks before each plain result word: results differ by shape, not only colour.
GROUP_MARKS = {
    "answered": RESULT_MARKS["connected"],
    "missed": RESULT_MARKS["missed"],
    "voicemail": RESULT_MARKS["voicemail"],
    "declined": RESULT_MARKS["blocked"],
}


def is_company(view: ApiView) -> bool:
    return view.page.admin_only


def coverage_text(coverage: Coverage, zone: Any, company: bool) -> str:
    whose = "The company's" if company else "Your"
    if coverage.history_from is None:
        return (
            f"{whose} call history is being fetched from RingCentral; calls appear here "
            "as they arrive."
        )
    since = local_text(coverage.history_from, zone, seconds=False)
    if coverage.filling:
        return f"{whose} call history goes back to {since} so far; older calls are on their way."
    return f"{whose} call history goes back to {since} and updates by itself."


def found_for(request: Request, view: ApiView, owner: str) -> Slice:
    query = view.query
    assert query is not None
    if query.problems or query.dates is None:
        return Slice([], 0)
    offset = (view.page_number - 1) * view.per_page
    return read_slice(history_of(request), owner, query, offset, view.per_page)


def calls_memo_key(request: Request, view: ApiView) -> tuple[tuple[Any, ...] | None, Coverage]:
    """What a rendered call-log page depends on (None: keep nothing), and the coverage read.

    The history's revision changes with every write of the owner's records (a sync, a
    backfilled page, a trim, a deletion), in any process; the coverage (counter, how far
    back, filling) is in the key too. So an unchanged history re-renders nothing and a
    changed one is never served from the memo. The minute is there for the rolling
    window and the "Today" labels; the session's CSRF token (the sign-out form) and the
    address for everything else the page shows.
    """
    owner = owner_of(request, is_company(view))
    # The counter first: a sync landing between this read and the records' is shown
    # again by the next poll, never missed.
    coverage = coverage_of(request, owner)
    # Read on its own (not in the request's transaction, which a kept page never opens);
    # the records, read later if at all, are at least as new as this revision.
    live: LiveHistory = request.registry.live_history
    revision = live.history.revision(owner) if owner else None
    if revision is None or view.status != 200:
        return None, coverage
    minute = int(view.now.timestamp() // 60)
    csrf = request.session.get_csrf_token()
    where = (request.host_url, request.path_qs, csrf, view.zone, view.who, minute)
    return ("history", view.page.key, owner, revision, coverage, *where), coverage


def calls_values(
    request: Request, view: ApiView, coverage: Coverage | None = None
) -> dict[str, Any]:
    """Everything ``api_calls.jinja2`` shows, from the history (``coverage`` read already)."""
    query = view.query
    assert query is not None
    company = is_company(view)
    owner = owner_of(request, company)
    if coverage is None:
        # The counter first: a sync landing between this read and the records' is shown
        # again by the next poll, never missed.
        coverage = coverage_of(request, owner)
    found = found_for(request, view, owner)
    data = (
        ringcentral_json(request, view.page.path, query, view.page_number, view.per_page, found)
        if query.dates is not None and not query.problems
        else {}
    )
    values = page_values(request, view, data, found.total if data else None)
    zone = view.zone.zone
    country = values["country"]
    today = view.now.astimezone(zone).date()
    rows = [log_row(record, country, zone) for record in found.records]

    def link(**changes: str) -> str:
        kept = {**query.query(), **changes}
        kept = {k: v for k, v in kept.items() if v}
        return route_with_query(
            request, "api.page", {"api": view.page.key, "perPage": view.per_page, **kept}
        )

    def detail_url(record_id: str) -> str:
        # The list's own search, filters and page ride along, so Back returns to this list.
        page = {"page": str(view.page_number)} if view.page_number > 1 else {}
        return link(call=record_id, **page)

    summary: list[Any] = []
    if company and owner and query.dates is not None and not query.problems:
        entries = history_of(request).entries(
            owner, entry_query(replace(query, colleague=""), limit=None)
        )
        summary = colleagues(history_of(request), owner, entries, country)
    narrowed_total = found.total if data else 0
    note = range_note(coverage, query.dates.start, zone) if query.dates else ""
    values.update(
        query=query,
        company=company,
        # Longest first mixes the days: one list, each row saying its day, rather than
        # "Today", "Yesterday", "Today" again as the lengths fall.
        groups=(
            [DayGroup(None, "Longest first, from every day of the range", rows)]
            if query.sort == "longest" and rows
            else by_day(rows, zone, today)
        ),
        rows_say_their_day=query.sort == "longest",
        quick=quick_ranges(request, view, zone),
        directions=DIRECTIONS,
        types=TYPES,
        results=RESULT_FILTERS,
        sorts=SORTS,
        marks=GROUP_MARKS,
        max_search=MAX_SEARCH,
        csv_url=view.link(request, 1, format="csv"),
        csv_note=_csv_note(coverage, note, narrowed_total),
        range_note=note,
        coverage_text=coverage_text(coverage, zone, company),
        counter=coverage.counter,
        live_url=route_with_query(
            request, "history.updates", {"scope": "company"} if company else {}
        ),
        # New calls go in by themselves on the first page of newest calls; elsewhere the
        # page offers them, so nothing moves under the person.
        live_mode="insert" if view.page_number == 1 and not query.sort else "offer",
        refresh_url=readable_path_qs(request),
        clear_url=link(search="", result="", colleague="", direction="", type="", sort=""),
        colleague_list=summary,
        colleague_summary=summary,
        colleague_url=lambda extension_id: link(colleague=extension_id),
        detail_url=detail_url,
    )
    return values


def _csv_note(coverage: Coverage, note: str, total: int) -> str:
    if note:
        since = coverage.history_from
        return (
            "the file covers only what the history holds"
            + (f", from {since:%-d %b %Y}" if since else "")
            + ", and says so inside"
        )
    return "every call of the range, all pages" if total else ""


# -- a call's detail -------------------------------------------------------------------------


def detail_values(request: Request, view: ApiView, record_id: str) -> dict[str, Any]:
    """One call from the history: its parties, legs, transfers, recording or voicemail."""
    if not _CALL_ID.fullmatch(record_id):
        raise BadInputError("That is not a call's id: open a call from your call log.")
    company = is_company(view)
    owner = owner_of(request, company)
    record = history_of(request).get(owner, record_id) if owner else None
    # Back to the list the call was opened from: its query, without the call.
    back = route_with_query(
        request, "api.page", {k: v for k, v in request.GET.items() if k != "call"}
    )
    country = view.who.country if view.who else "US"
    if record is None:
        request.response.status = 404
        return {"page": view.page, "record": None, "back_url": back}
    zone = view.zone.zone
    row = log_row(record, country, zone)
    legs = [_leg(leg, country) for leg in record.get("legs") or [] if isinstance(leg, dict)]
    transfers = [leg for leg in legs if "transfer" in (leg["action"] + leg["type"]).lower()]
    recording = record.get("recording") if isinstance(record.get("recording"), dict) else None
    message = record.get("message") if isinstance(record.get("message"), dict) else None
    name, number = colleague_of(record, row.row.extension_id)
    return {
        "page": view.page,
        "record": record,
        "item": row,
        "company": company,
        "colleague_name": name,
        "colleague_number": number,
        "legs": legs,
        "transfers": transfers,
        "recording": recording,
        "message": message,
        "zone": view.zone,
        "marks": GROUP_MARKS,
        "back_url": back,
        "from_party": party_view(record.get("from"), "", country),
        "to_party": party_view(record.get("to"), "", country),
    }


def _leg(leg: dict[str, Any], country: str) -> dict[str, Any]:
    def word(key: str) -> str:
        value = leg.get(key)
        return str(value)[:80] if isinstance(value, str | int) else ""

    return {
        "type": word("legType"),
        "action": word("action"),
        "result": word("result"),
        "direction": word("direction"),
        "duration": leg.get("duration") if isinstance(leg.get("duration"), int) else 0,
        "master": leg.get("master") is True,
        "from": party_view(leg.get("from"), "", country),
        "to": party_view(leg.get("to"), "", country),
        "reason": word("reason"),
    }
