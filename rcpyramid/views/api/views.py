"""The views of ``/test?api=...``, one per output, chosen by the ``api_output`` predicate.

Each returns a dict to its renderer: the HTML page (``api_calls`` or ``api_extensions``),
RingCentral's JSON as received (``json``), the same pretty-printed (``view=json``), and a
call log's whole range as CSV (``format=csv``). What they share, reading the address,
is :func:`asked`; asking RingCentral (the directory only) is :mod:`.asking`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPFound
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config, view_config, view_defaults

from rcpyramid.views.api.asking import Waits, answer_for, waiting_page
from rcpyramid.views.api.call_log_json import ringcentral_json
from rcpyramid.views.api.calls import (
    calls_memo_key,
    calls_values,
    detail_values,
    found_for,
    is_company,
)
from rcpyramid.views.api.csv_export import CsvRenderer, csv_values
from rcpyramid.views.api.history import owner_of
from rcpyramid.views.api.memo import PageMemo, memoised
from rcpyramid.views.api.query import (
    DEFAULT_PER_PAGE,
    MAX_PAGE,
    MAX_PER_PAGE,
    bounded_int,
    call_query,
)
from rcpyramid.views.api.table import ApiView, memo_key, page_values
from rcpyramid.views.errors import BadInputError
from rcpyramid.views.links import route_with_query
from rcpyramid.views.pages import PAGES
from rcpyramid.views.safety import wants_json
from rcpyramid.views.signed_in import SIGNED_IN, person
from rcpyramid.views.zones import zone_choice

OUTPUTS = ("home", "html", "json", "json_view", "csv")


#: Where :func:`output_of` keeps its answer: each output's view predicate asks it.
OUTPUT_KEY = "rcpyramid.api_output"


def output_of(request: Request) -> str:
    """Which of :data:`OUTPUTS` the address asks for, worked out once per request."""
    output = request.environ.get(OUTPUT_KEY)
    if output is None:
        output = request.environ[OUTPUT_KEY] = _output_asked(request)
    return str(output)


def _output_asked(request: Request) -> str:
    """CSV only for pages with dates; JSON by ``format=json`` or ``Accept``."""
    if not request.GET.get("api"):
        return "home"
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
        key, coverage = calls_memo_key(request, view)
        kept = memoised(request, key)
        if kept is not None:
            return kept
        return _rendered_by_its_template(request, calls_values(request, view, coverage))
    waiting = waiting_page(request, view)
    if waiting is not None:
        return waiting
    view = replace(view, answer=answer_for(request, view))
    kept = memoised(request, memo_key(request, view))
    if kept is not None:
        return kept
    return _rendered_by_its_template(request, page_values(request, view))


def _rendered_by_its_template(request: Request, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` for the page's own template (two pages, two templates, one view).

    Set last: an exception raised before must reach its error page's renderer.
    """
    request.override_renderer = values["page"].template
    return values


@view_defaults(route_name="api.page", request_method="GET", permission=SIGNED_IN)
class ApiPage:
    """``/test?api=...``: one method per output, chosen by the ``api_output`` predicate.

    Pyramid tries them in the order written: the HTML page, asked for most, comes first.
    """

    def __init__(self, request: Request) -> None:
        self.request = request

    @view_config(api_output="html", renderer="rcpyramid.templates:api_calls.jinja2")
    def page(self) -> dict[str, Any] | Response:
        return _html(self.request, asked(self.request))

    @view_config(api_output="json")
    def raw_json(self) -> Response:
        """RingCentral's JSON, byte for byte as received."""
        request = self.request
        view = asked(request)
        _refuse_for_machines(view)
        if view.page.dated:
            body = json.dumps(history_json(request, view), ensure_ascii=False).encode()
        else:
            body = answer_for(request, view).body
        response = Response(body=body, content_type="application/json", charset="utf-8")
        response.headers["Vary"] = "Accept"
        return response

    @view_config(api_output="json_view", renderer="rcpyramid.templates:api_json.jinja2")
    def json_page(self) -> dict[str, Any] | Response:
        """The same JSON, pretty-printed in a page, with links to the raw JSON and the table."""
        request = self.request
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

    @view_config(api_output="csv", renderer="csv")
    def csv_file(self) -> dict[str, Any]:
        """A call log's whole range as a CSV file (see :mod:`.csv_export`)."""
        view = asked(self.request)
        _refuse_for_machines(view)
        return csv_values(self.request, view)

    @view_config(api_output="home")
    def dashboard(self) -> Response:
        """No page asked for: the dashboard lists them."""
        return HTTPFound(location=self.request.route_path("home"))


@exception_view_config(AdminsOnly, renderer="rcpyramid.templates:admins_only.jinja2")
def admins_only(exc: AdminsOnly, request: Request) -> dict[str, Any]:
    """The company's calls, asked for by someone RingCentral would refuse: say why, plainly."""
    request.response.status = 403
    return {"own_url": route_with_query(request, "api.page", {"api": "extension-call-log"})}


def includeme(config: Configurator) -> None:
    config.register_service(PageMemo(), PageMemo)
    config.registry.waits = Waits()
    config.add_view_predicate("api_output", ApiOutputPredicate)
    config.add_renderer("csv", CsvRenderer)
