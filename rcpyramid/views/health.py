"""``/healthz`` for load balancers: does the app answer, and does its token store?"""

from __future__ import annotations

import logging

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from rcpyramid.tokens.interfaces import TokenRepository, TokenStoreError

log = logging.getLogger(__name__)


@view_config(route_name="health", request_method=("GET", "HEAD"))
def healthz(request: Request) -> Response:
    try:
        request.find_service(TokenRepository).ping()
    except TokenStoreError as error:
        log.warning("health check: the token store does not answer: %s", error)
        response = Response(json_body={"status": "unavailable", "token_store": "down"}, status=503)
    else:
        response = Response(json_body={"status": "ok", "token_store": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response
