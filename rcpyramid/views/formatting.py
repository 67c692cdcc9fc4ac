"""Jinja2 filters that turn RingCentral's values into text a person reads."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any


def duration(seconds: Any) -> str:
    """``75`` -> ``1:15``; hours when there are some."""
    try:
        total = int(seconds)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(max(total, 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def when(value: Any, zone: tzinfo = UTC) -> str:
    """An ISO time from RingCentral in ``zone``, as ``2026-11-27 14:03:09``."""
    parsed = parse_time(value) if not isinstance(value, datetime) else value
    if parsed is None:
        return str(value or "")
    return parsed.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def party(value: Any) -> str:
    """A call's ``from`` or ``to``: name, then number or extension."""
    if not isinstance(value, dict):
        return ""
    name = str(value.get("name") or "")
    number = str(value.get("phoneNumber") or value.get("extensionNumber") or "")
    if name and number:
        return f"{name} ({number})"
    return name or number or str(value.get("location") or "")
