"""The call logs: a user's and the company's, filtered and paged (reference §1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response

from ..clock import iso_ms, to_ms
from ..directory import Extension
from ..wire import first, json_response, query_string
from .guards import ApiCaller, api_caller, simulator
from .params import (
    PAGE_MAX,
    PER_PAGE_DEFAULT,
    PER_PAGE_MAX,
    account_base,
    choices,
    flag,
    int_param,
    navigation_links,
    parse_date,
    readable_extension,
)
from .routing import ACCOUNT, EXTENSION, add_routes


def _call_log(request: Request, caller: ApiCaller, owner: Extension | None, base: str) -> Response:
    sim = simulator(request)
    params = request.GET
    now = sim.clock.now()
    raw_to = first(params, "dateTo")
    date_to = parse_date(raw_to, "dateTo") if raw_to is not None else now
    raw_from = first(params, "dateFrom")
    date_from = (
        parse_date(raw_from, "dateFrom") if raw_from is not None else date_to - timedelta(hours=24)
    )
    view = (choices(params, "view", ("Simple", "Detailed")) or ["Simple"])[-1]
    show_blocked = flag(params, "showBlocked", default=True)
    types = choices(params, "type", ("Voice", "Fax"))
    directions = choices(params, "direction", ("Inbound", "Outbound"))
    page = int_param(params, "page", 1, PAGE_MAX)
    per_page = int_param(params, "perPage", PER_PAGE_DEFAULT, PER_PAGE_MAX, allow_max=True)

    records = sim.call_log.query(
        owner_id=None if owner is None else owner.id,
        date_from=date_from,
        date_to=date_to,
        now=now,
        types=frozenset(types),
        directions=frozenset(directions),
        show_blocked=show_blocked,
    )
    start = (page - 1) * per_page
    chunk = records[start : start + per_page]
    # As RingCentral: the effective query with its defaults, but a defaulted dateTo is not
    # pinned, so following `navigation` later sees a window that ends at that later "now".
    pairs = [
        ("view", view),
        ("showBlocked", "true" if show_blocked else "false"),
        ("dateFrom", iso_ms(to_ms(date_from))),
        *([("dateTo", iso_ms(to_ms(date_to)))] if raw_to is not None else []),
        *[("type", t) for t in types],
        *[("direction", d) for d in directions],
    ]
    paging: dict[str, Any] = {"page": page, "perPage": per_page}
    if chunk:
        paging["pageStart"] = start
        paging["pageEnd"] = start + len(chunk) - 1
    navigation = navigation_links(
        base + "/call-log",
        pairs,
        per_page,
        {
            "nextPage": page + 1 if len(records) > start + per_page else None,
            "previousPage": page - 1 if page > 1 else None,
            "firstPage": 1,
        },
    )
    own_query = query_string([*pairs, ("page", str(page)), ("perPage", str(per_page))])
    host = request.host_url
    account_id = sim.directory.account_id
    return json_response(
        {
            "uri": f"{base}/call-log?{own_query}",
            "records": [
                r.to_json(host_url=host, account_id=account_id, base_uri=base, view=view)
                for r in chunk
            ],
            "paging": paging,
            "navigation": navigation,
        }
    )


def user_call_log(request: Request) -> Response:
    """GET /restapi/v1.0/account/{accountId}/extension/{extensionId}/call-log (Heavy)."""
    sim = simulator(request)
    caller = api_caller(request, "Heavy", "ReadCallLog", "ReadCallLog")
    account_uri = account_base(request, sim.directory)
    ext = readable_extension(request, caller, sim.directory, "ReadCallLog")
    return _call_log(request, caller, ext, f"{account_uri}/extension/{ext.id}")


def company_call_log(request: Request) -> Response:
    """GET /restapi/v1.0/account/{accountId}/call-log (Heavy): administrators only."""
    sim = simulator(request)
    caller = api_caller(request, "Heavy", "ReadCallLog", "FullCompanyCallLog")
    account_uri = account_base(request, sim.directory)
    return _call_log(request, caller, None, account_uri)


def includeme(config: Configurator) -> None:
    """Routes and views of the call logs."""
    routes = {
        "rc.user_call_log": (EXTENSION + "/call-log", user_call_log),
        "rc.company_call_log": (ACCOUNT + "/call-log", company_call_log),
    }
    add_routes(config, routes)
