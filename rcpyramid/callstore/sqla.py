"""The SQL call history: records in the token database, names and numbers encrypted.

The app uses it when tokens are kept in SQL (SQLite or PostgreSQL): same engine, same
key ring (``RCPYRAMID_TOKEN_KEYS``), same request transaction.

At rest. Each record's RingCentral JSON and its search text (names, digits of numbers
and extension numbers) are sealed with AES-GCM under the key ring's primary key; the
associated data binds each ciphertext to its field, owner and record id, so a
ciphertext copied onto another row fails to open. The plaintext columns are the
:class:`~rcpyramid.callstore.interfaces.CallEntry` index (times, direction, type,
result, duration, extension id), which names no one and lets the database filter,
sort, count and page without decrypting anything.

Search. Substring search over encrypted names and numbers cannot run in the database.
Each process keeps, per owner, a :class:`~rcpyramid.callstore.search.SearchIndex` of
the decrypted search text (about a hundred bytes a record), labelled with the owner's
revision: a random value every write of the owner's records replaces in the same
transaction. A search reads the revision (one primary-key lookup); when it matches the
memo's, the memo answers, otherwise the search texts are decrypted once into a new
one. Revisions are never reused, so a memo never answers for records that changed,
in this process or another, nor for a write that was rolled back. The memo is
bounded (:data:`MEMO_RECORDS` records per process, least recently used out first)
and forgets an owner after :data:`MEMO_SECONDS`, so decrypted names do not outlive
their use in a worker's memory for long. A blind index (HMACs of number digits and
name parts in the database) was the other way: it finds only whole values or
precomputed fragments, leaks which rows share a value, and grows the table; the
memo finds any substring and stores nothing new.

Transactions, as the token repository's: with a request's session, every verb joins
the request's transaction (``pyramid_tm``) and never commits; without one (a sync
worker, scripts, the benchmark) every verb is a transaction of its own. On SQLite a
write in the request's transaction holds the database's one write lock until the
request ends: a request that also signs out, touches or refreshes a login (token steps
in transactions of their own) does those first, or they raise ``LockOrderError``.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from sqlalchemy import ColumnElement, Table, delete, func, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from zope.sqlalchemy import mark_changed

from rcpyramid.callstore.interfaces import (
    CallEntry,
    CallHistory,
    CallStoreError,
    HistoryPage,
    HistoryQuery,
    Merged,
    SyncState,
)
from rcpyramid.callstore.records import search_text, sort_out
from rcpyramid.callstore.schedule_sqla import SqlLiveSchedule
from rcpyramid.callstore.search import Needle, SearchIndex
from rcpyramid.memo import LockedTTL
from rcpyramid.models import calls as rows
from rcpyramid.models.meta import AnyRow
from rcpyramid.tokens.crypto import DecryptionError, Keyring, associated_data, load_keyring
from rcpyramid.tokens.sqla.errors import translated
from rcpyramid.tokens.sqla.rows import Executor, insert_for
from rcpyramid.tokens.sqla.transactions import RequestWrites

log = logging.getLogger(__name__)

HISTORIES: Table = rows.HistoryOwner.__table__  # type: ignore[assignment]
RECORDS: Table = rows.CallRecord.__table__  # type: ignore[assignment]

# The field names that go into each ciphertext's associated data.
RECORD, SEARCH, SYNC_TOKEN = "call_record", "call_search", "call_sync_token"

#: Decrypted search text a process keeps at most, in records (about 100 bytes each).
MEMO_RECORDS = 100_000
#: How long a process keeps an owner's decrypted search text after building it.
MEMO_SECONDS = 600.0
#: Up to this many search hits are looked up by id; more are matched against the range's ids.
HITS_BY_ID = 500
#: Ids per ``IN (...)`` list: well under SQLite's limit on bound parameters.
CHUNK = 500

T = TypeVar("T")
#: The index columns in the order of CallEntry's fields.
_ENTRY_COLUMNS = tuple(RECORDS.c[field.name] for field in fields(CallEntry))


def _translated(doing: str) -> AbstractContextManager[None]:
    """Driver errors become :class:`CallStoreError`, which the app answers with a 503 page."""
    return translated(doing, "the call history", CallStoreError)


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _subject(owner: str, record_id: str) -> str:
    return f"{owner}\x00{record_id}"


class SearchMemo:
    """Per-process decrypted search text, per owner, labelled with the owner's revision."""

    def __init__(self, max_records: int = MEMO_RECORDS, seconds: float = MEMO_SECONDS) -> None:
        self._cache: LockedTTL[str, tuple[str, SearchIndex]] = LockedTTL(
            max_records, seconds, getsizeof=lambda held: max(1, len(held[1]))
        )

    def get(self, owner: str, revision: str) -> SearchIndex | None:
        held = self._cache.get(owner)
        if held is None or held[0] != revision:
            return None
        return held[1]

    def put(self, owner: str, revision: str, index: SearchIndex) -> None:
        try:
            self._cache[owner] = (revision, index)
        except ValueError:
            # One owner larger than the whole memo: searched without it, every time.
            self._cache.pop(owner)

    def drop(self, owner: str) -> None:
        self._cache.pop(owner)


