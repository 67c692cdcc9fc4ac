"""The three API pages: a readable table, RingCentral's JSON (as received, or pretty), CSV.

The app's own links carry only validated ``page``, ``perPage``, ``from``, ``to``,
``direction`` and ``type`` values, never an address from RingCentral's ``navigation``:
the app must never fetch a URL a browser supplied, or it would send the person's
bearer token there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from pyramid.httpexceptions import HTTPFound
from pyramid.renderers import render
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from rcpyramid.cache import Answer, Cache
from rcpyramid.memo import LockedLRU
from rcpyramid.ringcentral.cached import CachedRingCentral
from rcpyramid.ringcentral.errors import PermissionDeniedError
from rcpyramid.views.calllog import (
    BULK_PER_PAGE,
    call_row,
    heavy_calls_allowed,
    me_in,
    records_of,
)
from rcpyramid.views.errors import BadInputError
from rcpyramid.views.formatting import day_text, local_text
from rcpyramid.views.links import route_with_query
from rcpyramid.views.people import (
    Person,
    ZoneChoice,
    as_mapping,
    person,
    zone_choice,
    zone_names,
)
from rcpyramid.views.safety import no_store, safe_local_path, wants_json


@dataclass(frozen=True)
class ApiPage:
    key: str
    title: str
    path: str
    template: str
    dated: bool
    admin_only: bool = False
    #: What the CSV file name says the records are.
    file_stem: str = ""


PAGES: dict[str, ApiPage] = {
    page.key: page
    for page in (
        ApiPage(
            "extension",
            "Extensions",
            "/restapi/v1.0/account/~/extension",
            "api_extensions.jinja2",
            dated=False,
        ),
        ApiPage(
            "extension-call-log",
            "Your call log",
            "/restapi/v1.0/account/~/extension/~/call-log",
            "api_calls.jinja2",
            dated=True,
            file_stem="my-calls",
        ),
        ApiPage(
            "account-call-log",
            "Company call log",
            "/restapi/v1.0/account/~/call-log",
            "api_calls.jinja2",
            dated=True,
            admin_only=True,
            file_stem="company-calls",
        ),
    )
}

DEFAULT_PER_PAGE = 25
PAGE_SIZES = (25, 50, 100, 250)
MAX_PER_PAGE = 1000
MAX_PAGE = 100_000
#: RingCentral's own default window for call logs.
DEFAULT_RANGE = timedelta(hours=24)
#: RingCentral keeps call logs for a limited time; a wider range is a typo, not a query.
MAX_RANGE = timedelta(days=366)
EARLIEST_YEAR, LATEST_YEAR = 2000, 2999
_MOMENT = re.compile(r"(?P<year>\d{4})-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?)?", re.ASCII)
DIRECTIONS = {"": "In and out", "Inbound": "Incoming", "Outbound": "Outgoing"}
TYPES = {"": "Calls and faxes", "Voice": "Calls", "Fax": "Faxes"}


def _bounded_int(request: Request, name: str, default: int, largest: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7 or not 1 <= int(raw) <= largest:
        raise BadInputError(f"{name} must be a whole number from 1 to {largest}.")
    return int(raw)


class YearOutOfRange(ValueError):
    """A well-formed date whose year this app does not ask RingCentral about."""


def _parse_moment(raw: str, zone: tzinfo, *, end_of_day: bool) -> datetime:
    """``YYYY-MM-DD`` (the whole day) or ``YYYY-MM-DDTHH:MM[:SS]`` in ``zone``."""
    match = _MOMENT.fullmatch(raw)
    if match is None:
        raise ValueError(raw)
    if not EARLIEST_YEAR <= int(match["year"]) <= LATEST_YEAR:
        raise YearOutOfRange(raw)
    if "T" in raw:
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is not None:
            raise ValueError(raw)
        return moment.replace(tzinfo=zone)
    day = date.fromisoformat(raw)
    if end_of_day:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return datetime.combine(day, time(0), tzinfo=zone)


@dataclass(frozen=True)
class DateRange:
    start: datetime
    end: datetime
    chosen: bool
    zone: tzinfo
    raw_from: str
    raw_to: str

    def query(self) -> dict[str, str]:
        return {"from": self.raw_from, "to": self.raw_to} if self.chosen else {}

    def ringcentral_params(self) -> dict[str, str]:
        def iso(moment: datetime) -> str:
            return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

        return {"dateFrom": iso(self.start), "dateTo": iso(self.end)}

    @property
    def last_day(self) -> date:
        """The last calendar day the range touches (its end is exclusive)."""
        return (self.end.astimezone(self.zone) - timedelta(microseconds=1)).date()

    @property
    def input_from(self) -> str:
        return self.start.astimezone(self.zone).date().isoformat()

    @property
    def input_to(self) -> str:
        return self.last_day.isoformat()

    @property
    def whole_days(self) -> bool:
        def midnight(moment: datetime) -> bool:
            return moment.astimezone(self.zone).time() == time(0)

        return midnight(self.start) and midnight(self.end)

    def describe(self) -> str:
        """The range in words, in the range's own zone."""
        if not self.chosen:
            return f"the last 24 hours, since {local_text(self.start, self.zone, seconds=False)}"
        if self.whole_days:
            first = self.start.astimezone(self.zone)
            if first.date() == self.last_day:
                return day_text(first, self.zone)
            last = datetime.combine(self.last_day, time(0), tzinfo=self.zone)
            return f"{day_text(first, self.zone)} to {day_text(last, self.zone)}"
        return (
            f"{local_text(self.start, self.zone, seconds=False)} to "
            f"{local_text(self.end, self.zone, seconds=False)}"
        )


