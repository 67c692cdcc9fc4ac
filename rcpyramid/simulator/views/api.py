"""The REST endpoints rcpyramid uses (reference §1 and §6)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response

from .. import api_errors
from ..clock import iso_ms, to_ms
from ..directory import EXTENSION_STATUSES, EXTENSION_TYPES, Directory, Extension
from ..wire import every, first, json_response, query_string
from .guards import ApiCaller, api_caller, bearer_owner, simulator, throttle

API_VERSION = {
    "versionString": "1.0.31",
    "releaseDate": "2017-09-05T00:00:00.000Z",
    "uriString": "v1.0",
}
PER_PAGE_DEFAULT = 100
PER_PAGE_MAX = 1000
PAGE_MAX = 1_000_000
_DIGITS = re.compile(r"^\d+$")
# The Python SDK does not percent-encode query values, so an offset's '+' arrives as ' '.
_SPACE_OFFSET = re.compile(r" (\d{2}(?::?\d{2})?)$")


# --- parameter parsing -----------------------------------------------------------------


def _int_param(
    params: Mapping[str, str], name: str, default: int, high: int, *, allow_max: bool = False
) -> int:
    raw = first(params, name)
    if raw is None:
        return default
    raw = raw.strip()
    if allow_max and raw.lower() == "max":
        return high
    if not _DIGITS.match(raw) or not 1 <= int(raw) <= high:
        raise api_errors.parameter_invalid(name)
    return int(raw)


def choices(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> list[str]:
    """Repeatable enum values, matched case-insensitively, echoed in canonical case."""
    canonical = {a.lower(): a for a in allowed}
    out = []
    for raw in every(params, name):
        value = canonical.get(raw.strip().lower())
        if value is None:
            raise api_errors.parameter_invalid(name)
        if value not in out:
            out.append(value)
    return out


def _flag(params: Mapping[str, str], name: str, *, default: bool) -> bool:
    """A true/false parameter (the Python SDK sends True/False)."""
    raw = first(params, name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise api_errors.parameter_invalid(name)
    return value == "true"


def parse_date(raw: str, name: str) -> datetime:
    """ISO 8601 with Z or an offset (a naive value is taken as UTC)."""
    text = _SPACE_OFFSET.sub(r"+\1", raw.strip())
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise api_errors.parameter_invalid(name) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def account_base(request: Request, directory: Directory) -> str:
    """The account's own URI, when the path names it ("~" or its id); else 404."""
    raw = request.matchdict["account_id"]
    if raw not in ("~", str(directory.account_id)):
        raise api_errors.resource_not_found("accountId")
    return f"{request.host_url}/restapi/v1.0/account/{directory.account_id}"


def path_extension(request: Request, caller: ApiCaller, directory: Directory) -> Extension:
    """The extension the path names ("~" is the caller); else 404."""
    raw = request.matchdict["extension_id"]
    if raw == "~":
        return caller.extension
    ext = directory.by_id.get(int(raw)) if _DIGITS.match(raw) else None
    if ext is None:
        raise api_errors.resource_not_found("extensionId")
    return ext


def readable_extension(
    request: Request, caller: ApiCaller, directory: Directory, permission: str
) -> Extension:
    """The path's extension, if the caller may read its data: its own, or an admin's reach."""
    ext = path_extension(request, caller, directory)
    if ext.id != caller.extension.id and not caller.admin:
        raise api_errors.extended_scope_missing(permission)
    return ext


def _navigation(
    base: str, pairs: list[tuple[str, str]], per_page: int, pages: dict[str, Any]
) -> dict[str, Any]:
    out = {}
    for key, number in pages.items():
        if number is not None:
            query = query_string([*pairs, ("page", str(number)), ("perPage", str(per_page))])
            out[key] = {"uri": f"{base}?{query}"}
    return out


# --- views -----------------------------------------------------------------------------


def versions(request: Request) -> Response:
    """GET /restapi: the API versions document."""
    throttle(request, "Light", bearer_owner(request))
    host = request.host_url
    return json_response(
        {
            "uri": f"{host}/restapi/",
            "apiVersions": [{"uri": f"{host}/restapi/v1.0", **API_VERSION}],
            "serverVersion": "rcpyramid-simulator",
            "serverRevision": "1",
        }
    )


def version(request: Request) -> Response:
    """GET /restapi/v1.0: the version document."""
    throttle(request, "Light", bearer_owner(request))
    return json_response({"uri": f"{request.host_url}/restapi/v1.0", **API_VERSION})


