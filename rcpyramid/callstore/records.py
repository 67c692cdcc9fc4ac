"""What every backend reads out of a RingCentral call-log record: its index and its search text.

One module for all backends, so that a filter or a search means the same on each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from rcpyramid.callstore.interfaces import MAX_RECORD_ID_LENGTH, CallEntry

#: Index columns are short words RingCentral defines; anything longer is cut to this.
MAX_WORD = 64
_NOT_DIGIT = re.compile(r"[^0-9]+")
#: Separators of the search text (see :mod:`rcpyramid.callstore.search`): never in a value.
FIELD_SEPARATOR = "\x1f"
_SEPARATORS = re.compile("[\x1e\x1f]")


def parse_time(value: Any) -> datetime | None:
    """RingCentral's ISO 8601 time (``2026-11-27T14:03:09.441Z``) as aware UTC, or None."""
    if not isinstance(value, str) or not value or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _word(value: Any) -> str:
    return value[:MAX_WORD] if isinstance(value, str) else ""


def _duration(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError):
        return 0


def record_id_of(record: Mapping[str, Any]) -> str | None:
    """The record's ``id``, when it is one a store accepts."""
    record_id = record.get("id")
    if not isinstance(record_id, str) or not record_id or len(record_id) > MAX_RECORD_ID_LENGTH:
        return None
    return record_id


def entry_of(record: Mapping[str, Any]) -> CallEntry | None:
    """The record's plaintext index; None when the record is malformed (see ``merge``)."""
    record_id = record_id_of(record)
    if record_id is None:
        return None
    start = parse_time(record.get("startTime"))
    if start is None:
        return None
    extension = record.get("extension")
    extension_id = extension.get("id") if isinstance(extension, Mapping) else None
    return CallEntry(
        record_id=record_id,
        start_time=start,
        direction=_word(record.get("direction")),
        type=_word(record.get("type")),
        result=_word(record.get("result")),
        duration=_duration(record.get("duration")),
        # RingCentral writes extension ids as numbers in some places and strings in others.
        extension_id=str(extension_id)[:MAX_WORD]
        if isinstance(extension_id, str | int) and not isinstance(extension_id, bool)
        else "",
        last_modified=parse_time(record.get("lastModifiedTime")),
    )


def normalise_text(value: str) -> str:
    """Case folded, runs of white space as one space, no separator characters."""
    return " ".join(_SEPARATORS.sub(" ", value).split()).casefold()


def digits_of(value: str) -> str:
    return _NOT_DIGIT.sub("", value)


def search_text(record: Mapping[str, Any]) -> tuple[str, str]:
    """The record's names and its digits (numbers and extension numbers), as search reads them.

    Each is the values of ``from`` and ``to`` joined by :data:`FIELD_SEPARATOR`, so that a
    search never matches across two values.
    """
    names: list[str] = []
    digits: list[str] = []
    for side in ("from", "to"):
        party = record.get(side)
        if not isinstance(party, Mapping):
            continue
        name = party.get("name")
        if isinstance(name, str) and name.strip():
            names.append(normalise_text(name))
        for key in ("phoneNumber", "extensionNumber"):
            value = party.get(key)
            number = digits_of(value) if isinstance(value, str) else ""
            if number:
                digits.append(number)
    return FIELD_SEPARATOR.join(names), FIELD_SEPARATOR.join(digits)


def sort_out(
    records: Iterable[Mapping[str, Any]],
) -> tuple[dict[str, tuple[CallEntry, Mapping[str, Any]]], list[str], int]:
    """A batch to merge: what to store by id, which ids to delete, how many were malformed.

    RingCentral's ISync with ``showDeleted`` marks removed records ``"deleted": true``;
    only their id matters. When an id comes twice, the newer version counts, and a
    deletion counts against what came before it in the batch.
    """
    keep: dict[str, tuple[CallEntry, Mapping[str, Any]]] = {}
    deleted: dict[str, None] = {}
    malformed = 0
    for record in records:
        if not isinstance(record, Mapping):
            malformed += 1
            continue
        if record.get("deleted") is True:
            record_id = record_id_of(record)
            if record_id is None:
                malformed += 1
            else:
                keep.pop(record_id, None)
                deleted[record_id] = None
            continue
        entry = entry_of(record)
        if entry is None:
            malformed += 1
            continue
        deleted.pop(entry.record_id, None)
        stored = keep.get(entry.record_id)
        if stored is None or newer(entry, stored[0]):
            keep[entry.record_id] = (entry, record)
    return keep, list(deleted), malformed


def newer(incoming: CallEntry, stored: CallEntry) -> bool:
    """Whether ``incoming`` replaces ``stored``: only forward in ``lastModifiedTime``."""
    if incoming.last_modified is None or stored.last_modified is None:
        return True
    return incoming.last_modified > stored.last_modified
