"""Reading RingCentral's call records: their times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rcpyramid.clock import as_utc


def start_time(record: dict[str, Any]) -> datetime | None:
    """A call record's ``startTime`` as aware UTC (None when missing or unreadable)."""
    value = record.get("startTime")
    if not isinstance(value, str):
        return None
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None