@dataclass(frozen=True)
class FormProblem:
    field: str
    message: str


@dataclass
class CallQuery:
    """What the call-log form asked for, or what is wrong with it."""

    raw_from: str
    raw_to: str
    direction: str
    type: str
    dates: DateRange | None = None
    problems: list[FormProblem] = field(default_factory=list)

    def query(self) -> dict[str, str]:
        out = self.dates.query() if self.dates else {}
        if self.direction:
            out["direction"] = self.direction
        if self.type:
            out["type"] = self.type
        return out

    def ringcentral_params(self) -> dict[str, Any]:
        assert self.dates is not None
        out: dict[str, Any] = self.dates.ringcentral_params()
        if self.direction:
            out["direction"] = self.direction
        if self.type:
            out["type"] = self.type
        return out

    def problem(self, name: str) -> str:
        return next((p.message for p in self.problems if p.field == name), "")


_DATE_EXAMPLE = "Choose it with the date picker, or write it as year-month-day (2026-11-27)."


def _date_problem(which: str, problem: ValueError) -> str:
    if isinstance(problem, YearOutOfRange):
        return (
            f"The {which} date is out of range: choose a year from {EARLIEST_YEAR} "
            f"to {LATEST_YEAR}."
        )
    return f"The {which} date is not a date. {_DATE_EXAMPLE}"


def call_query(request: Request, zone: tzinfo, now: datetime) -> CallQuery:
    """Read the call-log form; mistakes become plain-words problems, never an exception."""
    raw_from = request.GET.get("from", "").strip()[:40]
    raw_to = request.GET.get("to", "").strip()[:40]
    direction = request.GET.get("direction", "")
    kind = request.GET.get("type", "")
    out = CallQuery(raw_from, raw_to, direction, kind)
    if direction not in DIRECTIONS:
        out.problems.append(FormProblem("direction", "Choose incoming, outgoing, or both."))
        out.direction = ""
    if kind not in TYPES:
        out.problems.append(FormProblem("type", "Choose calls, faxes, or both."))
        out.type = ""
    end = start = None
    try:
        end = _parse_moment(raw_to, zone, end_of_day=True) if raw_to else now
    except ValueError as problem:
        out.problems.append(FormProblem("to", _date_problem("end", problem)))
    try:
        if raw_from:
            start = _parse_moment(raw_from, zone, end_of_day=False)
        elif end is not None:
            start = end - DEFAULT_RANGE
    except ValueError as problem:
        out.problems.append(FormProblem("from", _date_problem("start", problem)))
    if start is not None and end is not None:
        if start >= end:
            out.problems.append(
                FormProblem(
                    "from",
                    "The start date is after the end date. Swap them, or "
                    "choose a start on or before the end.",
                )
            )
        elif end - start > MAX_RANGE:
            out.problems.append(
                FormProblem(
                    "from",
                    "That is more than a year of calls. Choose at most 366 "
                    "days: RingCentral does not keep call logs that long.",
                )
            )
        else:
            out.dates = DateRange(start, end, bool(raw_from or raw_to), zone, raw_from, raw_to)
    return out


@dataclass(frozen=True)
class QuickRange:
    label: str
    url: str
    current: bool


def quick_ranges(
    request: Request, page: ApiPage, query: CallQuery, zone: tzinfo, now: datetime, per_page: int
) -> list[QuickRange]:
    today = now.astimezone(zone).date()
    spans = (
        ("Today", today, today),
        ("Yesterday", today - timedelta(days=1), today - timedelta(days=1)),
        ("Last 7 days", today - timedelta(days=6), today),
        ("Last 30 days", today - timedelta(days=29), today),
    )
    kept = {k: v for k, v in query.query().items() if k in ("direction", "type")}
    # The default: a rolling window (no dates in the address), current when no date was given.
    rolling = route_with_query(request, "api.page", {"api": page.key, **kept, "perPage": per_page})
    out = [QuickRange("Last 24 hours", rolling, not (query.raw_from or query.raw_to))]
    for label, first, last in spans:
        values = {"from": first.isoformat(), "to": last.isoformat()}
        url = route_with_query(
            request, "api.page", {"api": page.key, **values, **kept, "perPage": per_page}
        )
        current = (query.raw_from, query.raw_to) == (values["from"], values["to"])
        out.append(QuickRange(label, url, current))
    return out


