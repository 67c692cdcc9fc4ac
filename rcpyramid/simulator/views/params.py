"""What the REST views read from a request: query parameters, the path's account and extension."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pyramid.request import Request

from .. import api_errors
from ..directory import Directory, Extension
from ..wire import every, first, query_string
from .guards import ApiCaller

PER_PAGE_DEFAULT = 100
PER_PAGE_MAX = 1000
PAGE_MAX = 1_000_000
_DIGITS = re.compile(r"^\d+$")
# The Python SDK does not percent-encode query values, so an offset's '+' arrives as ' '.
_SPACE_OFFSET = re.compile(r" (\d{2}(?::?\d{2})?)$")


def int_param(
    params: Mapping[str, str], name: str, default: int, high: int, *, allow_max: bool = False
) -> int:
    """A whole number from 1 to `high` (or \"max\" for it, when allowed); else 400."""
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


def flag(params: Mapping[str, str], name: str, *, default: bool) -> bool:
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


def navigation_links(
    base: str, pairs: list[tuple[str, str]], per_page: int, pages: dict[str, Any]
) -> dict[str, Any]:
    """A list answer's `navigation`: a link to each page that is not None."""
    out = {}
    for key, number in pages.items():
        if number is not None:
            query = query_string([*pairs, ("page", str(number)), ("perPage", str(per_page))])
            out[key] = {"uri": f"{base}?{query}"}
    return out
