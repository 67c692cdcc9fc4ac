"""A call-log page from the local history, shaped as RingCentral's own JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pyramid.request import Request

from rcpyramid.ringcentral.endpoints import rc_time
from rcpyramid.views.api.history import Slice
from rcpyramid.views.api.query import CallQuery


def ringcentral_json(
    request: Request,
    path: str,
    query: CallQuery,
    page_number: int,
    per_page: int,
    found: Slice,
) -> dict[str, Any]:
    """A call-log page shaped as RingCentral shapes it: ``uri``, ``records``, ``paging``,
    ``navigation`` (``firstPage`` always, ``nextPage``/``previousPage`` when there is one;
    no totals, as RingCentral's call log gives none)."""
    assert query.dates is not None
    base = _base_uri(request, path, found.records)
    pairs: list[tuple[str, str]] = [
        ("view", "Simple"),
        ("showBlocked", "true"),
        ("dateFrom", rc_time(query.dates.start)),
        ("dateTo", rc_time(query.dates.end)),
    ]
    if query.type:
        pairs.append(("type", query.type))
    if query.direction:
        pairs.append(("direction", query.direction))

    def uri(number: int) -> str:
        paged = [*pairs, ("page", str(number)), ("perPage", str(per_page))]
        # RingCentral leaves the colons of its times unescaped.
        return f"{base}?{urlencode(paged, safe=':')}"

    start = (page_number - 1) * per_page
    paging: dict[str, Any] = {"page": page_number, "perPage": per_page}
    if found.records:
        paging["pageStart"] = start
        paging["pageEnd"] = start + len(found.records) - 1
    navigation: dict[str, Any] = {}
    if found.total > start + per_page:
        navigation["nextPage"] = {"uri": uri(page_number + 1)}
    if page_number > 1:
        navigation["previousPage"] = {"uri": uri(page_number - 1)}
    navigation["firstPage"] = {"uri": uri(1)}
    return {
        "uri": uri(page_number),
        "records": found.records,
        "paging": paging,
        "navigation": navigation,
    }


def _base_uri(request: Request, path: str, records: list[dict[str, Any]]) -> str:
    """The call log's own address as RingCentral writes it (numeric ids where a record says)."""
    for record in records:
        own = record.get("uri")
        if isinstance(own, str) and "/call-log/" in own:
            return own.split("/call-log/", 1)[0] + "/call-log"
    server = str(request.registry.app_settings.ringcentral.server_url).rstrip("/")
    if not server.startswith(("http://", "https://")):
        server = "https://platform.ringcentral.com"
    return server + path
