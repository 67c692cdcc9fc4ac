"""The SQL call history's verbs: records merged and read, sync state, housekeeping.

Where each verb runs (:meth:`SQLAlchemyCallHistory._read` and ``_write``): in the
request's session when there is one, else in a transaction of its own; the package
docstring (:mod:`rcpyramid.callstore.sqla`) says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session
from zope.sqlalchemy import mark_changed

from rcpyramid.callstore.interfaces import (
    CallEntry,
    CallHistory,
    HistoryPage,
    HistoryQuery,
    Merged,
    SyncState,
)
from rcpyramid.callstore.records import sort_out
from rcpyramid.callstore.sqla.pages import page_rows
from rcpyramid.callstore.sqla.sealing import open_record, seal_row
from rcpyramid.callstore.sqla.store import SqlCallStore
from rcpyramid.callstore.sqla.tables import (
    ENTRY_COLUMNS,
    HISTORIES,
    RECORDS,
    SYNC_TOKEN,
    translated,
)
from rcpyramid.callstore.sqla.writes import delete_ids, held_versions, new_revision, upsert_records
from rcpyramid.tokens.crypto import DecryptionError, associated_data
from rcpyramid.tokens.sqla.rows import Executor, insert_for
from rcpyramid.tokens.sqla.transactions import RequestWrites

log = logging.getLogger(__name__)

T = TypeVar("T")


def _newer(incoming: datetime | None, stored: datetime | None) -> bool:
    """An incoming version replaces a stored one unless both have times and it is not later."""
    return incoming is None or stored is None or incoming > stored


class SQLAlchemyCallHistory(CallHistory):
    """Call records in SQLite or PostgreSQL; see :mod:`rcpyramid.callstore.sqla`."""

    shared_across_processes = True

    def __init__(self, store: SqlCallStore, dbsession: Session | None = None) -> None:
        self.store = store
        self._session = dbsession

    def __repr__(self) -> str:
        return f"SQLAlchemyCallHistory(store={self.store!r})"

    # -- where statements run --------------------------------------------------------------

    def _read(self, run: Callable[[Executor], T], doing: str) -> T:
        with translated(doing):
            if self._session is not None:
                return run(self._session)
            with self.store.engine.connect() as conn:
                # One implicit transaction for the reads of one verb: a consistent snapshot.
                return run(conn)

    def _write(self, run: Callable[[Executor], T], doing: str) -> T:
        with translated(doing):
            session = self._session
            if session is None:
                with self.store.engine.begin() as conn:
                    return run(conn)
            result = run(session)
            # zope.sqlalchemy rolls back a session it believes only read; this one wrote.
            mark_changed(session)
            # Tell the token repository too: on SQLite this write now holds the database's
            # one write lock until the request ends, and a token step in a transaction of
            # its own (delete, touch, a refresh) must fail at once, not wait for it.
            RequestWrites.of(session).wrote = True
            return result

    # -- records -----------------------------------------------------------------------------

    def _changed(self, ex: Executor, owner: str) -> None:
        """The owner's records changed: a new revision, and this process's memo forgets them."""
        new_revision(ex, self.store.dialect, owner)
        self.store.memo.drop(owner)

    def merge(self, owner: str, records: Iterable[Mapping[str, Any]]) -> Merged:
        keep, to_delete, malformed = sort_out(records)
        if not keep and not to_delete:
            return Merged(skipped=malformed)
        sealed = {
            rid: seal_row(self.store.keyring, owner, entry, record)
            for rid, (entry, record) in keep.items()
        }
        upsert = upsert_records(self.store.dialect)

        def run(ex: Executor) -> Merged:
            deleted = delete_ids(ex, owner, sorted(to_delete))
            held = held_versions(ex, owner, list(keep))
            added: list[str] = []
            updated: list[str] = []
            for record_id, (entry, _) in keep.items():
                if record_id not in held:
                    added.append(record_id)
                elif _newer(entry.last_modified, held[record_id]):
                    updated.append(record_id)
            # In id order: two merges of overlapping batches lock rows in the same order.
            writes = [sealed[record_id] for record_id in sorted(added + updated)]
            if writes:
                ex.execute(upsert, writes)
            result = Merged(tuple(added), tuple(updated), tuple(sorted(deleted)), malformed)
            if result.changed:
                self._changed(ex, owner)
            return result

        return self._write(run, "storing call records")

    def delete_records(self, owner: str, record_ids: Iterable[str]) -> int:
        wanted = sorted(set(record_ids))
        if not wanted:
            return 0

        def run(ex: Executor) -> int:
            removed = len(delete_ids(ex, owner, wanted))
            if removed:
                self._changed(ex, owner)
            return removed

        return self._write(run, "deleting call records")

    def get(self, owner: str, record_id: str) -> dict[str, Any] | None:
        row = self._read(
            lambda ex: ex.execute(
                select(RECORDS.c.record_id, RECORDS.c.key_id, RECORDS.c.record).where(
                    RECORDS.c.owner == owner, RECORDS.c.record_id == record_id
                )
            ).first(),
            "reading a call record",
        )
        return None if row is None else open_record(self.store.keyring, owner, row)

    def page(self, owner: str, query: HistoryQuery) -> HistoryPage:
        columns = (RECORDS.c.record_id, RECORDS.c.key_id, RECORDS.c.record)
        rows, total = self._read(
            lambda ex: page_rows(self.store, ex, owner, query, columns), "reading call records"
        )
        records = [open_record(self.store.keyring, owner, row) for row in rows]
        return HistoryPage(records=[r for r in records if r is not None], total=total)

    def entries(self, owner: str, query: HistoryQuery) -> list[CallEntry]:
        columns = ENTRY_COLUMNS
        rows, _ = self._read(
            lambda ex: page_rows(self.store, ex, owner, query, columns), "reading the call index"
        )
        # Positionally, as ENTRY_COLUMNS lines them up: a third faster than by name.
        return [CallEntry(*row) for row in rows]

    def revision(self, owner: str) -> str | None:
        return self._read(
            lambda ex: ex.execute(
                select(HISTORIES.c.revision).where(HISTORIES.c.owner == owner)
            ).scalar_one_or_none(),
            "reading a call history's revision",
        )

    # -- sync state --------------------------------------------------------------------------

    def sync_state(self, owner: str) -> SyncState:
        row = self._read(
            lambda ex: ex.execute(select(HISTORIES).where(HISTORIES.c.owner == owner)).first(),
            "reading a call history's sync state",
        )
        if row is None:
            return SyncState()
        token: str | None = None
        if row.sync_token is not None and row.key_id is not None:
            try:
                token = self.store.keyring.decrypt(
                    row.key_id, row.sync_token, associated_data(SYNC_TOKEN, owner)
                )
            except DecryptionError:
                # A lost sync token costs one FSync, never a wrong history.
                log.warning("a stored sync token failed to decrypt (key id %s)", row.key_id)
        return SyncState(
            sync_token=token,
            synced_at=row.synced_at,
            covers_from=row.covers_from,
            backfill_until=row.backfill_until,
        )

    def save_sync_state(self, owner: str, state: SyncState) -> None:
        keyring = self.store.keyring
        values: dict[str, Any] = {
            "key_id": keyring.primary,
            "sync_token": None
            if state.sync_token is None
            else keyring.encrypt(state.sync_token, associated_data(SYNC_TOKEN, owner)),
            "synced_at": state.synced_at,
            "covers_from": state.covers_from,
            "backfill_until": state.backfill_until,
        }
        statement = insert_for(self.store.dialect, HISTORIES).values(owner=owner, **values)
        statement = statement.on_conflict_do_update(
            index_elements=[HISTORIES.c.owner],
            set_={name: statement.excluded[name] for name in values},
        )
        self._write(lambda ex: ex.execute(statement), "saving a call history's sync state")

    # -- housekeeping --------------------------------------------------------------------------

    def trim(self, owner: str, older_than: datetime) -> int:
        def run(ex: Executor) -> int:
            removed = len(
                ex.execute(
                    delete(RECORDS)
                    .where(RECORDS.c.owner == owner, RECORDS.c.start_time < older_than)
                    .returning(RECORDS.c.record_id)
                ).all()
            )
            ex.execute(
                update(HISTORIES)
                .where(HISTORIES.c.owner == owner, HISTORIES.c.covers_from < older_than)
                .values(covers_from=older_than)
            )
            if removed:
                self._changed(ex, owner)
            return removed

        return self._write(run, "trimming a call history")

    def forget(self, owner: str) -> None:
        def run(ex: Executor) -> None:
            ex.execute(delete(RECORDS).where(RECORDS.c.owner == owner))
            ex.execute(delete(HISTORIES).where(HISTORIES.c.owner == owner))

        self._write(run, "forgetting a call history")
        self.store.memo.drop(owner)

    def owners(self) -> list[str]:
        # Every write of records also writes the owner's history row (its revision).
        return list(
            self._read(
                lambda ex: (
                    ex.execute(select(HISTORIES.c.owner).order_by(HISTORIES.c.owner))
                    .scalars()
                    .all()
                ),
                "listing call histories",
            )
        )

    def ping(self) -> None:
        with translated("checking the database"), self.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
