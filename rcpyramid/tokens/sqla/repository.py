"""The SQL token repository: the contract's verbs, and how the app wires it in.

See :mod:`rcpyramid.tokens.sqla` for where each verb's statements run, and why.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from pyramid.config import Configurator
from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from rcpyramid.models import includeme_with_engine
from rcpyramid.models.schema import missing_tables
from rcpyramid.tokens.crypto import Keyring
from rcpyramid.tokens.interfaces import (
    PendingLimits,
    PendingSignIn,
    RefreshLease,
    ServiceFactory,
    Token,
    TokenRepository,
)
from rcpyramid.tokens.sqla import lease
from rcpyramid.tokens.sqla import pending as pending_sign_ins
from rcpyramid.tokens.sqla.errors import SchemaError, translated
from rcpyramid.tokens.sqla.rows import LOGINS, PENDING, token_from_row, upsert_login
from rcpyramid.tokens.sqla.store import SqlTokenStore
from rcpyramid.tokens.sqla.transactions import Transactions

log = logging.getLogger(__name__)


class SQLAlchemyTokenRepository(TokenRepository):
    """Tokens in SQLite or PostgreSQL, encrypted with AES-GCM; see :mod:`rcpyramid.tokens.sqla`."""

    #: SQLite shares across the processes of one machine, PostgreSQL across machines.
    shared_across_processes = True

    def __init__(self, store: SqlTokenStore, dbsession: Session | None = None) -> None:
        self.store = store
        self.transactions = Transactions(store, dbsession)

    @classmethod
    def service_factory(cls, config: Configurator) -> ServiceFactory:
        """One store per process, a repository per request on ``request.dbsession``."""
        registry = config.registry
        store = SqlTokenStore.from_settings(registry.app_settings, registry.clock)
        includeme_with_engine(config, store.engine)
        registry.check_server_threads = store.check_threads
        registry.close_token_store = store.close
        _refuse_a_database_without_tables(store)

        def repository(context: object, request: Any) -> SQLAlchemyTokenRepository:
            return cls(store, request.dbsession)

        return repository

    @property
    def engine(self) -> Engine:
        return self.store.engine

    @property
    def keyring(self) -> Keyring:
        return self.store.keyring

    @property
    def lock_timeout(self) -> float:
        return self.store.lock_timeout

    def __repr__(self) -> str:
        return f"SQLAlchemyTokenRepository(store={self.store!r})"

    # -- the contract ----------------------------------------------------------------------

    def get(self, login_id: str) -> Token | None:
        row = self.transactions.read(
            lambda ex: ex.execute(select(LOGINS).where(LOGINS.c.login_id == login_id)).first(),
            "reading a login",
        )
        return token_from_row(self.keyring, login_id, row)

    def save(self, login_id: str, token: Token) -> Token:
        store = self.store
        return self.transactions.write_in_request(
            lambda ex: upsert_login(
                ex, store.dialect, store.keyring, store.clock(), login_id, token
            ),
            "saving a login",
            login_id,
        )

    def delete(self, login_id: str) -> None:
        # Its own transaction: forgetting tokens (logout, dead tokens) must hold even
        # when the request fails afterwards and pyramid_tm aborts its transaction.
        self.transactions.write_own(
            lambda conn: conn.execute(delete(LOGINS).where(LOGINS.c.login_id == login_id)),
            "forgetting a login",
            login_id,
        )

    def touch(self, login_id: str, seen_at: datetime) -> None:
        # Only ever forward, so a late writer never moves the time back.
        statement = (
            update(LOGINS)
            .where(
                LOGINS.c.login_id == login_id,
                or_(LOGINS.c.last_seen_at.is_(None), LOGINS.c.last_seen_at < seen_at),
            )
            .values(last_seen_at=seen_at)
        )
        # Its own transaction, like delete: a last-seen time must not hold the request's
        # write lock (SQLite's is the whole file) while the request still refreshes.
        self.transactions.write_own(
            lambda conn: conn.execute(statement), "noting a login was seen", login_id
        )

    def refreshing(self, login_id: str) -> AbstractContextManager[RefreshLease]:
        return lease.refreshing(self.transactions, login_id)

    def add_pending(self, pending: PendingSignIn, *, now: datetime, limits: PendingLimits) -> None:
        pending_sign_ins.add_pending(self.transactions, pending, now=now, limits=limits)

    def take_pending(self, state_hash: str, now: datetime) -> PendingSignIn | None:
        return pending_sign_ins.take_pending(self.transactions, state_hash, now)

    def idle_logins(self, seen_before: datetime, limit: int) -> list[tuple[str, Token]]:
        seen = func.coalesce(LOGINS.c.last_seen_at, LOGINS.c.updated_at)
        rows = self.transactions.read(
            lambda ex: ex.execute(
                select(LOGINS).where(seen < seen_before).order_by(seen).limit(limit)
            ).all(),
            "listing idle logins",
        )
        found = [(row.login_id, token_from_row(self.keyring, row.login_id, row)) for row in rows]
        return [(login_id, token) for login_id, token in found if token is not None]

    def purge(self, now: datetime, owners: list[str] | None = None) -> int:
        def run(conn: Connection) -> int:
            # DELETE ... RETURNING: the owners of exactly the logins deleted, in one statement.
            dead = conn.execute(
                delete(LOGINS)
                .where(
                    or_(
                        LOGINS.c.refresh_expires_at <= now,
                        and_(LOGINS.c.refresh_token.is_(None), LOGINS.c.access_expires_at <= now),
                    )
                )
                .returning(LOGINS.c.login_id, LOGINS.c.owner_id)
            ).all()
            conn.execute(delete(PENDING).where(PENDING.c.expires_at <= now))
            if owners is not None:
                owners.extend(row.owner_id or f"login:{row.login_id}" for row in dead)
            return len(dead)

        return self.transactions.write_own(run, "purging expired logins", None, statements=2)

    def ping(self) -> None:
        with translated("checking the database"), self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))


def _refuse_a_database_without_tables(store: SqlTokenStore) -> None:
    """SchemaError when the migrations have not run; a database down now is left to answer later."""
    try:
        missing = missing_tables(store.engine)
    except DBAPIError as error:
        # A database that is down now may be up in a minute: serve 503 pages until then.
        log.warning("the token database did not answer at start: %s", type(error).__name__)
        return
    if missing:
        # The app will not start: close the pool's connections now, not at garbage collection.
        store.close()
        raise SchemaError(
            f"the token database lacks the tables {', '.join(missing)}: run "
            "`alembic -c <your ini file> upgrade head` (development.ini does it at start "
            "with rcpyramid.database.auto_upgrade = true)"
        )
