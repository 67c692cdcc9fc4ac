"""The account's extensions: one extension's record and the paged list (reference §6)."""

from __future__ import annotations

import math
from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response

from ..directory import EXTENSION_STATUSES, EXTENSION_TYPES, Extension
from ..wire import first, json_response, query_string
from .guards import api_caller, simulator
from .params import (
    PAGE_MAX,
    PER_PAGE_DEFAULT,
    PER_PAGE_MAX,
    account_base,
    choices,
    int_param,
    navigation_links,
    path_extension,
)
from .routing import ACCOUNT, EXTENSION, add_routes


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
    page = int_param(params, "page", 1, PAGE_MAX)
    per_page = int_param(params, "perPage", PER_PAGE_DEFAULT, PER_PAGE_MAX, allow_max=True)

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
    navigation = navigation_links(
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


def includeme(config: Configurator) -> None:
    """Routes and views of the extensions."""
    routes = {
        "rc.extension": (EXTENSION, read_extension),
        "rc.extensions": (ACCOUNT + "/extension", list_extensions),
    }
    add_routes(config, routes)
