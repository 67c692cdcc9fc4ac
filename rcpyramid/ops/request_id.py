"""A request id on every log line of a request, in its answer, and on its error page.

The id comes from the ``X-Request-ID`` header only when the request came through the
trusted proxy that ``[server:main]``'s ``trusted_proxy`` names (so a proxy's id ties its
log to ours); from anyone else the header could be anything, so an id is made here.
Whether the peer was that proxy is known only before waitress's proxy-header
middleware replaces ``REMOTE_ADDR``: :func:`mark_trusted_peer` sits outside it
(:func:`rcpyramid.server.proxied`) and leaves a mark in the environ.

The same tween writes the access line, one per request with its duration, and records
the request in the metrics.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import structlog
from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response
from pyramid.tweens import INGRESS

from rcpyramid.ops import metrics
from rcpyramid.ops.logs import configure_structlog, write_event

HEADER = "X-Request-ID"
#: What ``request.path`` leaves unquoted (WebOb's ``webob.request.PATH_SAFE``).
PATH_SAFE = "/~!$&'()*+,;=:@"
#: Where the id is kept for the request (and for :func:`request_id`).
ENVIRON_KEY = "rcpyramid.request_id"
#: Set by :func:`mark_trusted_peer` when the peer is the trusted proxy.
TRUSTED_KEY = "rcpyramid.trusted_proxy"
#: What an id taken from a proxy may look like (nginx's $request_id, a UUID, ...).
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,128}")

#: The access line's logger (written by :func:`~rcpyramid.ops.logs.write_event`).
access_log = logging.getLogger("rcpyramid.access")


def mark_trusted_peer(app: Any, trusted_proxy: str | None) -> Any:
    """WSGI middleware, outside the proxy-header one: mark requests from ``trusted_proxy``."""
    if not trusted_proxy:
        return app

    def marked(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if trusted_proxy == "*" or environ.get("REMOTE_ADDR") == trusted_proxy:
            environ[TRUSTED_KEY] = True
        answer: Iterable[bytes] = app(environ, start_response)
        return answer

    return marked


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(environ: dict[str, Any]) -> str:
    """The proxy's id when a trusted proxy sent a usable one, else a new one."""
    given = environ.get("HTTP_X_REQUEST_ID", "")
    if environ.get(TRUSTED_KEY) and _ACCEPTED.fullmatch(given):
        return str(given)
    return new_request_id()


def request_id(request: Request) -> str:
    """``request.request_id``: the id the tween gave this request (made now if none)."""
    value = request.environ.get(ENVIRON_KEY)
    if not value:
        value = request.environ[ENVIRON_KEY] = request_id_from(request.environ)
    return str(value)


def logged_path(environ: dict[str, Any]) -> str:
    """The request's path as WebOb's ``request.path`` quotes it, read once from the environ.

    The WSGI strings are the bytes as received (latin-1), so this never fails on a path
    that is not UTF-8 (the guard refuses those, and their access line still names them).
    """
    raw = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return quote(raw.encode("latin-1", "replace"), safe=PATH_SAFE)


def observe_tween(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    """Outermost: bind the id for every line, answer with it, write the access line."""

    def tween(request: Request) -> Response:
        rid = request_id(request)
        bound = structlog.contextvars.bind_contextvars(request_id=rid)
        started = time.perf_counter()
        status = 500
        method = request.method
        active = metrics.request_started(method)
        try:
            response = handler(request)
            status = response.status_int
            # Only this tween sets the header: appended, not searched for first.
            response.headerlist.append((HEADER, rid))
            return response
        finally:
            seconds = time.perf_counter() - started
            metrics.request_ended(active)
            route = request.matched_route
            template = route.pattern if route is not None else None
            metrics.served(method, template, status, seconds)
            write_event(
                access_log,
                {
                    "event": "request",
                    "method": method,
                    "route": template,
                    "path": logged_path(request.environ)[:200],
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
            structlog.contextvars.reset_contextvars(**bound)

    return tween


def includeme(config: Configurator) -> None:
    configure_structlog()
    config.add_request_method(request_id, "request_id", reify=True)
    config.add_tween("rcpyramid.ops.request_id.observe_tween", under=INGRESS)
