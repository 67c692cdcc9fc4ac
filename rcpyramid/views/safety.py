"""Small guards shared by the views."""

from __future__ import annotations

import re

from pyramid.request import Request

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
    offers = request.accept.acceptable_offers(["text/html", "application/json"])
    return bool(offers) and offers[0][0] == "application/json"
