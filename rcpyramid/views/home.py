"""The home page: a sign-in button (with the simulator's demo users), or the dashboard.

The dashboard's values are :mod:`.dashboard`; its calls to return, :mod:`.callbacks`.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPFound
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from rcpyramid.ringcentral.cached import CachedRingCentral
from rcpyramid.ringcentral.errors import SignedOutError
from rcpyramid.simulator.directory import DEMO_USERS, DemoUser
from rcpyramid.views.dashboard import dashboard
from rcpyramid.views.safety import safe_local_path


@view_config(route_name="home", request_method="GET", renderer="rcpyramid.templates:home.jinja2")
def home(request: Request) -> dict[str, Any]:
    login_id = request.identity
    signed_in = False
    if login_id:
        try:
            request.find_service(CachedRingCentral).load(login_id)
            signed_in = True
        except SignedOutError:
            signed_in = False
    messages = request.session.pop_flash()
    if not signed_in:
        wanted = safe_local_path(request.GET.get("next"), default="")
        return {
            "signed_in": False,
            "messages": messages,
            "return_to": wanted,
            "demo_users": demo_users(request),
        }
    assert login_id is not None
    request.override_renderer = "rcpyramid.templates:dashboard.jinja2"
    return {**dashboard(request, login_id), "messages": messages}


def demo_users(request: Request) -> list[DemoUser]:
    """Who can sign in at the built-in simulator; none where RingCentral is real.

    The settings refuse the built-in simulator in production, so this is development only.
    """
    settings = request.registry.app_settings
    if not settings.ringcentral.builtin_simulator or settings.app.production:
        return []
    return list(DEMO_USERS)


@view_config(route_name="home.index")
def index(request: Request) -> Response:
    return HTTPFound(location=request.route_path("home"))
