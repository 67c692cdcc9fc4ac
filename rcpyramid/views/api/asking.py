"""Asking RingCentral for the pages without dates (the directory), and the waiting page.

The call logs never come here: they read the local history (:mod:`.calls`). What is
asked goes through the answer cache; a fetch that took a while makes the next uncached
view show a page saying what is being fetched.
"""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from rcpyramid.cache import Answer
from rcpyramid.ringcentral import timing
from rcpyramid.ringcentral.cached import CachedRingCentral
from rcpyramid.ringcentral.errors import RingCentralError
from rcpyramid.views.api.table import ApiView
from rcpyramid.views.directory import WHOLE_LIST, directory_query
from rcpyramid.views.links import route_with_query
from rcpyramid.views.pages import DIRECTORY


def answer_for(request: Request, view: ApiView) -> Answer:
    """RingCentral's answer for ``view``, through the cache."""
    params = params_for(request, view)
    timing.start()
    try:
        answer: Answer = request.find_service(CachedRingCentral).cached_get(
            request.identity,
            view.page.path,
            params,
            key_params=params,
            refresh=request.GET.get("refresh") == "1",
        )
    except RingCentralError:
        request.registry.waits.note(view.page.key, timing.spent())
        raise
    # Only RingCentral's time is noted (not the token store's: a stalled database, a
    # refresh lock waited for), and not at all for a failure of the token store.
    request.registry.waits.note(view.page.key, timing.spent())
    return answer


def params_for(request: Request, view: ApiView) -> dict[str, Any]:
    """What RingCentral is asked for ``view`` (its cached answer is keyed by the same)."""
    params: dict[str, Any] = {"page": view.page_number, "perPage": view.per_page}
    if view.page.key == DIRECTORY:
        wanted = directory_query(request.GET)
        if wanted.searching:
            # RingCentral cannot search text: the whole list, filtered and paged here.
            params = {"page": 1, "perPage": WHOLE_LIST}
        # RingCentral filters by type and status itself (``type`` may repeat: a list).
        for name, value in wanted.ringcentral_params():
            params.setdefault(name, [])
            params[name].append(value)
    return params


def waiting_page(request: Request, view: ApiView) -> dict[str, Any] | None:
    """A page saying what is being fetched, when the fetch is likely to be slow; else None.

    Only after this page's last fetch took a while, and only when no fresh answer is kept:
    the page reloads itself at once (``<meta http-equiv="refresh">``, no script, so the
    CSP holds) with ``wait=1``, and the browser keeps showing it until the slow page
    arrives.
    """
    if request.GET.get("wait") == "1" or not request.registry.waits.slow(view.page.key):
        return None
    api = request.find_service(CachedRingCentral)
    if request.GET.get("refresh") != "1" and api.has_fresh(
        request.identity, view.page.path, params_for(request, view)
    ):
        return None
    query = {k: v for k, v in request.GET.items() if k != "wait"}
    request.override_renderer = "rcpyramid.templates:waiting.jinja2"
    return {
        "page": view.page,
        "what": WAITING_WORDS.get(view.page.key, "this page"),
        "next_url": route_with_query(request, "api.page", {**query, "wait": "1"}),
        "seconds": round(request.registry.waits.last(view.page.key)),
    }


#: What the waiting page says it is fetching.
WAITING_WORDS = {"extension": "your company's directory"}


class Waits:
    """How long each API page's last fetch took in this process (seconds)."""

    #: A fetch at least this long makes the next uncached view show the waiting page.
    SLOW = 1.0

    def __init__(self) -> None:
        self._last: dict[str, float] = {}

    def note(self, key: str, seconds: float) -> None:
        self._last[key] = seconds

    def last(self, key: str) -> float:
        return self._last.get(key, 0.0)

    def slow(self, key: str) -> bool:
        return self.last(key) >= self.SLOW