def extension_json(
    ext: Extension, account_uri: str, account_id: int, *, full: bool, own: bool
) -> dict[str, Any]:
    """An extension record; `full` adds the fields only the single-extension read has."""
    uri = f"{account_uri}/extension/{ext.id}"
    out: dict[str, Any] = {"uri": uri, "id": ext.id, "extensionNumber": ext.extension_number}
    if ext.has_contact:
        contact: dict[str, Any] = {}
        if ext.first_name is not None:
            contact["firstName"] = ext.first_name
        if ext.last_name is not None:
            contact["lastName"] = ext.last_name
        if full:
            contact["company"] = "Example, Inc."
        if ext.email is not None:
            contact["email"] = ext.email
        if full and ext.business_phone is not None:
            contact["businessPhone"] = ext.business_phone
        if full and ext.job_title is not None:
            contact["jobTitle"] = ext.job_title
        if full and ext.department is not None:
            contact["department"] = ext.department
        contact["emailAsLoginName"] = ext.type == "User"
        out["contact"] = contact
    out["name"] = ext.name
    out["type"] = ext.type
    if ext.status is not None:
        out["status"] = ext.status
    out["permissions"] = {"admin": {"enabled": ext.admin}}
    if not full:
        return out
    out["permissions"]["internationalCalling"] = {"enabled": ext.type == "User"}
    out["account"] = {"uri": account_uri, "id": str(account_id)}
    out["profileImage"] = {"uri": f"{uri}/profile-image"}
    region = ext.region
    country_id, country, iso_code, calling_code = region.country
    language_id, language, locale = region.language
    out["regionalSettings"] = {
        "homeCountry": {
            "id": country_id,
            "name": country,
            "isoCode": iso_code,
            "callingCode": calling_code,
        },
        "timezone": {
            "id": region.timezone_id,
            "name": region.timezone,
            "description": region.timezone_description,
            "bias": str(region.bias),
        },
        "language": {"id": language_id, "name": language, "localeCode": locale},
        "formattingLocale": {"id": language_id, "name": language, "localeCode": locale},
        "timeFormat": region.time_format,
    }
    if own:
        out["serviceFeatures"] = [
            {"featureName": "SMS", "enabled": True},
            {"featureName": "Presence", "enabled": True},
            {"featureName": "Fax", "enabled": True},
        ]
    out["setupWizardState"] = "Completed"
    return out


def read_extension(request: Request) -> Response:
    """GET /restapi/v1.0/account/{accountId}/extension/{extensionId} (Light)."""
    sim = simulator(request)
    caller = api_caller(request, "Light", "ReadAccounts", "ReadExtensions")
    account_uri = account_base(request, sim.directory)
    ext = path_extension(request, caller, sim.directory)
    return json_response(
        extension_json(
            ext,
            account_uri,
            sim.directory.account_id,
            full=True,
            own=ext.id == caller.extension.id,
        )
    )


def list_extensions(request: Request) -> Response:
    """GET /restapi/v1.0/account/{accountId}/extension (Medium): paged with totals."""
    sim = simulator(request)
    api_caller(request, "Medium", "ReadAccounts", "ReadExtensions")
    account_uri = account_base(request, sim.directory)
    params = request.GET
    statuses = choices(params, "status", EXTENSION_STATUSES)
    types = choices(params, "type", EXTENSION_TYPES)
    number = first(params, "extensionNumber")
    email = first(params, "email")
    page = _int_param(params, "page", 1, PAGE_MAX)
    per_page = _int_param(params, "perPage", PER_PAGE_DEFAULT, PER_PAGE_MAX, allow_max=True)

    found = [
        e
        for e in sim.directory.extensions
        if (not statuses or e.status in statuses)
        and (not types or e.type in types)
        and (number is None or e.extension_number == number.strip())
        and (email is None or (e.email or "").lower() == email.strip().lower())
    ]
    total = len(found)
    total_pages = math.ceil(total / per_page)
    start = (page - 1) * per_page
    chunk = found[start : start + per_page]

    pairs = [("status", s) for s in statuses] + [("type", t) for t in types]
    if number is not None:
        pairs.append(("extensionNumber", number.strip()))
    if email is not None:
        pairs.append(("email", email.strip()))
    base = f"{account_uri}/extension"
    paging: dict[str, Any] = {
        "page": page,
        "totalPages": total_pages,
        "perPage": per_page,
        "totalElements": total,
    }
    if chunk:
        paging["pageStart"] = start
        paging["pageEnd"] = start + len(chunk) - 1
    navigation = _navigation(
        base,
        pairs,
        per_page,
        {
            "firstPage": 1,
            "nextPage": page + 1 if page < total_pages else None,
            "previousPage": page - 1 if page > 1 else None,
            "lastPage": max(1, total_pages),
        },
    )
    own_query = query_string([*pairs, ("page", str(page)), ("perPage", str(per_page))])
    account_id = sim.directory.account_id
    return json_response(
        {
            "uri": f"{base}?{own_query}",
            "records": [
                extension_json(e, account_uri, account_id, full=False, own=False) for e in chunk
            ],
            "paging": paging,
            "navigation": navigation,
        }
    )


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
    show_blocked = _flag(params, "showBlocked", default=True)
    types = choices(params, "type", ("Voice", "Fax"))
    directions = choices(params, "direction", ("Inbound", "Outbound"))
    page = _int_param(params, "page", 1, PAGE_MAX)
    per_page = _int_param(params, "perPage", PER_PAGE_DEFAULT, PER_PAGE_MAX, allow_max=True)

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
    navigation = _navigation(
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
    """Routes and views of the REST endpoints."""
    account = "/restapi/v1.0/account/{account_id}"
    config.add_route("rc.versions", "/restapi")
    config.add_route("rc.versions_slash", "/restapi/")
    config.add_route("rc.version", "/restapi/v1.0")
    config.add_route("rc.version_slash", "/restapi/v1.0/")
    config.add_route("rc.extension", account + "/extension/{extension_id}")
    config.add_route("rc.extensions", account + "/extension")
    config.add_route("rc.user_call_log", account + "/extension/{extension_id}/call-log")
    config.add_route("rc.company_call_log", account + "/call-log")
    config.add_view(versions, route_name="rc.versions", request_method="GET")
    config.add_view(versions, route_name="rc.versions_slash", request_method="GET")
    config.add_view(version, route_name="rc.version", request_method="GET")
    config.add_view(version, route_name="rc.version_slash", request_method="GET")
    config.add_view(read_extension, route_name="rc.extension", request_method="GET")
    config.add_view(list_extensions, route_name="rc.extensions", request_method="GET")
    config.add_view(user_call_log, route_name="rc.user_call_log", request_method="GET")
    config.add_view(company_call_log, route_name="rc.company_call_log", request_method="GET")
