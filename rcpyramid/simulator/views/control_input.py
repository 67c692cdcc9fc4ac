"""What a test control reads from its JSON body, and how it refuses a bad one."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response

from ..wire import json_response
from .routing import View

# The content types a cross-site HTML form can send without a CORS preflight.
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


class ControlError(Exception):
    """A bad control request: answered 4xx with {"error": message}."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def control_error_view(exc: ControlError, request: Request) -> Response:
    """{"error": message} with the error's status."""
    return json_response({"error": str(exc)}, status=exc.status)


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object ({} for no body); a form's content type is refused (415)."""
    if not request.body.strip():
        return {}
    if request.content_type in _FORM_TYPES:
        raise ControlError("send a JSON body with Content-Type: application/json", 415)
    try:
        data = json.loads(request.body)
    except ValueError:
        raise ControlError("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ControlError("the body must be a JSON object")
    return data


def int_field(data: dict[str, Any], name: str, default: int | None, low: int) -> int | None:
    """An integer >= `low` (`default` when absent)."""
    value = data.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ControlError(f"{name} must be an integer >= {low}")
    return value


def seconds_field(data: dict[str, Any], name: str) -> float:
    """A finite number of seconds, not negative."""
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ControlError(f"{name} must be a number")
    if value < 0:
        raise ControlError(f"{name} must not be negative")
    return float(value)


def path_field(data: dict[str, Any]) -> str:
    """The `path` a rule matches (default /restapi)."""
    value = data.get("path", "/restapi")
    if not isinstance(value, str) or not value.startswith("/"):
        raise ControlError("path must be a string starting with '/'")
    return value


def add_controls(config: Configurator, views: Mapping[str, tuple[View, str]]) -> None:
    """Route /simulator/NAME to each view, under the route name sim.control.NAME."""
    for name, (view, method) in views.items():
        route = f"sim.control.{name}"
        config.add_route(route, f"/simulator/{name}")
        config.add_view(view, route_name=route, request_method=method)
