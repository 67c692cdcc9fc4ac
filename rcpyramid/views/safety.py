"""Small guards shared by the views."""

from __future__ import annotations

import functools
import re
from typing import Any

from pyramid.request import Request
from webob.acceptparse import create_accept_header

#: A path on this site and its query: no scheme (":"), no host ("//" or a backslash), no
#: control characters; "+" is a space in a form's query (a search for "John Smith").
_LOCAL_PATH = re.compile(r"^/(?![/\\])[A-Za-z0-9\-._~/?=&%+]*$")


def safe_local_path(value: object, default: str = "/") -> str:
    """``value`` when it is a plain path on this site, else ``default``.

    Refuses ``//host``, ``/\\host``, schemes, control characters and anything not
    starting with a single slash, so a redirect can never leave the site.
    """
    if isinstance(value, str) and len(value) <= 512 and _LOCAL_PATH.match(value):
        return value
    return default


def wants_json(request: Request) -> bool:
    """``?format=json``, or an Accept header that prefers JSON to HTML."""
    if request.GET.get("format") == "json":
        return True
    accept = request.environ.get("HTTP_ACCEPT")
    if accept is not None and len(accept) > _LONGEST_KEPT_ACCEPT:
        return _prefers_json(request.accept)
    return _accept_prefers_json(accept)


#: Browsers send a handful of Accept headers, each under 200 characters: their answer
#: is kept (a long header made up to fill the memo is worked out each time instead).
_LONGEST_KEPT_ACCEPT = 256


@functools.lru_cache(maxsize=64)
def _accept_prefers_json(accept: str | None) -> bool:
    return _prefers_json(create_accept_header(accept))


def _prefers_json(accept: Any) -> bool:
    offers = accept.acceptable_offers(["text/html", "application/json"])
    return bool(offers) and offers[0][0] == "application/json"
