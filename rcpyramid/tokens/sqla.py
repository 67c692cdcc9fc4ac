"""The SQLAlchemy token repository: tokens that survive restarts and are shared by processes.

Select it with ``rcpyramid.tokens.backend = rcpyramid.tokens.sqla.SQLAlchemyTokenRepository``.
SQLite (one machine) and PostgreSQL (any number of processes and machines) are
supported; tokens are encrypted at rest (:mod:`rcpyramid.tokens.crypto`).

Transactions, and why each operation runs where it does:

* ``get``, ``save`` and ``add_pending`` of a request join the request's transaction
  (``pyramid_tm`` + ``zope.sqlalchemy``): they commit or abort with the request and
  never commit on their own.
* ``touch`` writes one row in its own short transaction, so the last-seen time never
  holds a lock the rest of the request would wait for.
* ``refreshing`` locks the login's row in a transaction of its own, on a second
  connection (``SELECT ... FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite,
  which has one write lock for the whole file), re-reads, lets the caller save or
  delete, and commits. RingCentral rotates the refresh token when it is spent, so
  the new pair must be stored even if the request fails afterwards: pyramid_tm
  aborts the request's transaction whenever an error view renders.
* ``take_pending`` and ``delete`` commit in a transaction of their own too: a state
  must stay spent when the callback then fails (single use), and forgotten tokens
  (logout, tokens RingCentral declared dead) must stay forgotten when the rest of
  the request fails.
* The request's session never locks rows itself (no ``FOR UPDATE``), so a lock taken
  on the second connection never waits for its own request. A write by the request
  does hold a lock until the request ends (the row on PostgreSQL, the file on
  SQLite); an own-transaction operation that would wait for it raises
  :class:`LockOrderError` at once instead of hanging.

Wiring: :func:`includeme` builds one :class:`SqlTokenStore` per process (engine,
keys, clock) and registers a factory that makes a :class:`SQLAlchemyTokenRepository`
per request on the store and ``request.dbsession``. A repository built without a
session (the contract suite, benchmarks) runs every call as its own transaction.
Key rotation is :mod:`rcpyramid.tokens.rotation`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid_retry import mark_error_retryable
from sqlalchemy import Table, and_, case, delete, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session
from zope.sqlalchemy import mark_changed

from rcpyramid.clock import Clock, utcnow
from rcpyramid.config import SettingsError, where
from rcpyramid.models import get_engine, includeme_with_engine
from rcpyramid.models import tokens as rows
from rcpyramid.models.deadline import DatabaseBusyError, DatabaseGuard, deadline_passed
from rcpyramid.models.schema import migrations_dir, missing_tables, upgrade
from rcpyramid.tokens import configured_backend
from rcpyramid.tokens.crypto import DecryptionError, Keyring, associated_data, load_keyring
from rcpyramid.tokens.interfaces import (
    PendingLimitError,
    PendingSignIn,
    RefreshFailure,
    RefreshLease,
    Token,
    TokenRepository,
    TokenStoreError,
)

log = logging.getLogger(__name__)

LOGINS: Table = rows.Login.__table__  # type: ignore[assignment]
PENDING: Table = rows.PendingSignIn.__table__  # type: ignore[assignment]

# The field names that go into each ciphertext's associated data.
ACCESS, REFRESH, VERIFIER, BROWSER = "access_token", "refresh_token", "code_verifier", "browser_id"

T = TypeVar("T")
Executor = Connection | Session


class LockOrderError(TokenStoreError):
    """An own-transaction step would wait for a lock its own request's transaction holds."""


class SchemaError(ConfigurationError):
    """The database lacks the token tables: the migrations have not run."""


