"""A call record to its row and back: the index in the clear, names and numbers sealed."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from rcpyramid.callstore.interfaces import CallEntry
from rcpyramid.callstore.records import search_text
from rcpyramid.callstore.sqla.tables import RECORD, SEARCH, subject
from rcpyramid.models.meta import AnyRow
from rcpyramid.tokens.crypto import DecryptionError, Keyring, associated_data

log = logging.getLogger(__name__)


def seal_row(
    keyring: Keyring, owner: str, entry: CallEntry, record: Mapping[str, Any]
) -> dict[str, Any]:
    """The row of one record: its index in the clear, its JSON and search text sealed."""
    sealed_for = subject(owner, entry.record_id)
    names, digits = search_text(record)
    return {
        "owner": owner,
        "record_id": entry.record_id,
        "start_time": entry.start_time,
        "direction": entry.direction,
        "type": entry.type,
        "result": entry.result,
        "duration": entry.duration,
        "extension_id": entry.extension_id,
        "last_modified": entry.last_modified,
        "key_id": keyring.primary,
        "record": keyring.encrypt(
            json.dumps(record, separators=(",", ":"), ensure_ascii=False),
            associated_data(RECORD, sealed_for),
        ),
        "search": keyring.encrypt(f"{names}\x00{digits}", associated_data(SEARCH, sealed_for)),
    }


def open_record(keyring: Keyring, owner: str, row: AnyRow) -> dict[str, Any] | None:
    """The record a row holds; None when it does not open (logged)."""
    try:
        opened = keyring.decrypt(
            row.key_id, row.record, associated_data(RECORD, subject(owner, row.record_id))
        )
    except DecryptionError:
        # Tampered with, or copied from another row: left out, and left for someone to see.
        log.warning("a stored call record failed to decrypt (key id %s): left out", row.key_id)
        return None
    record = json.loads(opened)
    return record if isinstance(record, dict) else None


def open_search(keyring: Keyring, owner: str, row: AnyRow) -> tuple[str, str, str]:
    """A row's id, names and digits, for the search memo (empty when it does not open)."""
    try:
        opened = keyring.decrypt(
            row.key_id, row.search, associated_data(SEARCH, subject(owner, row.record_id))
        )
    except DecryptionError:
        log.warning("a stored call record failed to decrypt (key id %s): left out", row.key_id)
        return row.record_id, "", ""
    # Digits never hold a NUL; a name might.
    names, _, digits = opened.rpartition("\x00")
    return row.record_id, names, digits
