"""Key rotation for the SQL call history: seal every stored record under the newest key.

``rcpyramid-reencrypt`` runs :func:`reencrypt_history` after the tokens. No lock is
taken: each row is rewritten only if it still holds the very ciphertext that was
re-read, so a sync storing a newer version meanwhile is never overwritten with the
older one; that row is already under the newest key, or is left for the next run.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, tuple_, update

from rcpyramid.callstore.sqla import SQLAlchemyCallHistory
from rcpyramid.callstore.sqla.tables import (
    HISTORIES,
    RECORD,
    RECORDS,
    SEARCH,
    SYNC_TOKEN,
    subject,
    translated,
)
from rcpyramid.tokens.crypto import (
    DecryptionError,
    RotationReport,
    UnknownKeyError,
    associated_data,
)


@dataclass(frozen=True, kw_only=True)
class HistoryReencryptReport(RotationReport):
    """What the re-encryption of call histories did."""

    records: int = 0
    histories: int = 0


def reencrypt_history(history: SQLAlchemyCallHistory, batch: int = 500) -> HistoryReencryptReport:
    """Seal every record and sync token under the key ring's primary key, a batch at a time."""
    keyring = history.store.keyring
    engine = history.store.engine
    primary = keyring.primary
    counts = {"records": 0, "histories": 0, "undecryptable": 0, "unknown_key": 0}
    last = ("", "")
    while True:
        with translated("re-encrypting call records"), engine.begin() as conn:
            rows = conn.execute(
                select(
                    RECORDS.c.owner,
                    RECORDS.c.record_id,
                    RECORDS.c.key_id,
                    RECORDS.c.record,
                    RECORDS.c.search,
                )
                .where(
                    RECORDS.c.key_id != primary,
                    tuple_(RECORDS.c.owner, RECORDS.c.record_id) > tuple_(*last),
                )
                .order_by(RECORDS.c.owner, RECORDS.c.record_id)
                .limit(batch)
            ).all()
            for row in rows:
                last = (row.owner, row.record_id)
                sealed_for = subject(row.owner, row.record_id)
                try:
                    values = {
                        name: keyring.reseal(row.key_id, blob, associated_data(name, sealed_for))
                        for name, blob in ((RECORD, row.record), (SEARCH, row.search))
                    }
                except DecryptionError:
                    counts["undecryptable"] += 1
                    continue
                except UnknownKeyError:
                    counts["unknown_key"] += 1
                    continue
                done = conn.execute(
                    update(RECORDS)
                    .where(
                        RECORDS.c.owner == row.owner,
                        RECORDS.c.record_id == row.record_id,
                        RECORDS.c.record == row.record,
                    )
                    .values(key_id=primary, record=values[RECORD], search=values[SEARCH])
                    .returning(RECORDS.c.record_id)
                ).first()
                counts["records"] += done is not None
        if len(rows) < batch:
            break
    with translated("re-encrypting sync tokens"), engine.begin() as conn:
        for owner, key_id, token in conn.execute(
            select(HISTORIES.c.owner, HISTORIES.c.key_id, HISTORIES.c.sync_token).where(
                HISTORIES.c.sync_token.is_not(None), HISTORIES.c.key_id != primary
            )
        ).all():
            aad = associated_data(SYNC_TOKEN, owner)
            try:
                sealed = keyring.reseal(key_id, token, aad)
            except (DecryptionError, UnknownKeyError):
                # A sync token that cannot be opened costs one FSync: drop it.
                sealed = None
            conn.execute(
                update(HISTORIES)
                .where(HISTORIES.c.owner == owner, HISTORIES.c.sync_token == token)
                .values(key_id=primary, sync_token=sealed)
            )
            counts["histories"] += 1
    return HistoryReencryptReport(key_id=primary, **counts)
