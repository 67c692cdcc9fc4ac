"""``/metrics`` for Prometheus: off unless ``rcpyramid.metrics`` is on, and then only to
the addresses ``rcpyramid.metrics.allow`` names (loopback by default) or to a request
carrying one of the bearer tokens ``rcpyramid.metrics.token`` lists.

Off, the path answers 404 as any unknown one does. Refused, it answers 403 with no hint
of what it would have held.
"""

from __future__ import annotations

import hmac
import ipaddress

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from rcpyramid.config import OpsSettings
from rcpyramid.ops import prometheus


def allowed(request: Request, settings: OpsSettings) -> bool:
    """By address (the client's, after the trusted proxy's headers) or by bearer token."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        given = credentials.strip().encode()
        # Every token compared, so the time taken says nothing about which one was close.
        matches = [hmac.compare_digest(given, token.encode()) for token in settings.metrics_tokens]
        if any(matches):
            return True
    try:
        address = ipaddress.ip_address((request.remote_addr or "").strip("[]"))
    except ValueError:
        return False
    return any(address in network for network in settings.metrics_allow)


@view_config(route_name="metrics", request_method=("GET", "HEAD"))
def metrics_view(request: Request) -> Response:
    settings: OpsSettings = request.registry.app_settings.ops
    if not settings.metrics:
        raise HTTPNotFound()
    if not allowed(request, settings):
        # A plain 403 for a machine (the app's forbidden view would send a person to sign in).
        return Response("Forbidden\n", status=403, content_type="text/plain")
    live = getattr(request.registry, "live_history", None)
    if live is not None and live.subscriptions.enabled:
        # The subscriptions gauges as of now (a census at most every 30 s per process).
        live.subscriptions_word()
    body, content_type = prometheus.exposition()
    response = Response(body=body)
    response.headers["Content-Type"] = content_type
    response.headers["Cache-Control"] = "no-store"
    return response
