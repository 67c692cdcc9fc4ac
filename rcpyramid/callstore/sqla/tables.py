"""The call history's tables, the names its ciphertexts are bound to, and its small helpers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import fields

from sqlalchemy import Table

from rcpyramid.callstore.interfaces import CallEntry, CallStoreError
from rcpyramid.models import calls as rows
from rcpyramid.tokens.sqla import errors

HISTORIES: Table = rows.HistoryOwner.__table__  # type: ignore[assignment]
RECORDS: Table = rows.CallRecord.__table__  # type: ignore[assignment]

# The field names that go into each ciphertext's associated data.
RECORD, SEARCH, SYNC_TOKEN = "call_record", "call_search", "call_sync_token"

#: Ids per ``IN (...)`` list: well under SQLite's limit on bound parameters.
CHUNK = 500

#: The index columns in the order of CallEntry's fields.
ENTRY_COLUMNS = tuple(RECORDS.c[field.name] for field in fields(CallEntry))
#: The order of every page: newest first, ties by id.
NEWEST_FIRST = (RECORDS.c.start_time.desc(), RECORDS.c.record_id.desc())


def translated(doing: str) -> AbstractContextManager[None]:
    """Driver errors become :class:`CallStoreError`, which the app answers with a 503 page."""
    return errors.translated(doing, "the call history", CallStoreError)


def chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    """``values`` in slices of :data:`CHUNK`, one ``IN (...)`` list each."""
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def subject(owner: str, record_id: str) -> str:
    """What a record's ciphertexts are bound to: its owner and its id."""
    return f"{owner}\x00{record_id}"
