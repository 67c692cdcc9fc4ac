"""The package's call history suite (rcpyramid.callstore.testing) on every backend that ships.

PostgreSQL runs when ``RCPYRAMID_TEST_POSTGRES_URL`` is set (see tests/databases.py),
each test in a schema of its own.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from rcpyramid.callstore.interfaces import SyncState
from rcpyramid.callstore.memory import MemoryCallHistory
from rcpyramid.callstore.rotation import reencrypt_history
from rcpyramid.callstore.sqla import HISTORIES, RECORDS, SQLAlchemyCallHistory, SqlCallStore
from rcpyramid.callstore.testing import CallHistoryTests
from rcpyramid.callstore.testing.data import ALICE, BOB, NOON, everything, ids, make_record
from rcpyramid.models import make_engine, metadata
from rcpyramid.tokens.crypto import Keyring
from rcpyramid.tokens.sqla import LockOrderError, SQLAlchemyTokenRepository, SqlTokenStore
from tests.databases import (
    TEST_KEYS,
    fixed_key,
    postgres_schema,
    run_in_processes,
    sqlite_url,
)


class TestMemoryBackend(CallHistoryTests):
    @contextmanager
    def open_history(self, tmp_path: Path) -> Iterator[MemoryCallHistory]:
        yield MemoryCallHistory()


class SQLBackendTests(CallHistoryTests):
    """The contract on a SQL database, plus what only a shared, encrypted store promises."""

    def database(self, tmp_path: Path) -> AbstractContextManager[str]:
        raise NotImplementedError

    @contextmanager
    def open_history(self, tmp_path: Path) -> Iterator[SQLAlchemyCallHistory]:
        with self.database(tmp_path) as url:
            engine = make_engine(url, pool_size=4)
            try:
                metadata.create_all(engine)
                yield SQLAlchemyCallHistory(SqlCallStore(engine, Keyring.parse(TEST_KEYS)))
            finally:
                engine.dispose()

    def test_sql_tables_hold_no_name_or_number_in_the_clear(
        self, history: SQLAlchemyCallHistory
    ) -> None:
        self.fill_for_search(history)
        history.save_sync_state(ALICE, SyncState(sync_token="SYNC-TOKEN-VALUE"))
        dumped = dump_tables(history.store.engine)
        for secret in (
            # As RingCentral writes them, and as search reads them (case folded).
            "Carol",
            "carol jones",
            "Brien",
            "Erin",
            "Alice",
            "alice smith",
            "ZOË",
            "zoë",
            "strasse",
            "6505550199",
            "650555",
            "2079460958",
            "4930901820",
            "5550100",
            "Palo Alto",
            "SYNC-TOKEN-VALUE",
        ):
            assert secret not in dumped
        # The index is there in the clear, and the records still open.
        assert "Inbound" in dumped and "Outbound" in dumped
        assert self.search(history, ALICE, "650 555 0199") == ["carol"]

    def test_sql_a_record_moved_to_another_owner_does_not_open(
        self, history: SQLAlchemyCallHistory
    ) -> None:
        history.merge(ALICE, [make_record("rec-1", NOON, name="Carol Jones")])
        history.merge(BOB, [make_record("rec-2", NOON, name="Dan Brown")])
        with history.store.engine.begin() as conn:
            conn.execute(
                update(RECORDS).where(RECORDS.c.owner == ALICE).values(owner=BOB, record_id="rec-3")
            )
        assert history.get(BOB, "rec-3") is None
        assert ids(history.page(BOB, everything()).records) == ["rec-2"]
        assert self.search(history, BOB, "carol") == []

    def test_sql_search_sees_writes_of_another_process(
        self, history: SQLAlchemyCallHistory
    ) -> None:
        # Another process: the same database, its own engine and its own memo.
        url = history.store.engine.url.render_as_string(hide_password=False)
        other = SQLAlchemyCallHistory(
            SqlCallStore(make_engine(url, pool_size=2), Keyring.parse(TEST_KEYS))
        )
        try:
            self.fill_for_search(history)
            assert self.search(other, ALICE, "carol") == ["carol"]
            history.merge(
                ALICE, [make_record("frank", NOON + timedelta(minutes=1), name="Frank Li")]
            )
            assert self.search(other, ALICE, "frank") == ["frank"]
            history.delete_records(ALICE, ["carol"])
            assert self.search(other, ALICE, "carol") == []
            history.forget(ALICE)
            assert self.search(other, ALICE, "frank") == []
        finally:
            other.store.engine.dispose()

    def test_sql_a_rolled_back_write_never_answers_a_search(
        self, history: SQLAlchemyCallHistory
    ) -> None:
        self.fill_for_search(history)
        assert self.search(history, ALICE, "carol") == ["carol"]
        session = Session(bind=history.store.engine)
        in_request = SQLAlchemyCallHistory(history.store, session)
        try:
            in_request.merge(ALICE, [make_record("ghost", NOON, name="Ghost Writer")])
            assert self.search(in_request, ALICE, "ghost") == ["ghost"]
        finally:
            session.rollback()
            session.close()
        assert self.search(history, ALICE, "ghost") == []
        history.merge(ALICE, [make_record("real", NOON, name="Real Person")])
        assert self.search(history, ALICE, "ghost") == []
        assert self.search(history, ALICE, "real person") == ["real"]

    def test_sql_reencrypt_moves_records_and_sync_tokens_to_the_newest_key(
        self, history: SQLAlchemyCallHistory
    ) -> None:
        self.fill_for_search(history)
        history.save_sync_state(ALICE, SyncState(sync_token="sync-token"))
        dave = history.get(ALICE, "dave")
        newest = fixed_key("newest")
        rotated = SQLAlchemyCallHistory(
            SqlCallStore(history.store.engine, Keyring.parse(f"{newest},{TEST_KEYS}"))
        )
        report = reencrypt_history(rotated, batch=2)
        assert (report.records, report.histories, report.complete) == (5, 1, True)
        assert reencrypt_history(rotated).records == 0
        only_newest = SQLAlchemyCallHistory(
            SqlCallStore(history.store.engine, Keyring.parse(newest))
        )
        assert self.search(only_newest, ALICE, "650 555 0199") == ["carol"]
        assert only_newest.get(ALICE, "dave") == dave
        assert only_newest.sync_state(ALICE).sync_token == "sync-token"

    @pytest.mark.subprocess
    def test_sql_merges_from_several_processes_keep_the_newest_versions(
        self, history: SQLAlchemyCallHistory
    ) -> None:
        workers = 3
        url = history.store.engine.url.render_as_string(hide_password=False)
        outcomes, exit_codes = run_in_processes(merge_in_child, (url,), workers)
        assert exit_codes == [0] * workers, outcomes
        page = history.page(ALICE, everything())
        assert page.total == 40
        # Whichever process came last, every record holds the newest version written.
        assert {record["result"] for record in page.records} == {f"version {max(outcomes)}"}


class TestSQLiteBackend(SQLBackendTests):
    def database(self, tmp_path: Path) -> AbstractContextManager[str]:
        return nullcontext(sqlite_url(tmp_path))

    def test_sqlite_a_token_step_after_a_history_write_fails_at_once(
        self, history: SQLAlchemyCallHistory
    ) -> None:
        # The request's history write holds SQLite's write lock; forgetting the login in a
        # transaction of its own would wait for it until the busy timeout.
        tokens = SQLAlchemyTokenRepository(
            SqlTokenStore(history.store.engine, Keyring.parse(TEST_KEYS))
        )
        session = Session(bind=history.store.engine)
        try:
            SQLAlchemyCallHistory(history.store, session).forget(ALICE)
            with pytest.raises(LockOrderError):
                SQLAlchemyTokenRepository(tokens.store, session).delete("login-a")
        finally:
            session.rollback()
            session.close()


@pytest.mark.postgres
class TestPostgreSQLBackend(SQLBackendTests):
    def database(self, tmp_path: Path) -> AbstractContextManager[str]:
        return postgres_schema()


def merge_in_child(url: str, barrier: object, results: object) -> None:
    """One process's merges of its own version of the same 40 records, with the others at once.

    Its version is its process id: versions differ, and the highest is the newest.
    """
    engine = make_engine(url, pool_size=2, lock_timeout=30.0)
    history = SQLAlchemyCallHistory(SqlCallStore(engine, Keyring.parse(TEST_KEYS)))
    version = os.getpid()
    records = [
        make_record(
            f"rec-{n:02d}",
            NOON - timedelta(minutes=n),
            result=f"version {version}",
            modified=NOON + timedelta(seconds=version),
        )
        for n in range(40)
    ]
    random.Random(version).shuffle(records)
    try:
        barrier.wait()  # type: ignore[attr-defined]
        for start in range(0, 40, 10):
            history.merge(ALICE, records[start : start + 10])
        results.put(version)  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def dump_tables(engine: Engine) -> str:
    """Every value of the history tables as text, and a SQLite database's files byte for byte."""
    parts: list[str] = []
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database:
        for path in Path(database).parent.glob(Path(database).name + "*"):
            parts.append(path.read_bytes().decode("latin-1"))
    with engine.connect() as conn:
        for table in (HISTORIES, RECORDS):
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes):
                        parts.append(value.decode("latin-1"))
                    parts.append(str(value))
    return "\n".join(parts)
