"""The seed's three API pages: a readable table, or RingCentral's JSON as received.

The app's own links carry only validated ``page``, ``perPage``, ``from`` and ``to``
values, never an address from RingCentral's ``navigation``: the app must never fetch
a URL a browser supplied, or it would send the person's bearer token there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from pyramid.httpexceptions import HTTPFound
from pyramid.renderers import render
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from rcpyramid.cache import Answer
from rcpyramid.ringcentral.api import RingCentralApi
from rcpyramid.views.errors import BadInputError
from rcpyramid.views.safety import no_store, wants_json


@dataclass(frozen=True)
class ApiPage:
    key: str
    title: str
    link: str
    path: str
    template: str
    dated: bool


PAGES: dict[str, ApiPage] = {
    page.key: page
    for page in (
        ApiPage(
            "extension",
            "Extensions",
            "Read Extension Info",
            "/restapi/v1.0/account/~/extension",
            "api_extensions.jinja2",
            dated=False,
        ),
        ApiPage(
            "extension-call-log",
            "Your call log",
            "Read Extension Call Log",
            "/restapi/v1.0/account/~/extension/~/call-log",
            "api_calls.jinja2",
            dated=True,
        ),
        ApiPage(
            "account-call-log",
            "Account call log",
            "Read Account Call Log",
            "/restapi/v1.0/account/~/call-log",
            "api_calls.jinja2",
            dated=True,
        ),
    )
}

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 1000
MAX_PAGE = 100_000
#: RingCentral's own default window for call logs.
DEFAULT_RANGE = timedelta(hours=24)
#: RingCentral keeps call logs for a limited time; a wider range is a typo, not a query.
MAX_RANGE = timedelta(days=366)
EARLIEST_YEAR, LATEST_YEAR = 2000, 2999
_MOMENT = re.compile(r"(?P<year>\d{4})-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?)?", re.ASCII)


def _bounded_int(request: Request, name: str, default: int, largest: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7 or not 1 <= int(raw) <= largest:
        raise BadInputError(f"{name} must be a whole number from 1 to {largest}.")
    return int(raw)


def _parse_moment(raw: str, zone: tzinfo, *, end_of_day: bool) -> datetime:
    """``YYYY-MM-DD`` (the whole day) or ``YYYY-MM-DDTHH:MM[:SS]`` in ``zone``."""
    match = _MOMENT.fullmatch(raw)
    if match is None or not EARLIEST_YEAR <= int(match["year"]) <= LATEST_YEAR:
        raise ValueError(raw)
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


def date_range(request: Request, zone: tzinfo, now: datetime) -> DateRange:
    raw_from = request.GET.get("from", "").strip()
    raw_to = request.GET.get("to", "").strip()
    try:
        end = _parse_moment(raw_to, zone, end_of_day=True) if raw_to else now
    except ValueError as error:
        raise BadInputError("to must be a date (YYYY-MM-DD) or a date and time.") from error
    try:
        start = _parse_moment(raw_from, zone, end_of_day=False) if raw_from else end - DEFAULT_RANGE
    except ValueError as error:
        raise BadInputError("from must be a date (YYYY-MM-DD) or a date and time.") from error
    if start >= end:
        raise BadInputError("from must be earlier than to.")
    if end - start > MAX_RANGE:
        raise BadInputError("Choose a range of at most 366 days.")
    return DateRange(start, end, bool(raw_from or raw_to), zone, raw_from, raw_to)


@view_config(route_name="api.page", request_method="GET", person=True)
def api_page(request: Request) -> Response:
    login_id = request.login
    api_key = request.GET.get("api")
    if login_id is None or not api_key:
        # The seed sent anyone without a session (or without a page) home.
        return HTTPFound(location=request.route_path("home"))
    page = PAGES.get(api_key)
    if page is None:
        raise BadInputError("There is no such API page. Choose one of: " + ", ".join(PAGES) + ".")
    page_number = _bounded_int(request, "page", 1, MAX_PAGE)
    per_page = _bounded_int(request, "perPage", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    settings = request.registry.app_settings.app
    dates = date_range(request, settings.timezone, request.registry.clock()) if page.dated else None
    params: dict[str, Any] = {"page": page_number, "perPage": per_page}
    key_params = dict(params)
    if dates is not None:
        params.update(dates.ringcentral_params())
        # "The last 24 hours" ends at a new second on every view: keyed as the default
        # window, repeated views share one answer.
        key_params.update(params if dates.chosen else {"window": "default"})
    answer = request.find_service(RingCentralApi).cached_get(
        login_id,
        page.path,
        params,
        key_params=key_params,
        refresh=request.GET.get("refresh") == "1",
    )

    if wants_json(request):
        response = Response(body=answer.body, content_type="application/json", charset="utf-8")
    else:
        response = request.response
        values = _table_values(request, page, answer.data, page_number, per_page, dates)
        values.update(_freshness(request, answer, values["refresh_url"]))
        response.text = render(page.template, values, request=request)
    response.headers["Vary"] = "Accept"
    return no_store(response)


def _table_values(
    request: Request,
    page: ApiPage,
    data: Any,
    page_number: int,
    per_page: int,
    dates: DateRange | None,
) -> dict[str, Any]:
    data = data if isinstance(data, dict) else {}
    navigation = data.get("navigation") if isinstance(data.get("navigation"), dict) else {}
    paging = data.get("paging") if isinstance(data.get("paging"), dict) else {}
    records = data.get("records") if isinstance(data.get("records"), list) else []
    kept = dates.query() if dates else {}

    def link(number: int, **extra: str) -> str:
        query = {"api": page.key, "page": number, "perPage": per_page, **kept, **extra}
        return request.route_path("api.page", _query=query)

    return {
        "page": page,
        "pages": PAGES,
        "records": [record for record in records if isinstance(record, dict)],
        "page_number": page_number,
        "per_page": per_page,
        "total_pages": paging.get("totalPages"),
        "next_url": link(page_number + 1) if "nextPage" in navigation else None,
        "previous_url": (
            link(page_number - 1) if "previousPage" in navigation and page_number > 1 else None
        ),
        "json_url": link(page_number, format="json"),
        "refresh_url": link(page_number, refresh="1"),
        "dates": dates,
        "zone": request.registry.app_settings.app.timezone,
    }


def _freshness(request: Request, answer: Answer, refresh_url: str) -> dict[str, Any]:
    """How old the data is, and when fresher data can come if the budget is spent."""
    zone = request.registry.app_settings.app.timezone
    fetched = datetime.fromtimestamp(answer.fetched_at, UTC).astimezone(zone)
    fresh_at = None
    if answer.fresh_in is not None:
        fresh_at = (request.registry.clock() + timedelta(seconds=answer.fresh_in)).astimezone(zone)
    return {
        "as_of": fetched.strftime("%H:%M:%S"),
        "as_of_iso": fetched.isoformat(timespec="seconds"),
        "fresh_at": fresh_at.strftime("%H:%M:%S") if fresh_at else None,
        "refresh_url": None if fresh_at else refresh_url,
    }