@view_config(route_name="api.page", request_method="GET", person=True)
def api_page(request: Request) -> Response:
    login_id = request.login
    api_key = request.GET.get("api")
    if login_id is None:
        # Signing in from home comes back here (a validated local path; see oauth.sign_in).
        wanted = safe_local_path(request.path_qs, default="") if api_key in PAGES else ""
        home_query = {"next": wanted} if wanted else {}
        return HTTPFound(location=route_with_query(request, "home", home_query))
    if not api_key:
        return HTTPFound(location=request.route_path("home"))
    page = PAGES.get(api_key)
    if page is None:
        raise BadInputError("There is no such API page. Choose one of: " + ", ".join(PAGES) + ".")
    who = person(request)
    if page.admin_only and who is not None and who.admin is False:
        return admins_only(request)
    page_number = _bounded_int(request, "page", 1, MAX_PAGE)
    per_page = _bounded_int(request, "perPage", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    output = request.GET.get("format", "")
    if output not in ("", "json", "csv", "html"):
        raise BadInputError("format can be json or csv, or left out for the page.")
    zone = zone_choice(request)
    now = request.registry.clock()
    query = call_query(request, zone.zone, now) if page.dated else None
    if query is not None and query.problems:
        if wants_json(request) or output == "csv":
            raise BadInputError(query.problems[0].message)
        return render_page(
            request, page, None, page_number, per_page, query, zone, who, now, status=400
        )
    if output == "csv" and page.dated:
        # Imported here: the export module uses this one's pages and queries.
        from rcpyramid.views.export import csv_export

        assert query is not None
        return csv_export(request, login_id, page, query, zone, who)
    params: dict[str, Any] = {"page": page_number, "perPage": per_page}
    key_params = dict(params)
    if query is not None:
        params.update(query.ringcentral_params())
        # "The last 24 hours" ends at a new second on every view: keyed as the default
        # window, repeated views share one answer.
        key_params.update(params if query.dates and query.dates.chosen else {"window": "default"})
        key_params.update({k: v for k, v in params.items() if k in ("direction", "type")})
    try:
        answer = request.find_service(CachedRingCentral).cached_get(
            login_id,
            page.path,
            params,
            key_params=key_params,
            refresh=request.GET.get("refresh") == "1",
        )
    except PermissionDeniedError:
        if page.admin_only:
            return admins_only(request)
        raise

    if wants_json(request):
        response = Response(body=answer.body, content_type="application/json", charset="utf-8")
        response.headers["Vary"] = "Accept"
        return no_store(response)
    if request.GET.get("view") == "json":
        response = request.response
        response.text = render(
            "api_json.jinja2",
            {
                "page": page,
                "pretty": json.dumps(answer.data, indent=2, ensure_ascii=False, sort_keys=False),
                "raw_url": _link(request, page, page_number, per_page, query, format="json"),
                "table_url": _link(request, page, page_number, per_page, query),
            },
            request=request,
        )
        response.headers["Vary"] = "Accept"
        return no_store(response)
    me = me_in(request, login_id, page.path) if page.dated else ""
    return render_page(
        request,
        page,
        answer,
        page_number,
        per_page,
        query,
        zone,
        who,
        now,
        me=me,
        freshness=lambda refresh_url: _freshness(request, answer, refresh_url, zone),
    )


def _link(
    request: Request,
    page: ApiPage,
    number: int,
    per_page: int,
    query: CallQuery | None,
    **extra: str,
) -> str:
    kept = query.query() if query is not None else {}
    values = {"api": page.key, "page": number, "perPage": per_page, **kept, **extra}
    return route_with_query(request, "api.page", values)


def admins_only(request: Request) -> Response:
    """The company's calls, asked for by someone RingCentral would refuse: say why, plainly."""
    response = request.response
    response.text = render(
        "admins_only.jinja2",
        {"own_url": route_with_query(request, "api.page", {"api": "extension-call-log"})},
        request=request,
    )
    response.status = 403
    return no_store(response)


class PageMemo:
    """Pages rendered from a cached answer, kept per process: a reload renders nothing.

    The key is everything such a page is made of: the answer (its key names the person,
    their sign-out generation and the query; with the time it was fetched), the address,
    the session's CSRF token (the header's sign-out form), the person (tabs, country)
    and zone, and for call logs the minute (the rolling window's words) and the export
    budget. Error pages and pages of a spent budget are never kept. Never shared, never
    written out.
    """

    #: Larger pages (up to 1,000 rows) are rendered each time rather than held.
    MAX_CHARS = 64_000

    def __init__(self, max_entries: int = 256) -> None:
        self._pages: LockedLRU[tuple[Any, ...], str] = LockedLRU(max_entries)

    def get(self, key: tuple[Any, ...]) -> str | None:
        found = self._pages.get(key)
        return found if isinstance(found, str) else None

    def put(self, key: tuple[Any, ...], text: str) -> None:
        if len(text) <= self.MAX_CHARS:
            self._pages[key] = text


def render_page(
    request: Request,
    page: ApiPage,
    answer: Answer | None,
    page_number: int,
    per_page: int,
    query: CallQuery | None,
    zone: ZoneChoice,
    who: Person | None,
    now: datetime,
    *,
    status: int = 200,
    freshness: Callable[[str], dict[str, Any]] | None = None,
    me: str | None = "",
) -> Response:
    export_limit = heavy_calls_allowed(request, request.login) * BULK_PER_PAGE if page.dated else 0
    memo: PageMemo = request.registry.page_memo
    key: tuple[Any, ...] | None = None
    # Kept only where the answer is kept too (dogpile.cache.null: every view is new).
    keep = request.find_service(Cache).answers.enabled
    if keep and answer is not None and status == 200 and answer.fresh_in is None:
        minute = int(now.timestamp() // 60) if page.dated else 0
        csrf = request.session.get_csrf_token()
        key = (page.key, answer.key, answer.fetched_at, request.path_qs, csrf, zone, who, me)
        key += (minute, export_limit)
        kept = memo.get(key)
        if kept is not None:
            return _page_response(request, kept, status)
    data = as_mapping(answer.data if answer is not None else None)
    navigation = as_mapping(data.get("navigation"))
    paging = as_mapping(data.get("paging"))
    records = records_of(data)

    def link(number: int, **extra: str) -> str:
        return _link(request, page, number, per_page, query, **extra)

    total_pages = _int_or_none(paging.get("totalPages"))
    total = _int_or_none(paging.get("totalElements"))
    first_index = (page_number - 1) * per_page + 1
    past_end = bool(data) and not records and page_number > 1
    values: dict[str, Any] = {
        "page": page,
        "status": status,
        "page_number": page_number,
        "per_page": per_page,
        "page_sizes": sorted({*PAGE_SIZES, per_page}),
        "first_index": first_index,
        "last_index": first_index + len(records) - 1,
        "count": len(records),
        "total": total,
        "total_pages": total_pages,
        "past_end": past_end,
        "next_url": link(page_number + 1) if "nextPage" in navigation and not past_end else None,
        "previous_url": (
            link(min(page_number - 1, total_pages or page_number - 1))
            if "previousPage" in navigation and page_number > 1 and not past_end
            else None
        ),
        "first_url": link(1),
        "last_url": link(total_pages) if total_pages else None,
        "json_url": link(page_number, view="json"),
        "raw_url": link(page_number, format="json"),
        "zone": zone,
        "zone_names": zone_names(),
        "return_to": safe_local_path(request.path_qs, default=""),
        "country": who.country if who else "US",
    }
    if page.dated:
        assert query is not None
        values.update(
            query=query,
            rows=[call_row(record, me, values["country"]) for record in records],
            quick=quick_ranges(request, page, query, zone.zone, now, per_page),
            directions=DIRECTIONS,
            types=TYPES,
            csv_url=link(1, format="csv"),
            export_limit=export_limit,
        )
    else:
        values["records"] = records
    if freshness is not None:
        values.update(freshness(link(page_number, refresh="1")))
    text = render(page.template, values, request=request)
    if key is not None:
        memo.put(key, text)
    return _page_response(request, text, status)


def _page_response(request: Request, text: str, status: int) -> Response:
    response = request.response
    response.text = text
    response.status = status
    response.headers["Vary"] = "Accept"
    return no_store(response)


def includeme(config: Any) -> None:
    config.registry.page_memo = PageMemo()


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _freshness(
    request: Request, answer: Answer, refresh_url: str, zone: ZoneChoice
) -> dict[str, Any]:
    """How old the data is, and when fresher data can come if the budget is spent."""
    fetched = answer.fetched_at.astimezone(zone.zone)
    fresh_at = None
    if answer.fresh_in is not None:
        fresh_at = (request.registry.clock() + timedelta(seconds=answer.fresh_in)).astimezone(
            zone.zone
        )
    return {
        "as_of": fetched.strftime("%H:%M:%S"),
        "as_of_zone": zone.name,
        "as_of_iso": fetched.isoformat(timespec="seconds"),
        "fresh_at": fresh_at.strftime("%H:%M:%S") if fresh_at else None,
        "refresh_url": None if fresh_at else refresh_url,
    }
