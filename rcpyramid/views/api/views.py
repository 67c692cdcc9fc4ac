"""The views of ``/test?api=...``, one per output, chosen by the ``api_output`` predicate.

Each returns a dict to its renderer: the HTML page (``api_calls`` or ``api_extensions``),
RingCentral's JSON as received (``json``), the same pretty-printed (``view=json``), and a
call log's whole range as CSV (``format=csv``). What they share, reading the address
and asking RingCentral, is :func:`asked` and :func:`answer_for`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPFound
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config, view_config

from rcpyramid.cache import Answer
from rcpyramid.ringcentral import timing
from rcpyramid.ringcentral.cached import CachedRingCentral
from rcpyramid.ringcentral.errors import PermissionDeniedError, RingCentralError
from rcpyramid.views.api.calls import calls_values, detail_values, found_for, is_company
from rcpyramid.views.api.csv_export import CsvRenderer, csv_values
from rcpyramid.views.api.history import owner_of, ringcentral_json
from rcpyramid.views.api.memo import PageMemo
from rcpyramid.views.api.query import (
    DEFAULT_PER_PAGE,
    MAX_PAGE,
    MAX_PER_PAGE,
    bounded_int,
    call_query,
)
from rcpyramid.views.api.table import ApiView, memo_key, page_values
from rcpyramid.views.directory import WHOLE_LIST, directory_query
from rcpyramid.views.errors import BadInputError
from rcpyramid.views.links import route_with_query
from rcpyramid.views.pages import DIRECTORY, PAGES
from rcpyramid.views.safety import wants_json
from rcpyramid.views.signed_in import SIGNED_IN, person
from rcpyramid.views.zones import zone_choice

OUTPUTS = ("html", "json", "json_view", "csv")


def output_of(request: Request) -> str:
    """Which of :data:`OUTPUTS` the address asks for; CSV only for pages with dates."""
    page = PAGES.get(request.GET.get("api", ""))
    if request.GET.get("format") == "csv" and page is not None and page.dated:
        return "csv"
    if wants_json(request):
        return "json"
    if request.GET.get("view") == "json":
        return "json_view"
    return "html"


class ApiOutputPredicate:
    """``api_output="csv"``: the view for that output of :func:`output_of`."""

    def __init__(self, value: str, config: Configurator) -> None:
        assert value in OUTPUTS, value
        self.value = value

    def text(self) -> str:
        return f"api_output = {self.value}"

    phash = text

    def __call__(self, context: Any, request: Request) -> bool:
        return output_of(request) == self.value


class AdminsOnly(Exception):
    """The company's calls, asked for by someone RingCentral would refuse (a 403 page)."""