class SqlCallStore:
    """What a process keeps for the SQL call history: the engine, the keys, the search memo."""

    def __init__(self, engine: Engine, keyring: Keyring, memo: SearchMemo | None = None) -> None:
        self.engine = engine
        self.keyring = keyring
        self.memo = memo if memo is not None else SearchMemo()
        self.dialect = engine.dialect.name
        insert_for(self.dialect, RECORDS)  # refuse an unsupported database now, not per request

    def __repr__(self) -> str:
        return f"SqlCallStore(url={self.engine.url!r}, keyring={self.keyring!r})"


def includeme(config: Configurator) -> None:
    """The token store's engine and keys; a history per request on ``request.dbsession``."""
    registry = config.registry
    factory = registry.get("dbsession_factory")
    if factory is None:
        raise ConfigurationError(
            "rcpyramid.callstore.sqla needs the SQL token backend included first "
            "(rcpyramid.tokens with rcpyramid.tokens.sqla.SQLAlchemyTokenRepository)"
        )
    store = SqlCallStore(factory.kw["bind"], load_keyring(registry.app_settings.tokens))
    registry.call_history_outside_requests = SQLAlchemyCallHistory(store)
    registry.live_schedule = SqlLiveSchedule(store.engine, store.keyring)

    def history(context: object, request: Any) -> SQLAlchemyCallHistory:
        return SQLAlchemyCallHistory(store, request.dbsession)

    config.register_service_factory(history, CallHistory)


