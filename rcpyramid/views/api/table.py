"""The values an API page is rendered from: the pager, the rows, the form, the freshness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from pyramid.request import Request

from rcpyramid.cache import Answer, Cache
from rcpyramid.views.api.query import PAGE_SIZES, CallQuery
from rcpyramid.views.calllog import records_of
from rcpyramid.views.directory import directory_query, directory_values
from rcpyramid.views.links import readable_path_qs, route_with_query
from rcpyramid.views.pages import DIRECTORY, ApiPage
from rcpyramid.views.safety import safe_local_path
from rcpyramid.views.signed_in import Person, as_mapping
from rcpyramid.views.zones import ZoneChoice


@dataclass(frozen=True)
class ApiView:
    """One API page as asked for: which page, which slice, for whom, and what came back."""

    page: ApiPage
    page_number: int
    per_page: int
    #: The call-log form (None for pages without dates).
    query: CallQuery | None
    zone: ZoneChoice
    who: Person | None
    now: datetime
    #: RingCentral's answer; None when the form was refused before asking.
    answer: Answer | None = None
    status: int = 200

    def link(self, request: Request, number: int, **extra: str) -> str:
        """This page's address at page ``number``, with the same slice and form."""
        if self.query is not None:
            kept = self.query.query()
        elif self.page.key == DIRECTORY:
            kept = directory_query(request.GET).query()
        else:
            kept = {}
        values = {"api": self.page.key, "page": number, "perPage": self.per_page, **kept}
        return route_with_query(request, "api.page", {**values, **extra})


@dataclass(frozen=True)
class QuickRange:
    label: str
    url: str
    current: bool


def quick_ranges(request: Request, view: ApiView, zone: tzinfo) -> list[QuickRange]:
    """Today, yesterday, the last week and month: links that keep the filters and page size."""
    assert view.query is not None
    query, page, per_page = view.query, view.page, view.per_page
    today = view.now.astimezone(zone).date()
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


def memo_key(request: Request, view: ApiView) -> tuple[Any, ...] | None:
    """What the rendered page depends on, or None when it must not be kept."""
    answer = view.answer
    # Kept only where the answer is kept too (dogpile.cache.null: every view is new).
    if not request.find_service(Cache).answers.enabled:
        return None
    if answer is None or view.status != 200 or answer.fresh_in is not None or answer.unavailable:
        return None
    csrf = request.session.get_csrf_token()
    # The path and query as received: read from the environ, not built again.
    environ = request.environ
    address = (environ.get("SCRIPT_NAME"), environ.get("PATH_INFO"), environ.get("QUERY_STRING"))
    key = (view.page.key, answer.key, answer.fetched_at, request.host_url, *address)
    return (*key, csrf, view.zone, view.who)


def page_values(
    request: Request, view: ApiView, data: Any = None, total: int | None = None
) -> dict[str, Any]:
    """Everything ``api_calls.jinja2`` or ``api_extensions.jinja2`` shows.

    ``data`` is RingCentral's answer, or a call-log page built from the local history
    (with ``total``, which RingCentral's call log never says).
    """
    page, page_number, per_page = view.page, view.page_number, view.per_page
    if data is None:
        data = view.answer.data if view.answer is not None else None
    data = as_mapping(data)
    navigation = as_mapping(data.get("navigation"))
    paging = as_mapping(data.get("paging"))
    records = records_of(data)

    def link(number: int, **extra: str) -> str:
        return view.link(request, number, **extra)

    total_pages = _int_or_none(paging.get("totalPages"))
    if total is not None:
        total_pages = max(-(-total // per_page), 1)
    first_index = (page_number - 1) * per_page + 1
    past_end = bool(data) and not records and page_number > 1
    values: dict[str, Any] = {
        "page": page,
        "status": view.status,
        "page_number": page_number,
        "per_page": per_page,
        "page_sizes": sorted({*PAGE_SIZES, per_page}),
        "first_index": first_index,
        "last_index": first_index + len(records) - 1,
        "count": len(records),
        "total": total if total is not None else _int_or_none(paging.get("totalElements")),
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
        "zone": view.zone,
        "return_to": safe_local_path(readable_path_qs(request), default=""),
        "country": view.who.country if view.who else "US",
    }
    if not page.dated:
        # The call logs' rows, form and links are :func:`.calls.calls_values`'.
        values["records"] = records
    if page.key == DIRECTORY:
        values.update(
            directory_values(
                request,
                records,
                directory_query(request.GET),
                admin=bool(view.who and view.who.admin),
                country=values["country"],
                window=(page_number, per_page),
            )
        )
        if "matches" in values:
            # A search is paged here: its own pager, never RingCentral's.
            values.update(
                next_url=link(page_number + 1) if page_number < values["total_pages"] else None,
                previous_url=link(page_number - 1) if page_number > 1 else None,
                last_url=link(values["total_pages"]),
            )
    if view.answer is not None:
        values.update(freshness(request, view.answer, link(page_number, refresh="1"), view.zone))
    return values


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def freshness(
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
        "unavailable": answer.unavailable,
    }
