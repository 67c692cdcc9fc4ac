"""The seed's three API pages: a readable table, or RingCentral's JSON as received."""

from __future__ import annotations

from dataclasses import dataclass

from pyramid.httpexceptions import HTTPFound
from pyramid.renderers import render
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from rcpyramid.ringcentral.api import RingCentralApi
from rcpyramid.security import current_login_id
from rcpyramid.views.errors import BadInputError
from rcpyramid.views.safety import no_store


@dataclass(frozen=True)
class ApiPage:
    key: str
    title: str
    link: str
    path: str
    template: str


PAGES: dict[str, ApiPage] = {
    page.key: page
    for page in (
        ApiPage(
            "extension",
            "Extensions",
            "Read Extension Info",
            "/restapi/v1.0/account/~/extension",
            "api_extensions.jinja2",
        ),
        ApiPage(
            "extension-call-log",
            "Your call log",
            "Read Extension Call Log",
            "/restapi/v1.0/account/~/extension/~/call-log",
            "api_calls.jinja2",
        ),
        ApiPage(
            "account-call-log",
            "Account call log",
            "Read Account Call Log",
            "/restapi/v1.0/account/~/call-log",
            "api_calls.jinja2",
        ),
    )
}

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 1000
MAX_PAGE = 100_000


def _bounded_int(request: Request, name: str, default: int, largest: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= largest:
        raise BadInputError(f"{name} must be a whole number from 1 to {largest}.")
    return int(raw)


def wants_json(request: Request) -> bool:
    if request.GET.get("format") == "json":
        return True
    offers = request.accept.acceptable_offers(["text/html", "application/json"])
    return bool(offers) and offers[0][0] == "application/json"


@view_config(route_name="api.page", request_method="GET")
def api_page(request: Request) -> Response:
    login_id = current_login_id(request)
    api_key = request.GET.get("api")
    if login_id is None or not api_key:
        # The seed sent anyone without a session (or without a page) home.
        return HTTPFound(location=request.route_path("home"))
    page = PAGES.get(api_key)
    if page is None:
        raise BadInputError("There is no such API page. Choose one of: " + ", ".join(PAGES) + ".")
    page_number = _bounded_int(request, "page", 1, MAX_PAGE)
    per_page = _bounded_int(request, "perPage", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    params = {"page": page_number, "perPage": per_page}
    answer = request.find_service(RingCentralApi).get(login_id, page.path, params)

    if wants_json(request):
        response = Response(body=answer.body, content_type="application/json", charset="utf-8")
    else:
        data = answer.data if isinstance(answer.data, dict) else {}
        navigation = data.get("navigation") if isinstance(data.get("navigation"), dict) else {}
        paging = data.get("paging") if isinstance(data.get("paging"), dict) else {}
        records = data.get("records") if isinstance(data.get("records"), list) else []

        def link(number: int) -> str:
            return request.route_path(
                "api.page", _query={"api": page.key, "page": number, "perPage": per_page}
            )

        response = request.response
        response.text = render(
            page.template,
            {
                "page": page,
                "pages": PAGES,
                "records": [r for r in records if isinstance(r, dict)],
                "page_number": page_number,
                "per_page": per_page,
                "total_pages": paging.get("totalPages"),
                "next_url": link(page_number + 1) if "nextPage" in navigation else None,
                "previous_url": (
                    link(page_number - 1)
                    if "previousPage" in navigation and page_number > 1
                    else None
                ),
                "json_url": request.route_path(
                    "api.page",
                    _query={
                        "api": page.key,
                        "page": page_number,
                        "perPage": per_page,
                        "format": "json",
                    },
                ),
            },
            request=request,
        )
    response.headers["Vary"] = "Accept"
    return no_store(response)
