"""Refresh locking: a login's row held in a transaction of its own while it is refreshed.

RingCentral rotates the refresh token when it is spent, so the new pair is committed
with the lock, even when the request fails afterwards (pyramid_tm aborts the request's
transaction whenever an error view renders).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, update
from sqlalchemy.engine import Connection

from rcpyramid.models.meta import AnyRow
from rcpyramid.tokens.interfaces import RefreshFailure, RefreshLease, Token
from rcpyramid.tokens.sqla.errors import translated
from rcpyramid.tokens.sqla.rows import (
    LOGINS,
    failure_from_row,
    failure_json,
    token_from_row,
    upsert_login,
)
from rcpyramid.tokens.sqla.store import SqlTokenStore
from rcpyramid.tokens.sqla.transactions import Transactions


class SqlLease(RefreshLease):
    """What ``refreshing`` yields: its writes go to the lock's own connection."""

    def __init__(
        self, store: SqlTokenStore, conn: Connection, login_id: str, row: AnyRow | None
    ) -> None:
        self._store = store
        self._conn = conn
        self._login_id = login_id
        self.token = token_from_row(store.keyring, login_id, row)
        self.failure = failure_from_row(row, store.clock())
        self.wrote = False

    def save(self, token: Token) -> Token:
        with translated("saving refreshed tokens"):
            store = self._store
            stored = upsert_login(
                self._conn, store.dialect, store.keyring, store.clock(), self._login_id, token
            )
        self.wrote = True
        self.token = stored
        self.failure = None
        return stored

    def delete(self) -> None:
        with translated("forgetting a login"):
            self._conn.execute(delete(LOGINS).where(LOGINS.c.login_id == self._login_id))
        self.wrote = True
        self.token = None
        self.failure = None

    def fail(self, failure: RefreshFailure) -> None:
        remembered = failure_json(failure)
        with translated("remembering a failed refresh"):
            self._conn.execute(
                update(LOGINS)
                .where(LOGINS.c.login_id == self._login_id)
                .values(refresh_failed_until=failure.until, refresh_failure=remembered)
            )
        self.wrote = True
        self.failure = failure


@contextmanager
def refreshing(transactions: Transactions, login_id: str) -> Iterator[RefreshLease]:
    """The login's row locked in a transaction of its own; what the lease wrote is committed."""
    with transactions.locked_row(LOGINS, login_id, "taking a login's refresh lock") as (conn, row):
        lease = SqlLease(transactions.store, conn, login_id, row)
        try:
            yield lease
        except BaseException:
            # Commit what the lease saved even now: RingCentral already rotated the
            # pair, and losing the new one would leave a spent refresh token behind.
            transactions.finish_locked(conn, commit=lease.wrote, quiet=True)
            raise
        # The commit is what makes the rotated pair outlive the request (see above).
        transactions.finish_locked(conn, commit=lease.wrote)
