"""Health for load balancers and orchestrators: liveness, readiness, the build, the old check.

- ``/livez``: the process answers requests. It checks nothing outside the process, so a
  database outage never makes an orchestrator restart every app process at once.
- ``/readyz``: the hard dependencies answer (token store, Redis where configured, and
  whatever else registered a check), each under its own timeout; 503 names which did not.
- ``/version``: which build runs (version and commit).
- ``/healthz``: the original check, kept as it was: 200 with ``"degraded"`` while Redis is
  down (the app keeps working on per-process fallbacks), 503 when the token store is.

None of them says anything about a person; all are ``no-store`` (as every answer is).
"""

from __future__ import annotations

import logging
from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from rcpyramid.cache import Cache
from rcpyramid.tokens.interfaces import TokenRepository, TokenStoreError

log = logging.getLogger(__name__)


def _answer(body: dict[str, Any], status: int = 200) -> Response:
    # no-store comes with every answer (rcpyramid.headers).
    return Response(json_body=body, status=status)


@view_config(route_name="health", request_method=("GET", "HEAD"))
def healthz(request: Request) -> Response:
    cache = request.find_service(Cache).health()
    try:
        request.find_service(TokenRepository).ping()
    except TokenStoreError as error:
        log.warning("health check: the token store does not answer: %s", error)
        return _answer({"status": "unavailable", "token_store": "down", "cache": cache}, 503)
    status = "degraded" if cache == "degraded" else "ok"
    return _answer({"status": status, "token_store": "ok", "cache": cache})


@view_config(route_name="health.live", request_method=("GET", "HEAD"))
def livez(request: Request) -> Response:
    return _answer({"status": "ok"})


@view_config(route_name="health.ready", request_method=("GET", "HEAD"))
def readyz(request: Request) -> Response:
    readiness = request.registry.readiness
    checks = readiness.run(request)
    failed = readiness.failed(checks)
    if failed:
        log.warning("not ready: %s", ", ".join(f"{name} ({checks[name]})" for name in failed))
        return _answer({"status": "unavailable", "failed": failed, "checks": checks}, 503)
    return _answer({"status": "ok", "checks": checks})


@view_config(route_name="health.version", request_method=("GET", "HEAD"))
def version(request: Request) -> Response:
    return _answer(dict(request.registry.build_info))
