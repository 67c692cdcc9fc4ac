"""Small helpers for answering in RingCentral's formats."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from pyramid.response import Response

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON answer with the exact Content-Type RingCentral sends."""
    payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode("utf-8")
    response = Response(body=payload, status=status)
    # WebOb drops the charset parameter for application/json, so set the header itself.
    response.headers["Content-Type"] = JSON_CONTENT_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def html_response(
    text: str, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """An HTML page that must never be framed, cached or leak its URL."""
    response = Response(body=text.encode("utf-8"), status=status)
    response.headers["Content-Type"] = HTML_CONTENT_TYPE
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    # No form-action directive: browsers apply it to the redirect after the sign-in POST.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def first(params: Mapping[str, str], name: str) -> str | None:
    """The last non-empty value of a query/form parameter; empty values count as absent."""
    getall = getattr(params, "getall", None)
    values = getall(name) if getall else [params.get(name)]
    values = [v for v in values if v is not None and v.strip() != ""]
    return values[-1] if values else None


def every(params: Mapping[str, str], name: str) -> list[str]:
    """All non-empty values of a repeatable parameter."""
    getall = getattr(params, "getall", None)
    values = getall(name) if getall else [params.get(name)]
    return [v for v in values if v is not None and v.strip() != ""]


def query_string(pairs: Iterable[tuple[str, str]]) -> str:
    """Encode a query the way RingCentral's `uri` fields show it (':' left readable)."""
    return urlencode(list(pairs), quote_via=quote, safe=":")


def add_query(uri: str, pairs: Iterable[tuple[str, str]]) -> str:
    """Append parameters to a URI, keeping any query it already has."""
    parts = urlsplit(uri)
    extra = urlencode(list(pairs))
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
