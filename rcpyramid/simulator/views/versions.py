"""The API's version documents: GET /restapi and /restapi/v1.0 (reference §1)."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response

from ..wire import json_response
from .guards import bearer_owner, throttle
from .routing import add_routes

API_VERSION = {
    "versionString": "1.0.31",
    "releaseDate": "2017-09-05T00:00:00.000Z",
    "uriString": "v1.0",
}


def versions(request: Request) -> Response:
    """GET /restapi: the API versions document."""
    throttle(request, "Light", bearer_owner(request))
    host = request.host_url
    return json_response(
        {
            "uri": f"{host}/restapi/",
            "apiVersions": [{"uri": f"{host}/restapi/v1.0", **API_VERSION}],
            "serverVersion": "rcpyramid-simulator",
            "serverRevision": "1",
        }
    )


def version(request: Request) -> Response:
    """GET /restapi/v1.0: the version document."""
    throttle(request, "Light", bearer_owner(request))
    return json_response({"uri": f"{request.host_url}/restapi/v1.0", **API_VERSION})


def includeme(config: Configurator) -> None:
    """Routes and views of the version documents, with and without the trailing slash."""
    routes = {
        "rc.versions": ("/restapi", versions),
        "rc.versions_slash": ("/restapi/", versions),
        "rc.version": ("/restapi/v1.0", version),
        "rc.version_slash": ("/restapi/v1.0/", version),
    }
    add_routes(config, routes)
