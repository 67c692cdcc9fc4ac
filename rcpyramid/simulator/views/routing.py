"""How the REST views are routed: a table of route name -> (pattern, view), one method each."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response

ACCOUNT = "/restapi/v1.0/account/{account_id}"
EXTENSION = ACCOUNT + "/extension/{extension_id}"

View = Callable[[Request], Response]


def add_routes(
    config: Configurator, routes: Mapping[str, tuple[str, View]], method: str = "GET"
) -> None:
    """Add each route, in order, with its view answering `method`."""
    for name, (pattern, view) in routes.items():
        config.add_route(name, pattern)
        config.add_view(view, route_name=name, request_method=method)
