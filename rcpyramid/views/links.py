"""Links to the app's own pages, with a query: what ``request.route_path(name, _query=...)`` makes.

Pyramid encodes a query anew each time, about 15 microseconds for four values; an API
page carries a dozen such links (pager, views, tabs), a tenth of what the page costs
to render with the cache off. The same values make the same query string, so it is
remembered (bounded; the values are short, validated, and never secrets).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from pyramid.encode import urlencode
from pyramid.request import Request

from rcpyramid.routes import READABLE_PATHS
from rcpyramid.views.safety import safe_local_path


@functools.lru_cache(maxsize=4096)
def _query_string(pairs: tuple[tuple[str, str], ...]) -> str:
    encoded: str = urlencode(pairs)
    return encoded


def route_with_query(request: Request, route_name: str, query: Mapping[str, object]) -> str:
    """The path of ``route_name`` with ``query`` encoded as Pyramid encodes it.

    An API page's link is its readable address (``/calls?...``, not ``/test?api=...``).
    """
    path: str
    if route_name == "api.page" and str(query.get("api", "")) in READABLE_PATHS:
        path = request.script_name + READABLE_PATHS[str(query["api"])]
        query = {k: v for k, v in query.items() if k != "api"}
    else:
        path = request.route_path(route_name)
    if not query:
        return path
    return f"{path}?{_query_string(tuple((k, str(v)) for k, v in query.items()))}"


def readable_path_qs(request: Request) -> str:
    """The address this request asked for, as the app writes it, with its whole query.

    A readable address (``/calls?...``) is served as ``/test?api=...``; links back to the
    same page (Try again, the sign-in's way back, a refresh) show the readable one.
    Callers still pass the result through :func:`safe_local_path`.
    """
    asked = str(request.path_qs)
    api = request.GET.get("api", "") if request.path_info == "/test" else ""
    # An address the callers' check refuses (a query with ":" or "//" in it) stays as it
    # came, to be refused: re-encoding must not launder what it carried.
    if api not in READABLE_PATHS or safe_local_path(asked, default="") != asked:
        return asked
    kept = tuple((k, v) for k, v in request.GET.items() if k != "api")
    path = request.script_name + READABLE_PATHS[api]
    return f"{path}?{_query_string(kept)}" if kept else path
