"""Exception and not-found views: every /restapi answer stays JSON."""

from __future__ import annotations

import logging

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPException
from pyramid.request import Request
from pyramid.response import Response

from .. import api_errors, errors
from ..rendering import render
from ..wire import html_response, json_response
from .guards import bearer_owner, throttle

log = logging.getLogger(__name__)


def simulator_error(exc: errors.SimulatorError, request: Request) -> Response:
    """Render an OAuth or API error in its wire shape."""
    return json_response(exc.body(), status=exc.status, headers=exc.headers)


def not_found(exc: HTTPException, request: Request) -> Response:
    """Unknown paths: 404 CMN-120 under /restapi, a plain 404 elsewhere."""
    if request.path_info.startswith("/restapi"):
        try:
            throttle(request, "Light", bearer_owner(request))
        except errors.ApiError as limited:
            return simulator_error(limited, request)
        return simulator_error(api_errors.invalid_uri(), request)
    if request.path_info.startswith("/simulator/"):
        return json_response({"error": "not found"}, status=404)
    # A person who mistyped an address gets a page with a way on, in the simulator's dress.
    page = render(
        "not_found.jinja2", path=request.path_info[:200], home_url=request.route_path("sim.home")
    )
    return html_response(page, status=404)


def http_exception(exc: HTTPException, request: Request) -> Response:
    """Other HTTP exceptions keep their status; JSON under /restapi."""
    if request.path_info.startswith("/restapi"):
        return json_response(
            {
                "errorCode": "CMN-000",
                "message": exc.title,
                "errors": [{"errorCode": "CMN-000", "message": exc.title}],
            },
            status=exc.code or 500,
        )
    return exc


def unexpected(exc: Exception, request: Request) -> Response:
    """A bug in the simulator: log it, answer 500 in the right format."""
    log.error("unexpected error on %s %s", request.method, request.path_info, exc_info=exc)
    message = "Internal simulator error"
    if request.path_info.startswith("/restapi"):
        return json_response(
            {
                "errorCode": "SIM-500",
                "message": message,
                "errors": [{"errorCode": "SIM-500", "message": message}],
            },
            status=500,
        )
    return Response(message + "\n", status=500, content_type="text/plain", charset="utf-8")


def includeme(config: Configurator) -> None:
    """Register the error views."""
    config.add_exception_view(simulator_error, context=errors.SimulatorError)
    config.add_notfound_view(not_found)
    config.add_exception_view(http_exception, context=HTTPException)
    config.add_exception_view(unexpected, context=Exception)
