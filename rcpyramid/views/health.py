"""``/healthz`` for load balancers: does the app answer, and do its token store and Redis?

A Redis that does not answer leaves the app working (each process falls back to its
own cache and budget): the answer stays 200 and says ``"status": "degraded"``.
"""

from __future__ import annotations

import logging

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from rcpyramid.cache import Cache
from rcpyramid.tokens.interfaces import TokenRepository, TokenStoreError

log = logging.getLogger(__name__)


@view_config(route_name="health", request_method=("GET", "HEAD"))
def healthz(request: Request) -> Response:
    cache = request.find_service(Cache).health()
    try:
        request.find_service(TokenRepository).ping()
    except TokenStoreError as error:
        log.warning("health check: the token store does not answer: %s", error)
        response = Response(
            json_body={"status": "unavailable", "token_store": "down", "cache": cache}, status=503
        )
    else:
        status = "degraded" if cache == "degraded" else "ok"
        response = Response(json_body={"status": status, "token_store": "ok", "cache": cache})
    return response
