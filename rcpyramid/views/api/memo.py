"""Pages rendered from a cached answer, kept per process: a reload renders nothing."""

from __future__ import annotations

import functools
from typing import Any

from pyramid.request import Request
from pyramid.response import Response

from rcpyramid.memo import LockedLRU


class PageMemo:
    """Rendered page bodies by everything such a page is made of.

    The directory's key is the answer (its key names the person, their sign-out
    generation and the query; with the time it was fetched), the address, the session's
    CSRF token (the header's sign-out form), the person (tabs, country) and zone
    (``table.memo_key``). A call log's is the history's revision and coverage, the
    address, the CSRF token, the person, zone and minute (``calls.calls_memo_key``).
    Error pages and pages of a spent budget are never kept. Never shared, never written
    out.
    """

    #: Larger pages (up to 1,000 rows) are rendered each time rather than held.
    MAX_BYTES = 64_000

    def __init__(self, max_entries: int = 256) -> None:
        self._pages: LockedLRU[tuple[Any, ...], bytes] = LockedLRU(max_entries)

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        found = self._pages.get(key)
        return found if isinstance(found, bytes) else None

    def put(self, key: tuple[Any, ...], body: bytes) -> None:
        if len(body) <= self.MAX_BYTES:
            self._pages[key] = body


def memoised(request: Request, key: tuple[Any, ...] | None) -> Response | None:
    """The response with the page kept under ``key``; else None, and the page is kept."""
    if key is None:
        return None
    memo = request.find_service(PageMemo)
    kept = memo.get(key)
    if kept is not None:
        request.response.body = kept
        return request.response
    request.add_response_callback(functools.partial(_keep, memo, key))
    return None


def _keep(memo: PageMemo, key: tuple[Any, ...], request: Request, response: Response) -> None:
    """Keep the rendered page; never an error page that took its place."""
    if request.exception is None and response.status_code == 200:
        memo.put(key, response.body)