def asked(request: Request) -> ApiView:
    """What the address asks for, checked; a person's mistake raises :class:`BadInputError`."""
    page = PAGES.get(request.GET.get("api", ""))
    if page is None:
        raise BadInputError("There is no such API page. Choose one of: " + ", ".join(PAGES) + ".")
    who = person(request)
    if page.admin_only and who is not None and who.admin is False:
        raise AdminsOnly
    page_number = bounded_int(request.GET, "page", 1, MAX_PAGE)
    per_page = bounded_int(request.GET, "perPage", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    if request.GET.get("format", "") not in ("", "json", "csv", "html"):
        raise BadInputError("format can be json or csv, or left out for the page.")
    zone = zone_choice(request)
    now = request.registry.clock()
    query = call_query(request.GET, zone.zone, now) if page.dated else None
    return ApiView(page, page_number, per_page, query, zone, who, now)


def answer_for(request: Request, view: ApiView) -> Answer:
    """RingCentral's answer for ``view``, through the cache."""
    params, key_params = _params(request, view)
    timing.start()
    try:
        answer: Answer = request.find_service(CachedRingCentral).cached_get(
            request.identity,
            view.page.path,
            params,
            key_params=key_params,
            refresh=request.GET.get("refresh") == "1",
        )
    except PermissionDeniedError:
        request.registry.waits.note(view.page.key, timing.spent())
        if view.page.admin_only:
            raise AdminsOnly from None
        raise
    except RingCentralError:
        request.registry.waits.note(view.page.key, timing.spent())
        raise
    # Only RingCentral's time is noted (not the token store's: a stalled database, a
    # refresh lock waited for), and not at all for a failure of the token store.
    request.registry.waits.note(view.page.key, timing.spent())
    return answer


def _params(request: Request, view: ApiView) -> tuple[dict[str, Any], dict[str, Any]]:
    """What RingCentral is asked for ``view``, and what its cached answer is keyed by."""
    params: dict[str, Any] = {"page": view.page_number, "perPage": view.per_page}
    if view.page.key == DIRECTORY:
        wanted = directory_query(request.GET)
        if wanted.searching:
            # RingCentral cannot search text: the whole list, filtered and paged here.
            params = {"page": 1, "perPage": WHOLE_LIST}
        # RingCentral filters by type and status itself (``type`` may repeat: a list).
        for name, value in wanted.ringcentral_params():
            params.setdefault(name, [])
            params[name].append(value)
    key_params = dict(params)
    query = view.query
    if query is not None:
        params.update(query.ringcentral_params())
        # "The last 24 hours" ends at a new second on every view: keyed as the default
        # window, repeated views share one answer.
        key_params.update(params if query.dates and query.dates.chosen else {"window": "default"})
        key_params.update({k: v for k, v in params.items() if k in ("direction", "type")})
    return params, key_params


def _waiting_page(request: Request, view: ApiView) -> dict[str, Any] | None:
    """A page saying what is being fetched, when the fetch is likely to be slow; else None.

    Only after this page's last fetch took a while, and only when no fresh answer is kept:
    the page reloads itself at once (``<meta http-equiv="refresh">``, no script, so the
    CSP holds) with ``wait=1``, and the browser keeps showing it until the slow page
    arrives.
    """
    if request.GET.get("wait") == "1" or not request.registry.waits.slow(view.page.key):
        return None
    _, key_params = _params(request, view)
    api = request.find_service(CachedRingCentral)
    if request.GET.get("refresh") != "1" and api.has_fresh(
        request.identity, view.page.path, key_params
    ):
        return None
    query = {k: v for k, v in request.GET.items() if k != "wait"}
    request.override_renderer = "rcpyramid.templates:waiting.jinja2"
    return {
        "page": view.page,
        "what": WAITING_WORDS.get(view.page.key, "this page"),
        "next_url": route_with_query(request, "api.page", {**query, "wait": "1"}),
        "seconds": round(request.registry.waits.last(view.page.key)),
    }


def history_json(request: Request, view: ApiView) -> dict[str, Any]:
    """A call-log page as RingCentral shapes it, from the local history."""
    assert view.query is not None
    found = found_for(request, view, owner_of(request, is_company(view)))
    return ringcentral_json(
        request, view.page.path, view.query, view.page_number, view.per_page, found
    )


def _refuse_for_machines(view: ApiView) -> None:
    """A JSON or CSV client gets the form's first problem as a 400."""
    if view.query is not None and view.query.problems:
        raise BadInputError(view.query.problems[0].message)


def _html(request: Request, view: ApiView) -> dict[str, Any] | Response:
    """The page's values, or its body from the memo; the renderer is the page's template."""
    response = request.response
    response.headers["Vary"] = "Accept"
    if view.query is not None and view.query.problems:
        response.status = 400
        return _rendered_by_its_template(request, calls_values(request, replace(view, status=400)))
    if view.page.dated:
        # The call logs read the local history: no call to RingCentral for call records.
        call_id = request.GET.get("call")
        if call_id is not None:
            values = detail_values(request, view, call_id)
            request.override_renderer = "rcpyramid.templates:call_detail.jinja2"
            return values
        return _rendered_by_its_template(request, calls_values(request, view))
    waiting = _waiting_page(request, view)
    if waiting is not None:
        return waiting
    view = replace(view, answer=answer_for(request, view))
    key = memo_key(request, view)
    memo = request.find_service(PageMemo)
    if key is not None:
        kept = memo.get(key)
        if kept is not None:
            response.body = kept
            return response
        request.add_response_callback(functools.partial(_keep, memo, key))
    return _rendered_by_its_template(request, page_values(request, view))


def _keep(memo: PageMemo, key: tuple[Any, ...], request: Request, response: Response) -> None:
    """Keep the rendered page; never an error page that took its place."""
    if request.exception is None and response.status_code == 200:
        memo.put(key, response.body)


def _rendered_by_its_template(request: Request, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` for the page's own template (two pages, two templates, one view).

    Set last: an exception raised before must reach its error page's renderer.
    """
    request.override_renderer = values["page"].template
    return values


@view_config(
    route_name="api.page",
    request_method="GET",
    api_output="html",
    permission=SIGNED_IN,
    renderer="rcpyramid.templates:api_calls.jinja2",
)
def api_page(request: Request) -> dict[str, Any] | Response:
    if not request.GET.get("api"):
        return HTTPFound(location=request.route_path("home"))
    return _html(request, asked(request))


@view_config(route_name="api.page", request_method="GET", api_output="json", permission=SIGNED_IN)
def api_json(request: Request) -> Response:
    """RingCentral's JSON, byte for byte as received."""
    if not request.GET.get("api"):
        return HTTPFound(location=request.route_path("home"))
    view = asked(request)
    _refuse_for_machines(view)
    if view.page.dated:
        body = json.dumps(history_json(request, view), ensure_ascii=False).encode()
    else:
        body = answer_for(request, view).body
    response = Response(body=body, content_type="application/json", charset="utf-8")
    response.headers["Vary"] = "Accept"
    return response


@view_config(
    route_name="api.page",
    request_method="GET",
    api_output="json_view",
    permission=SIGNED_IN,
    renderer="rcpyramid.templates:api_json.jinja2",
)
def api_json_view(request: Request) -> dict[str, Any] | Response:
    """The same JSON, pretty-printed in a page, with links to the raw JSON and the table."""
    if not request.GET.get("api"):
        return HTTPFound(location=request.route_path("home"))
    view = asked(request)
    if view.query is not None and view.query.problems:
        return _html(request, view)
    data = history_json(request, view) if view.page.dated else answer_for(request, view).data
    request.response.headers["Vary"] = "Accept"
    return {
        "page": view.page,
        "pretty": json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False),
        "raw_url": view.link(request, view.page_number, format="json"),
        "table_url": view.link(request, view.page_number),
    }


@view_config(
    route_name="api.page",
    request_method="GET",
    api_output="csv",
    permission=SIGNED_IN,
    renderer="csv",
)
def api_csv(request: Request) -> dict[str, Any] | Response:
    """A call log's whole range as a CSV file (see :mod:`.csv_export`)."""
    view = asked(request)
    _refuse_for_machines(view)
    return csv_values(request, view)


@exception_view_config(AdminsOnly, renderer="rcpyramid.templates:admins_only.jinja2")
def admins_only(exc: AdminsOnly, request: Request) -> dict[str, Any]:
    """The company's calls, asked for by someone RingCentral would refuse: say why, plainly."""
    request.response.status = 403
    return {"own_url": route_with_query(request, "api.page", {"api": "extension-call-log"})}


#: What the waiting page says it is fetching.
WAITING_WORDS = {
    "extension": "your company's directory",
    "extension-call-log": "your call log",
    "account-call-log": "the company's call log",
}


class Waits:
    """How long each API page's last fetch took in this process (seconds)."""

    #: A fetch at least this long makes the next uncached view show the waiting page.
    SLOW = 1.0

    def __init__(self) -> None:
        self._last: dict[str, float] = {}

    def note(self, key: str, seconds: float) -> None:
        self._last[key] = seconds

    def last(self, key: str) -> float:
        return self._last.get(key, 0.0)

    def slow(self, key: str) -> bool:
        return self.last(key) >= self.SLOW


def includeme(config: Configurator) -> None:
    config.register_service(PageMemo(), PageMemo)
    config.registry.waits = Waits()
    config.add_view_predicate("api_output", ApiOutputPredicate)
    config.add_renderer("csv", CsvRenderer)
