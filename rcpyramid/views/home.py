"""The home page: a sign-in button, or the signed-in person's menu."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from rcpyramid.ringcentral.api import RingCentralApi
from rcpyramid.ringcentral.errors import SignedOutError
from rcpyramid.views.api import PAGES
from rcpyramid.views.safety import no_store


@view_config(route_name="home", request_method="GET", renderer="home.jinja2", person=True)
def home(request: Request) -> dict:
    login_id = request.login
    token = None
    if login_id:
        try:
            token = request.find_service(RingCentralApi).load(login_id)
        except SignedOutError:
            token = None
    no_store(request.response)
    return {
        "signed_in": token is not None,
        "name": (token.owner_name or f"extension {token.owner_id}") if token else "",
        "pages": PAGES,
        "messages": request.session.pop_flash(),
    }


@view_config(route_name="home.index")
def index(request: Request) -> Response:
    return HTTPFound(location=request.route_path("home"))
