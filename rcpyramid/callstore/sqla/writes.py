"""The statements a write of records is made of: upsert, delete by id, versions held, revision."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from rcpyramid.callstore.sqla.tables import HISTORIES, RECORDS, chunks
from rcpyramid.tokens.sqla.rows import Executor, insert_for


def upsert_records(dialect: str) -> Any:
    """Insert or replace records; a stored version is replaced only by a newer one."""
    statement = insert_for(dialect, RECORDS)
    incoming = statement.excluded.last_modified
    stored = RECORDS.c.last_modified
    return statement.on_conflict_do_update(
        index_elements=[RECORDS.c.owner, RECORDS.c.record_id],
        set_={
            column.name: statement.excluded[column.name]
            for column in RECORDS.columns
            if column.name not in {"owner", "record_id"}
        },
        # In the statement too, not only in the caller: a concurrent writer never goes
        # back in time.
        where=stored.is_(None) | incoming.is_(None) | (incoming > stored),
    )


def delete_ids(ex: Executor, owner: str, record_ids: Sequence[str]) -> list[str]:
    """Delete the owner's records by id; the ids that were there."""
    deleted: list[str] = []
    for chunk in chunks(record_ids):
        deleted += ex.execute(
            delete(RECORDS)
            .where(RECORDS.c.owner == owner, RECORDS.c.record_id.in_(chunk))
            .returning(RECORDS.c.record_id)
        ).scalars()
    return deleted


def held_versions(
    ex: Executor, owner: str, record_ids: Sequence[str]
) -> dict[str, datetime | None]:
    """The stored modification time of each of these records the owner holds."""
    held: dict[str, datetime | None] = {}
    for chunk in chunks(record_ids):
        for record_id, last_modified in ex.execute(
            select(RECORDS.c.record_id, RECORDS.c.last_modified).where(
                RECORDS.c.owner == owner, RECORDS.c.record_id.in_(chunk)
            )
        ):
            held[record_id] = last_modified
    return held


def new_revision(ex: Executor, dialect: str, owner: str) -> None:
    """Label the owner's records with a new random revision (the history row made if new)."""
    statement = insert_for(dialect, HISTORIES).values(owner=owner, revision=secrets.token_hex(8))
    ex.execute(
        statement.on_conflict_do_update(
            index_elements=[HISTORIES.c.owner],
            set_={"revision": statement.excluded.revision},
        )
    )