def _is_transient(error: Exception) -> bool:
    """A failure after which the whole request may safely run again (pyramid_retry)."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    orig = error.orig
    code = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None) or ""
    # Class 40: serialization failure, deadlock detected. Not 55P03 (lock timeout):
    # replaying would only wait as long again.
    return code.startswith("40")


@contextmanager
def _translated(doing: str) -> Iterator[None]:
    """Driver errors become :class:`TokenStoreError`; the app answers those with a 503 page."""
    try:
        yield
    except DatabaseBusyError as error:
        raise TokenStoreError(f"the token store is busy while {doing}: {error}") from error
    except (DBAPIError, PoolTimeoutError) as error:
        if deadline_passed():
            # Not retryable: replaying the request would only wait as long again.
            raise TokenStoreError(
                f"the token store did not answer in time while {doing}"
            ) from error
        cause = getattr(error, "orig", None) or error
        # The first line only: later lines of a driver's message may quote key values.
        summary = (str(cause).strip().splitlines() or [""])[0][:200]
        wrapped = TokenStoreError(
            f"the token store failed while {doing}: {type(cause).__name__}: {summary}"
        )
        if _is_transient(error):
            mark_error_retryable(wrapped)
        raise wrapped from error


def _insert(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise TokenStoreError(f"the SQL token backend supports sqlite and postgresql, not {dialect}")


@dataclass
class _RequestWrites:
    """What the request's transaction wrote so far (kept in its session's ``info``)."""

    wrote: bool = False
    logins_written: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, session: Session) -> _RequestWrites:
        writes: _RequestWrites = session.info.setdefault("rcpyramid.tokens.writes", cls())
        return writes


class SqlTokenStore:
    """What a process keeps for the SQL backend: the engine, the keys and the clock."""

    def __init__(
        self,
        engine: Engine,
        keyring: Keyring,
        clock: Clock = utcnow,
        *,
        lock_timeout: float = 30.0,
        pool_size: int | None = None,
    ) -> None:
        self.engine = engine
        self.keyring = keyring
        self.clock = clock
        self.lock_timeout = lock_timeout
        self.pool_size = pool_size
        self.dialect = engine.dialect.name
        _insert(self.dialect, LOGINS)  # refuse an unsupported database now, not per request
        #: The deadline and the bound on waiters (rcpyramid.models.deadline), when configured.
        self.guard: DatabaseGuard | None = None
        self.max_waiting = 0

    @classmethod
    def from_settings(cls, settings: Any, clock: Clock) -> SqlTokenStore:
        """The store ``settings.tokens`` and ``settings.database`` describe."""
        database = settings.database
        keyring = load_keyring(settings.tokens)
        if database.auto_upgrade and database.production:
            raise SettingsError(
                f"{where('rcpyramid.database.auto_upgrade')} is for development; production "
                "runs `alembic -c production.ini upgrade head` before starting the app"
            )
        # Until the server says how many threads it runs, a quarter of the pool may wait.
        guard = DatabaseGuard(
            database.timeout, database.max_waiting or max(1, database.pool_size // 4)
        )
        engine = get_engine(database, guard)
        store = cls(
            engine, keyring, clock, lock_timeout=database.lock_timeout, pool_size=database.pool_size
        )
        store.guard = guard
        store.max_waiting = database.max_waiting
        if database.auto_upgrade:
            # A fresh development machine needs no extra command: the schema is made here.
            with _translated("upgrading the database schema"):
                upgrade(engine, migrations_dir(database))
        return store

    def check_threads(self, threads: int) -> None:
        """Refuse a pool too small for ``threads`` (a request may hold two connections).

        Also sets how many of them may wait on the database at once, unless configured:
        half, so the other half keeps answering pages that need no database.
        """
        if self.pool_size is not None and self.pool_size < 2 * threads:
            raise SettingsError(
                f"rcpyramid.database.pool_size is {self.pool_size}, but the server runs "
                f"{threads} threads and each request may hold two connections (its "
                f"transaction and a refresh lock): make it at least {2 * threads}"
            )
        if self.guard is not None and not self.max_waiting:
            self.guard.bound(max(1, threads // 2))

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlTokenStore(url={self.engine.url!r}, keyring={self.keyring!r})"


def includeme(config: Configurator) -> None:
    """One store per process, a repository per request on ``request.dbsession``."""
    registry = config.registry
    backend = configured_backend(registry, SQLAlchemyTokenRepository)
    store = SqlTokenStore.from_settings(registry.app_settings, registry.clock)
    includeme_with_engine(config, store.engine)
    registry.check_server_threads = store.check_threads
    registry.close_token_store = store.close
    try:
        missing = missing_tables(store.engine)
    except DBAPIError as error:
        # A database that is down now may be up in a minute: serve 503 pages until then.
        log.warning("the token database did not answer at start: %s", type(error).__name__)
    else:
        if missing:
            # The app will not start: close the pool's connections now, not at garbage collection.
            store.close()
            raise SchemaError(
                f"the token database lacks the tables {', '.join(missing)}: run "
                "`alembic -c <your ini file> upgrade head` (development.ini does it at start "
                "with rcpyramid.database.auto_upgrade = true)"
            )

    def repository(context: object, request: Any) -> SQLAlchemyTokenRepository:
        return backend(store, request.dbsession)

    config.register_service_factory(repository, TokenRepository)


class _SqlLease(RefreshLease):
    """What ``refreshing`` yields: its writes go to the lock's own connection."""

    def __init__(
        self,
        repo: SQLAlchemyTokenRepository,
        conn: Connection,
        login_id: str,
        row: Row[Any] | None,
    ) -> None:
        self._repo = repo
        self._conn = conn
        self._login_id = login_id
        self.token = repo.token_from_row(login_id, row)
        self.failure = _failure_from_row(row, repo.store.clock())
        self.wrote = False

    def save(self, token: Token) -> Token:
        with _translated("saving refreshed tokens"):
            stored = self._repo.upsert_login(self._conn, self._login_id, token)
        self.wrote = True
        self.token = stored
        self.failure = None
        return stored

    def delete(self) -> None:
        with _translated("forgetting a login"):
            self._conn.execute(delete(LOGINS).where(LOGINS.c.login_id == self._login_id))
        self.wrote = True
        self.token = None
        self.failure = None

    def fail(self, failure: RefreshFailure) -> None:
        remembered = json.dumps(
            {
                "reason": failure.reason,
                "retry_after": failure.retry_after,
                "status": failure.status,
            }
        )
        with _translated("remembering a failed refresh"):
            self._conn.execute(
                update(LOGINS)
                .where(LOGINS.c.login_id == self._login_id)
                .values(refresh_failed_until=failure.until, refresh_failure=remembered)
            )
        self.wrote = True
        self.failure = failure


