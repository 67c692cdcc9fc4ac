"""The person's choices that outlive a page: the time zone their times are shown in."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from rcpyramid.views.people import ZONE_KEY, person, zone_choice, zone_named, zone_names
from rcpyramid.views.safety import no_store, safe_local_path


@view_config(route_name="prefs.zone", request_method="POST", person=True)
def choose_zone(request: Request) -> Response:
    """Remember a zone in the session ("" goes back to RingCentral's), then return to the page."""
    back = safe_local_path(request.POST.get("return_to"), default=request.route_path("home"))
    if person(request) is None:
        return HTTPSeeOther(location=request.route_path("home"))
    name = request.POST.get("zone", "").strip()
    if not name:
        request.session.pop(ZONE_KEY, None)
    elif zone_named(name) is not None and name in zone_names():
        request.session[ZONE_KEY] = name
    else:
        response = request.response
        response.status = 400
        return no_store(
            _render(
                request,
                back,
                f"There is no time zone called \u201c{name[:64]}\u201d. "
                "Pick one from the list, such as Europe/Paris.",
            )
        )
    return no_store(HTTPSeeOther(location=back))


@view_config(route_name="prefs.zone", request_method="GET", person=True)
def zone_page(request: Request) -> Response:
    if person(request) is None:
        return HTTPFound(location=request.route_path("home"))
    back = safe_local_path(request.GET.get("return_to"), default=request.route_path("home"))
    return no_store(_render(request, back, ""))


def _render(request: Request, back: str, problem: str) -> Response:
    from pyramid.renderers import render

    response = request.response
    response.text = render(
        "time_zone.jinja2",
        {
            "zone": zone_choice(request),
            "zone_names": zone_names(),
            "zone_problem": problem,
            "return_to": back,
        },
        request=request,
    )
    return response
