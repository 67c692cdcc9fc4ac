"""The suite's owners, times and records, and the fixture every part of it stands on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from rcpyramid.callstore.interfaces import (
    CallHistory,
    HistoryQuery,
    company_history,
    person_history,
)

ALICE = person_history("400", "101")
BOB = person_history("400", "102")
COMPANY = company_history("400")
#: A fixed moment the records of the suite are placed around.
NOON = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    """As RingCentral writes times: ``2026-11-27T12:00:00.000Z``."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def make_record(
    record_id: str,
    start: datetime,
    *,
    number: str = "+16505550199",
    name: str = "Carol Jones",
    direction: str = "Inbound",
    result: str = "Accepted",
    modified: datetime | None = None,
    extension_id: int | str = 101,
    **fields: Any,
) -> dict[str, Any]:
    """A call-log record shaped as RingCentral sends it (Detailed view when ``modified``)."""
    other = {"phoneNumber": number, "name": name, "location": "Palo Alto, CA"}
    me = {"extensionNumber": "101", "extensionId": str(extension_id), "name": "Alice Smith"}
    record: dict[str, Any] = {
        "uri": f"https://platform.ringcentral.com/restapi/v1.0/account/400/extension/101/call-log/{record_id}",
        "id": record_id,
        "sessionId": f"s-{record_id}",
        "telephonySessionId": f"t-{record_id}",
        "startTime": iso(start),
        "duration": 42,
        "type": "Voice",
        "direction": direction,
        "action": "Phone Call",
        "result": result,
        "from": other if direction == "Inbound" else me,
        "to": me if direction == "Inbound" else other,
        "extension": {
            "uri": f"https://platform.ringcentral.com/restapi/v1.0/account/400/extension/{extension_id}",
            "id": extension_id,
        },
    }
    if modified is not None:
        record["lastModifiedTime"] = iso(modified)
        record["legs"] = [{"action": "Phone Call", "legType": "Accept", "master": True}]
    record.update(fields)
    return record


def a_minute_apart(*records: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Records from NOON back, a minute apart, in the order given: (id, make_record's fields)."""
    return [
        make_record(record_id, NOON - timedelta(minutes=n), **fields)
        for n, (record_id, fields) in enumerate(records)
    ]


def series_id(n: int) -> str:
    """The id of record ``n`` of a :func:`series`: ``rec-0042``."""
    return f"rec-{n:04d}"


def series(count: int, **fields: Callable[[int], Any] | Any) -> list[dict[str, Any]]:
    """``count`` records a minute apart from NOON back; a field given as a function gets ``n``."""
    return a_minute_apart(
        *(
            (series_id(n), {k: v(n) if callable(v) else v for k, v in fields.items()})
            for n in range(count)
        )
    )


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [record["id"] for record in records]


def everything(**fields: Any) -> HistoryQuery:
    return HistoryQuery(limit=None, **fields)


class HistorySuite:
    """What every part of the suite stands on: a fresh history per test."""

    def open_history(self, tmp_path: Path) -> AbstractContextManager[CallHistory]:
        """A fresh, empty history, cleaned up when the block ends."""
        raise NotImplementedError("a backend's test class says how to open its history")

    @pytest.fixture
    def history(self, tmp_path: Path) -> Iterator[CallHistory]:
        with self.open_history(tmp_path) as opened:
            yield opened

    def search(self, history: CallHistory, owner: str, text: str, **fields: Any) -> list[str]:
        return ids(history.page(owner, everything(search=text, **fields)).records)