def _failure_from_row(row: Row[Any] | None, now: datetime) -> RefreshFailure | None:
    if row is None or row.refresh_failed_until is None or row.refresh_failed_until <= now:
        return None
    try:
        remembered = json.loads(row.refresh_failure or "{}")
        return RefreshFailure(
            reason=str(remembered.get("reason") or "unavailable"),
            until=row.refresh_failed_until,
            retry_after=_int_or_none(remembered.get("retry_after")),
            status=_int_or_none(remembered.get("status")),
        )
    except (ValueError, AttributeError):
        return RefreshFailure(reason="unavailable", until=row.refresh_failed_until)


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class SQLAlchemyTokenRepository(TokenRepository):
    """Tokens in SQLite or PostgreSQL, encrypted with AES-GCM; see the module docstring."""

    #: SQLite shares across the processes of one machine, PostgreSQL across machines.
    shared_across_processes = True

    def __init__(self, store: SqlTokenStore, dbsession: Session | None = None) -> None:
        self.store = store
        self._session = dbsession

    @property
    def engine(self) -> Engine:
        return self.store.engine

    @property
    def keyring(self) -> Keyring:
        return self.store.keyring

    @property
    def lock_timeout(self) -> float:
        return self.store.lock_timeout

    @property
    def store_timeout(self) -> float:
        guard = self.store.guard
        return guard.timeout if guard is not None else 0.0

    def __repr__(self) -> str:
        return f"SQLAlchemyTokenRepository(store={self.store!r})"

    # -- where statements run --------------------------------------------------------------

    @contextmanager
    def _statement(self) -> Iterator[Connection]:
        """A connection for one statement, atomic on its own.

        Autocommit spares the BEGIN and COMMIT round trips a transaction would add
        around a single statement (a third of a lookup's time on PostgreSQL).
        """
        with self.engine.connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT")

    def _read(self, run: Callable[[Executor], T], doing: str) -> T:
        with _translated(doing):
            if self._session is not None:
                return run(self._session)
            with self._statement() as conn:
                return run(conn)

    def _write_in_request(
        self,
        run: Callable[[Executor], T],
        doing: str,
        login_id: str | None = None,
        *,
        statements: int = 1,
    ) -> T:
        with _translated(doing):
            session = self._session
            if session is None:
                if statements == 1:
                    with self._statement() as conn:
                        return run(conn)
                with self.engine.begin() as conn:
                    return run(conn)
            result = run(session)
            # zope.sqlalchemy rolls back a session it believes only read; this one wrote.
            mark_changed(session)
            writes = _RequestWrites.of(session)
            writes.wrote = True
            if login_id is not None:
                writes.logins_written.add(login_id)
            return result

    def _write_own(
        self,
        run: Callable[[Connection], T],
        doing: str,
        login_id: str | None,
        *,
        statements: int = 1,
    ) -> T:
        """Run ``run`` in a transaction of its own, committed before this returns."""
        self._check_lock_order(doing, login_id)
        with _translated(doing):
            if statements == 1:
                with self._statement() as conn:
                    return run(conn)
            with self.engine.begin() as conn:
                return run(conn)

    def _check_lock_order(self, doing: str, login_id: str | None) -> None:
        if self._session is None:
            return
        writes = _RequestWrites.of(self._session)
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
    ) -> Iterator[tuple[Connection, Row[Any] | None]]:
        """A transaction of its own holding ``key``'s row lock; the caller commits or not."""
        self._check_lock_order(doing, key if table is LOGINS else None)
        key_column = table.primary_key.columns.values()[0]
        with _translated(doing):
            # The lock may be waited for as long as lock_timeout, on top of the call's own.
            conn = self.engine.connect().execution_options(
                rcpyramid_deadline=self.lock_timeout + self.store_timeout
            )
        try:
            with _translated(doing):
                if self.store.dialect == "sqlite":
                    # SQLite ignores FOR UPDATE; BEGIN IMMEDIATE takes its one write lock
                    # before the re-read, so no one can change the row in between.
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    # A lock never waited for forever: a stuck holder becomes a 503.
                    conn.execute(
                        text("SELECT set_config('lock_timeout', :timeout, true)"),
                        {"timeout": f"{int(self.lock_timeout * 1000)}ms"},
                    )
                row = conn.execute(select(table).where(key_column == key).with_for_update()).first()
            yield conn, row
        finally:
            conn.close()

    # -- the contract ----------------------------------------------------------------------

    def get(self, login_id: str) -> Token | None:
        row = self._read(
            lambda ex: ex.execute(select(LOGINS).where(LOGINS.c.login_id == login_id)).first(),
            "reading a login",
        )
        return self.token_from_row(login_id, row)

    def save(self, login_id: str, token: Token) -> Token:
        return self._write_in_request(
            lambda ex: self.upsert_login(ex, login_id, token), "saving a login", login_id
        )

    def delete(self, login_id: str) -> None:
        # Its own transaction: forgetting tokens (logout, dead tokens) must hold even
        # when the request fails afterwards and pyramid_tm aborts its transaction.
        self._write_own(
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
        self._write_own(lambda conn: conn.execute(statement), "noting a login was seen", login_id)

    @contextmanager
    def refreshing(self, login_id: str) -> Iterator[RefreshLease]:
        with self.locked_row(LOGINS, login_id, "taking a login's refresh lock") as (conn, row):
            lease = _SqlLease(self, conn, login_id, row)
            try:
                yield lease
            except BaseException:
                # Commit what the lease saved even now: RingCentral already rotated the
                # pair, and losing the new one would leave a spent refresh token behind.
                self.finish_locked(conn, commit=lease.wrote, quiet=True)
                raise
            # The commit is what makes the rotated pair outlive the request (see above).
            self.finish_locked(conn, commit=lease.wrote)

    def add_pending(
        self, pending: PendingSignIn, *, now: datetime, per_browser: int, total: int
    ) -> None:
        keyring = self.keyring
        values = {
            "state_hash": pending.state_hash,
            "key_id": keyring.primary,
            "code_verifier": keyring.encrypt(
                pending.code_verifier, associated_data(VERIFIER, pending.state_hash)
            ),
            "browser_id": keyring.encrypt(
                pending.browser_id, associated_data(BROWSER, pending.state_hash)
            ),
            "browser_key": pending.browser_key,
            "return_to": pending.return_to,
            "expires_at": pending.expires_at,
            "created_at": self.store.clock(),
        }
        insert = _insert(self.store.dialect, PENDING).values(**values)
        insert = insert.on_conflict_do_update(
            index_elements=[PENDING.c.state_hash],
            set_={name: insert.excluded[name] for name in values if name != "state_hash"},
        )

        def run(ex: Executor) -> None:
            # Expired sign-ins go now, not at the next purge.
            ex.execute(delete(PENDING).where(PENDING.c.expires_at <= now))
            same_browser = (
                ex.execute(
                    select(PENDING.c.state_hash)
                    .where(
                        PENDING.c.browser_key == pending.browser_key,
                        PENDING.c.state_hash != pending.state_hash,
                    )
                    .order_by(PENDING.c.expires_at.desc())
                )
                .scalars()
                .all()
            )
            give_way = same_browser[max(0, per_browser - 1) :]
            others = ex.execute(
                select(func.count())
                .select_from(PENDING)
                .where(PENDING.c.state_hash != pending.state_hash)
            ).scalar_one()
            # Concurrent sign-ins in other transactions may each see room for one more:
            # the cap holds up to the number of sign-ins started at the same moment.
            if others - len(give_way) >= total:
                raise PendingLimitError("too many sign-ins are in progress")
            if give_way:
                ex.execute(delete(PENDING).where(PENDING.c.state_hash.in_(give_way)))
            ex.execute(insert)

        self._write_in_request(run, "remembering a sign-in", statements=4)

    def take_pending(self, state_hash: str, now: datetime) -> PendingSignIn | None:
        # Its own transaction: the state is spent even when the callback then fails and
        # pyramid_tm aborts the request's transaction, so a replayed callback finds nothing.
        # DELETE ... RETURNING makes the take atomic: two takes cannot both get the row.
        row = self._write_own(
            lambda conn: conn.execute(
                delete(PENDING).where(PENDING.c.state_hash == state_hash).returning(*PENDING.c)
            ).first(),
            "taking a pending sign-in",
            None,
        )
        if row is None or row.expires_at <= now:
            return None
        try:
            return PendingSignIn(
                state_hash=state_hash,
                code_verifier=self.keyring.decrypt(
                    row.key_id, row.code_verifier, associated_data(VERIFIER, state_hash)
                ),
                browser_id=self.keyring.decrypt(
                    row.key_id, row.browser_id, associated_data(BROWSER, state_hash)
                ),
                expires_at=row.expires_at,
                browser_key=row.browser_key,
                return_to=row.return_to,
            )
        except DecryptionError:
            log.warning(
                "a pending sign-in failed to decrypt (key id %s): treated as unknown", row.key_id
            )
            return None

    def idle_logins(self, seen_before: datetime, limit: int) -> list[tuple[str, Token]]:
        seen = func.coalesce(LOGINS.c.last_seen_at, LOGINS.c.updated_at)
        rows = self._read(
            lambda ex: ex.execute(
                select(LOGINS).where(seen < seen_before).order_by(seen).limit(limit)
            ).all(),
            "listing idle logins",
        )
        found = [(row.login_id, self.token_from_row(row.login_id, row)) for row in rows]
        return [(login_id, token) for login_id, token in found if token is not None]

    def purge(self, now: datetime) -> int:
        def run(conn: Connection) -> int:
            dead = conn.execute(
                delete(LOGINS).where(
                    or_(
                        LOGINS.c.refresh_expires_at <= now,
                        and_(LOGINS.c.refresh_token.is_(None), LOGINS.c.access_expires_at <= now),
                    )
                )
            )
            conn.execute(delete(PENDING).where(PENDING.c.expires_at <= now))
            return dead.rowcount

        return self._write_own(run, "purging expired logins", None, statements=2)

    def ping(self) -> None:
        with _translated("checking the database"), self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    # -- rows and tokens -------------------------------------------------------------------

    def finish_locked(self, conn: Connection, *, commit: bool, quiet: bool = False) -> None:
        try:
            with _translated("committing a locked transaction"):
                if commit:
                    conn.commit()
                else:
                    conn.rollback()
        except TokenStoreError:
            if not quiet:
                raise
            log.exception("storing what a refresh saved failed while another error was raised")

    def upsert_login(self, executor: Executor, login_id: str, token: Token) -> Token:
        now = self.store.clock()
        keyring = self.keyring
        values = {
            "login_id": login_id,
            "key_id": keyring.primary,
            "access_token": keyring.encrypt(token.access_token, associated_data(ACCESS, login_id)),
            "access_expires_at": token.access_expires_at,
            "refresh_token": None
            if token.refresh_token is None
            else keyring.encrypt(token.refresh_token, associated_data(REFRESH, login_id)),
            "refresh_expires_at": token.refresh_expires_at,
            "token_type": token.token_type,
            "scope": token.scope,
            "owner_id": token.owner_id,
            "owner_name": token.owner_name,
            "endpoint_id": token.endpoint_id,
            "created_at": now,
            "updated_at": now,
            "last_seen_at": token.last_seen_at,
            "refresh_failed_until": None,
            "refresh_failure": None,
        }
        statement = _insert(self.store.dialect, LOGINS).values(**values)
        given_seen = statement.excluded.last_seen_at
        # One atomic statement: no window in which the login is missing, created_at is
        # kept from the first save, and last_seen_at never moves back.
        updates = {
            name: statement.excluded[name]
            for name in values
            if name not in {"login_id", "created_at", "last_seen_at"}
        }
        updates["last_seen_at"] = case(
            (given_seen.is_(None), LOGINS.c.last_seen_at),
            (LOGINS.c.last_seen_at.is_(None), given_seen),
            (given_seen > LOGINS.c.last_seen_at, given_seen),
            else_=LOGINS.c.last_seen_at,
        )
        statement = statement.on_conflict_do_update(
            index_elements=[LOGINS.c.login_id], set_=updates
        ).returning(LOGINS.c.created_at, LOGINS.c.updated_at, LOGINS.c.last_seen_at)
        stored = executor.execute(statement).one()
        return replace(
            token,
            created_at=stored.created_at,
            updated_at=stored.updated_at,
            last_seen_at=stored.last_seen_at,
        )

    def token_from_row(self, login_id: str, row: Row[Any] | None) -> Token | None:
        if row is None:
            return None
        try:
            access = self.keyring.decrypt(
                row.key_id, row.access_token, associated_data(ACCESS, login_id)
            )
            refresh = (
                None
                if row.refresh_token is None
                else self.keyring.decrypt(
                    row.key_id, row.refresh_token, associated_data(REFRESH, login_id)
                )
            )
        except DecryptionError:
            # Tampered with, or copied from another login: no usable tokens here. The
            # person is asked to sign in again; the row stays for someone to look at.
            log.warning(
                "a stored login failed to decrypt (key id %s): treated as signed out", row.key_id
            )
            return None
        return Token(
            access_token=access,
            access_expires_at=row.access_expires_at,
            refresh_token=refresh,
            refresh_expires_at=row.refresh_expires_at,
            token_type=row.token_type,
            scope=row.scope,
            owner_id=row.owner_id,
            endpoint_id=row.endpoint_id,
            owner_name=row.owner_name,
            created_at=row.created_at,
            updated_at=row.updated_at,
            last_seen_at=row.last_seen_at,
        )