class SQLAlchemyCallHistory(CallHistory):
    """Call records in SQLite or PostgreSQL; see the module docstring."""

    shared_across_processes = True

    def __init__(self, store: SqlCallStore, dbsession: Session | None = None) -> None:
        self.store = store
        self._session = dbsession

    def __repr__(self) -> str:
        return f"SQLAlchemyCallHistory(store={self.store!r})"

    # -- where statements run --------------------------------------------------------------

    def _read(self, run: Callable[[Executor], T], doing: str) -> T:
        with _translated(doing):
            if self._session is not None:
                return run(self._session)
            with self.store.engine.connect() as conn:
                # One implicit transaction for the reads of one verb: a consistent snapshot.
                return run(conn)

    def _write(self, run: Callable[[Executor], T], doing: str) -> T:
        with _translated(doing):
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

    # -- sealing -----------------------------------------------------------------------------

    def _seal_row(self, owner: str, entry: CallEntry, record: Mapping[str, Any]) -> dict[str, Any]:
        keyring = self.store.keyring
        subject = _subject(owner, entry.record_id)
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
                associated_data(RECORD, subject),
            ),
            "search": keyring.encrypt(f"{names}\x00{digits}", associated_data(SEARCH, subject)),
        }

    def _open_record(self, owner: str, row: AnyRow) -> dict[str, Any] | None:
        try:
            opened = self.store.keyring.decrypt(
                row.key_id, row.record, associated_data(RECORD, _subject(owner, row.record_id))
            )
        except DecryptionError:
            # Tampered with, or copied from another row: left out, and left for someone to see.
            log.warning("a stored call record failed to decrypt (key id %s): left out", row.key_id)
            return None
        record = json.loads(opened)
        return record if isinstance(record, dict) else None

    def _open_search(self, owner: str, row: AnyRow) -> tuple[str, str, str]:
        try:
            opened = self.store.keyring.decrypt(
                row.key_id, row.search, associated_data(SEARCH, _subject(owner, row.record_id))
            )
        except DecryptionError:
            log.warning("a stored call record failed to decrypt (key id %s): left out", row.key_id)
            return row.record_id, "", ""
        # Digits never hold a NUL; a name might.
        names, _, digits = opened.rpartition("\x00")
        return row.record_id, names, digits

    # -- records -----------------------------------------------------------------------------

    def _new_revision(self, ex: Executor, owner: str) -> None:
        statement = insert_for(self.store.dialect, HISTORIES).values(
            owner=owner, revision=secrets.token_hex(8)
        )
        ex.execute(
            statement.on_conflict_do_update(
                index_elements=[HISTORIES.c.owner],
                set_={"revision": statement.excluded.revision},
            )
        )

    def merge(self, owner: str, records: Iterable[Mapping[str, Any]]) -> Merged:
        keep, to_delete, malformed = sort_out(records)
        if not keep and not to_delete:
            return Merged(skipped=malformed)
        sealed = {
            rid: self._seal_row(owner, entry, record) for rid, (entry, record) in keep.items()
        }
        statement = insert_for(self.store.dialect, RECORDS)
        incoming = statement.excluded.last_modified
        stored = RECORDS.c.last_modified
        upsert = statement.on_conflict_do_update(
            index_elements=[RECORDS.c.owner, RECORDS.c.record_id],
            set_={
                column.name: statement.excluded[column.name]
                for column in RECORDS.columns
                if column.name not in {"owner", "record_id"}
            },
            # In the statement too, not only below: a concurrent writer never goes back in time.
            where=stored.is_(None) | incoming.is_(None) | (incoming > stored),
        )

        def run(ex: Executor) -> Merged:
            deleted: list[str] = []
            for chunk in _chunks(sorted(to_delete)):
                deleted += ex.execute(
                    delete(RECORDS)
                    .where(RECORDS.c.owner == owner, RECORDS.c.record_id.in_(chunk))
                    .returning(RECORDS.c.record_id)
                ).scalars()
            held: dict[str, datetime | None] = {}
            for chunk in _chunks(list(keep)):
                for record_id, last_modified in ex.execute(
                    select(RECORDS.c.record_id, RECORDS.c.last_modified).where(
                        RECORDS.c.owner == owner, RECORDS.c.record_id.in_(chunk)
                    )
                ):
                    held[record_id] = last_modified
            added: list[str] = []
            updated: list[str] = []
            writes: list[dict[str, Any]] = []
            for record_id, (entry, _) in keep.items():
                if record_id in held:
                    before = held[record_id]
                    modified = entry.last_modified
                    if before is not None and modified is not None and modified <= before:
                        continue
                    updated.append(record_id)
                else:
                    added.append(record_id)
                writes.append(sealed[record_id])
            if writes:
                # In id order: two merges of overlapping batches lock rows in the same order.
                writes.sort(key=lambda values: values["record_id"])
                ex.execute(upsert, writes)
            result = Merged(tuple(added), tuple(updated), tuple(sorted(deleted)), malformed)
            if result.changed:
                self._new_revision(ex, owner)
                self.store.memo.drop(owner)
            return result

        return self._write(run, "storing call records")

    def delete_records(self, owner: str, record_ids: Iterable[str]) -> int:
        wanted = sorted(set(record_ids))
        if not wanted:
            return 0

        def run(ex: Executor) -> int:
            removed = 0
            for chunk in _chunks(wanted):
                removed += len(
                    ex.execute(
                        delete(RECORDS)
                        .where(RECORDS.c.owner == owner, RECORDS.c.record_id.in_(chunk))
                        .returning(RECORDS.c.record_id)
                    ).all()
                )
            if removed:
                self._new_revision(ex, owner)
                self.store.memo.drop(owner)
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
        return None if row is None else self._open_record(owner, row)

    # -- pages -------------------------------------------------------------------------------

    @staticmethod
    def _filters(owner: str, query: HistoryQuery) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [RECORDS.c.owner == owner]
        if query.date_from is not None:
            conditions.append(RECORDS.c.start_time >= query.date_from)
        if query.date_to is not None:
            conditions.append(RECORDS.c.start_time < query.date_to)
        if query.directions:
            conditions.append(RECORDS.c.direction.in_(query.directions))
        if query.types:
            conditions.append(RECORDS.c.type.in_(query.types))
        if query.results:
            conditions.append(RECORDS.c.result.in_(query.results))
        if query.extension_id is not None:
            conditions.append(RECORDS.c.extension_id == query.extension_id)
        return conditions

    _NEWEST_FIRST = (RECORDS.c.start_time.desc(), RECORDS.c.record_id.desc())

    def _search_index(self, ex: Executor, owner: str) -> SearchIndex:
        """The owner's search text, newest first, from this process's memo when it is current."""
        revision = ex.execute(
            select(HISTORIES.c.revision).where(HISTORIES.c.owner == owner)
        ).scalar_one_or_none()
        if revision is None:
            return SearchIndex(())
        index = self.store.memo.get(owner, revision)
        if index is None:
            found = ex.execute(
                select(RECORDS.c.record_id, RECORDS.c.key_id, RECORDS.c.search)
                .where(RECORDS.c.owner == owner)
                .order_by(*self._NEWEST_FIRST)
            ).all()
            index = SearchIndex(self._open_search(owner, row) for row in found)
            # Read after the revision: at least as new as it, so the label never overstates.
            self.store.memo.put(owner, revision, index)
        return index

    def _matching_ids(
        self, ex: Executor, owner: str, query: HistoryQuery, needle: Needle
    ) -> list[str]:
        """Every id the search and the filters match, newest first (the memo's order)."""
        hits = self._search_index(ex, owner).matching(needle)
        conditions = self._filters(owner, query)
        if not hits or len(conditions) == 1:  # the owner is the only condition
            return hits
        if len(hits) <= HITS_BY_ID:
            conditions.append(RECORDS.c.record_id.in_(hits))
        passing = set(ex.execute(select(RECORDS.c.record_id).where(*conditions)).scalars().all())
        return [record_id for record_id in hits if record_id in passing]

    def _window(
        self, ex: Executor, owner: str, query: HistoryQuery, columns: Sequence[Any]
    ) -> tuple[list[AnyRow], int]:
        """The rows of the query's page (``columns``) in order, and how many match in all."""
        needle = Needle.parse(query.search)
        if needle is None:
            conditions = self._filters(owner, query)
            total = ex.execute(
                select(func.count()).select_from(RECORDS).where(*conditions)
            ).scalar_one()
            if query.limit == 0 or query.offset >= total:
                return [], total
            statement = (
                select(*columns)
                .where(*conditions)
                .order_by(*self._NEWEST_FIRST)
                .offset(query.offset)
            )
            if query.limit is not None:
                statement = statement.limit(query.limit)
            return list(ex.execute(statement).all()), total
        matching = self._matching_ids(ex, owner, query, needle)
        end = None if query.limit is None else query.offset + query.limit
        wanted = matching[query.offset : end]
        found: dict[str, AnyRow] = {}
        for chunk in _chunks(wanted):
            for row in ex.execute(
                select(*columns).where(RECORDS.c.owner == owner, RECORDS.c.record_id.in_(chunk))
            ):
                found[row.record_id] = row
        return [found[record_id] for record_id in wanted if record_id in found], len(matching)

    def page(self, owner: str, query: HistoryQuery) -> HistoryPage:
        columns = (RECORDS.c.record_id, RECORDS.c.key_id, RECORDS.c.record)
        window, total = self._read(
            lambda ex: self._window(ex, owner, query, columns), "reading call records"
        )
        records = [self._open_record(owner, row) for row in window]
        return HistoryPage(records=[r for r in records if r is not None], total=total)

    def entries(self, owner: str, query: HistoryQuery) -> list[CallEntry]:
        columns = _ENTRY_COLUMNS
        window, _ = self._read(
            lambda ex: self._window(ex, owner, query, columns), "reading the call index"
        )
        # Positionally, as _ENTRY_COLUMNS lines them up: a third faster than by name.
        return [CallEntry(*row) for row in window]

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
                self._new_revision(ex, owner)
                self.store.memo.drop(owner)
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
        with _translated("checking the database"), self.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
