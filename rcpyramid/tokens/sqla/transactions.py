"""Where each statement of the SQL backend runs, and the lock order that keeps it from hanging.

A repository's statements run in the request's transaction (``request.dbsession``,
committed or aborted with the request), in a transaction of their own committed at
once, or under a row lock on a second connection (see :mod:`rcpyramid.tokens.sqla`
for which verb runs where, and why).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Table, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from zope.sqlalchemy import mark_changed

from rcpyramid.models.meta import AnyRow
from rcpyramid.tokens.interfaces import TokenStoreError
from rcpyramid.tokens.sqla.errors import LockOrderError, translated
from rcpyramid.tokens.sqla.rows import LOGINS, Executor
from rcpyramid.tokens.sqla.store import SqlTokenStore

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class RequestWrites:
    """What the request's transaction wrote so far (kept in its session's ``info``)."""

    wrote: bool = False
    logins_written: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, session: Session) -> RequestWrites:
        writes: RequestWrites = session.info.setdefault("rcpyramid.tokens.writes", cls())
        return writes


class Transactions:
    """The places a repository's statements run: its request's session, or its own."""

    def __init__(self, store: SqlTokenStore, session: Session | None) -> None:
        self.store = store
        #: None (the contract suite, benchmarks): every call is its own transaction.
        self.session = session

    @property
    def store_timeout(self) -> float:
        guard = self.store.guard
        return guard.timeout if guard is not None else 0.0

    @contextmanager
    def statement(self) -> Iterator[Connection]:
        """A connection for one statement, atomic on its own.

        Autocommit spares the BEGIN and COMMIT round trips a transaction would add
        around a single statement (a third of a lookup's time on PostgreSQL).
        """
        with self.store.engine.connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT")

    def read(self, run: Callable[[Executor], T], doing: str) -> T:
        with translated(doing):
            if self.session is not None:
                return run(self.session)
            with self.statement() as conn:
                return run(conn)

    def write_in_request(
        self,
        run: Callable[[Executor], T],
        doing: str,
        login_id: str | None = None,
        *,
        statements: int = 1,
    ) -> T:
        with translated(doing):
            session = self.session
            if session is None:
                if statements == 1:
                    with self.statement() as conn:
                        return run(conn)
                with self.store.engine.begin() as conn:
                    return run(conn)
            result = run(session)
            # zope.sqlalchemy rolls back a session it believes only read; this one wrote.
            mark_changed(session)
            writes = RequestWrites.of(session)
            writes.wrote = True
            if login_id is not None:
                writes.logins_written.add(login_id)
            return result

    def write_own(
        self,
        run: Callable[[Connection], T],
        doing: str,
        login_id: str | None,
        *,
        statements: int = 1,
    ) -> T:
        """Run ``run`` in a transaction of its own, committed before this returns."""
        self.check_lock_order(doing, login_id)
        with translated(doing):
            if statements == 1:
                with self.statement() as conn:
                    return run(conn)
            with self.store.engine.begin() as conn:
                return run(conn)

    def check_lock_order(self, doing: str, login_id: str | None) -> None:
        if self.session is None:
            return
        writes = RequestWrites.of(self.session)
        if (self.store.dialect == "sqlite" and writes.wrote) or (
            login_id is not None and login_id in writes.logins_written
        ):
            raise LockOrderError(
                f"{doing} runs in a transaction of its own, which would wait for the lock "
                "this request's transaction took when it wrote earlier (SQLite: any write; "
                "PostgreSQL: the same login): do the request's write afterwards"
            )

    @contextmanager
    def locked_row(
        self, table: Table, key: str, doing: str
    ) -> Iterator[tuple[Connection, AnyRow | None]]:
        """A transaction of its own holding ``key``'s row lock; the caller commits or not."""
        self.check_lock_order(doing, key if table is LOGINS else None)
        key_column = table.primary_key.columns.values()[0]
        with translated(doing):
            # The lock may be waited for as long as lock_timeout, on top of the call's own.
            conn = self.store.engine.connect().execution_options(
                rcpyramid_deadline=self.store.lock_timeout + self.store_timeout
            )
        try:
            with translated(doing):
                if self.store.dialect == "sqlite":
                    # SQLite ignores FOR UPDATE; BEGIN IMMEDIATE takes its one write lock
                    # before the re-read, so no one can change the row in between.
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    # A lock never waited for forever: a stuck holder becomes a 503.
                    conn.execute(
                        text("SELECT set_config('lock_timeout', :timeout, true)"),
                        {"timeout": f"{int(self.store.lock_timeout * 1000)}ms"},
                    )
                row = conn.execute(select(table).where(key_column == key).with_for_update()).first()
            yield conn, row
        finally:
            conn.close()

    def finish_locked(self, conn: Connection, *, commit: bool, quiet: bool = False) -> None:
        try:
            with translated("committing a locked transaction"):
                if commit:
                    conn.commit()
                else:
                    conn.rollback()
        except TokenStoreError:
            if not quiet:
                raise
            log.exception("storing what a refresh saved failed while another error was raised")
