"""Pages rendered from a cached answer, kept per process: a reload renders nothing."""

from __future__ import annotations

from typing import Any

from rcpyramid.memo import LockedLRU


class PageMemo:
    """Rendered page bodies by everything such a page is made of.

    The key is the answer (its key names the person, their sign-out generation and the
    query; with the time it was fetched), the address, the session's CSRF token (the
    header's sign-out form), the person (tabs, country) and zone, and for call logs the
    minute (the rolling window's words) and the export budget. Error pages and pages of
    a spent budget are never kept. Never shared, never written out.
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
