"""The home page's buttons: place a call, expire sync tokens, fail deliveries (HTML forms).

The JSON controls refuse form posts so no other site can drive them; these forms carry a
token only the simulator's own page knows (a per-process secret: a cross-site form cannot
read it) and, when the browser sends one, an Origin that must be the simulator's.
"""

from __future__ import annotations

import hmac
from html import escape

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response

from ..office import CallError, CallRequest, place_call
from ..wire import html_response
from .guards import simulator

FORM_PATH = "/simulator/office"


def _refuse(message: str, status: int = 400) -> Response:
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Not done · SIMULATED RingCentral</title></head><body><main>"
        f'<h1>Not done</h1><p>{escape(message)}</p><p><a href="/">Back to the simulator</a></p>'
        "</main></body></html>"
    )
    return html_response(page, status=status)


def office_form(request: Request) -> Response:
    """POST /simulator/office: one of the home page's buttons."""
    sim = simulator(request)
    form = request.POST
    token = form.get("form_token", "")
    if not hmac.compare_digest(token.encode(), sim.form_token.encode()):
        return _refuse("This form has expired or did not come from the simulator's page.", 403)
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") != request.host_url:
        return _refuse("This form did not come from the simulator's page.", 403)
    action = form.get("action")
    if action == "call":
        duration = form.get("duration", "0").strip()
        if not duration.isdigit():
            return _refuse("The duration must be a whole number of seconds.")
        req = CallRequest(
            username=form.get("username", ""),
            direction=form.get("direction", ""),
            other=form.get("other", "").strip(),
            result=form.get("result", ""),
            duration=int(duration),
        )
        try:
            place_call(sim, req)
        except CallError as error:
            return _refuse(f"The call was not placed: {error}.")
    elif action == "expire-sync-tokens":
        sim.sync_generation += 1
    elif action == "fail-deliveries":
        sim.push.worker.quirks.fail = 3
    else:
        return _refuse("Unknown button.")
    return HTTPSeeOther(location=request.route_path("sim.home", _anchor="activity"))


def includeme(config: Configurator) -> None:
    """Route and view of the home page's forms."""
    config.add_route("sim.office", FORM_PATH)
    config.add_view(office_form, route_name="sim.office", request_method="POST")
