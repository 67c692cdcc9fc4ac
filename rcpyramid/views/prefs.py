"""The person's choices that outlive a page: the time zone their times are shown in."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from rcpyramid.views.safety import safe_local_path
from rcpyramid.views.signed_in import SIGNED_IN
from rcpyramid.views.zones import (
    ZONE_KEY,
    browser_names,
    zone_choice,
    zone_groups,
    zone_named,
    zone_names,
)

TEMPLATE = "rcpyramid.templates:time_zone.jinja2"


@view_config(
    route_name="prefs.zone", request_method="POST", permission=SIGNED_IN, renderer=TEMPLATE
)
def choose_zone(request: Request) -> Response | dict[str, Any]:
    """Remember a zone in the session ("" goes back to RingCentral's), then return to the page."""
    back = safe_local_path(request.POST.get("return_to"), default=request.route_path("home"))
    name = request.POST.get("zone", "").strip()
    if not name:
        request.session.pop(ZONE_KEY, None)
    elif zone_named(name) is not None and (name in zone_names() or name in browser_names()):
        request.session[ZONE_KEY] = name
    else:
        request.response.status = 400
        return _values(
            request,
            back,
            f"There is no time zone called \u201c{name[:64]}\u201d. "
            "Pick one from the list, such as Europe/Paris.",
        )
    return HTTPSeeOther(location=back)


@view_config(route_name="prefs.zone", request_method="GET", permission=SIGNED_IN, renderer=TEMPLATE)
def zone_page(request: Request) -> dict[str, Any]:
    back = safe_local_path(request.GET.get("return_to"), default=request.route_path("home"))
    return _values(request, back, "")


def _values(request: Request, back: str, problem: str) -> dict[str, Any]:
    return {
        "zone": zone_choice(request),
        "zone_groups": zone_groups(),
        "zone_problem": problem,
        "return_to": back,
    }
