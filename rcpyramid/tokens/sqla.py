"""The SQLAlchemy token repository: tokens that survive restarts and are shared by processes.

Select it with ``rcpyramid.tokens.backend = rcpyramid.tokens.sqla.SQLAlchemyTokenRepository``.
SQLite (one machine) and PostgreSQL (any number of processes and machines) are
supported; tokens are encrypted at rest (:mod:`rcpyramid.tokens.crypto`).

Transactions, and why each operation runs where it does:

* ``get``, ``save`` and ``add_pending`` of a request join the request's transaction
  (``pyramid_tm`` + ``zope.sqlalchemy``): they commit or abort with the request and
  never commit on their own.
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

Outside a request (scripts, pshell, the contract suite) every call is its own
transaction.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid_retry import mark_error_retryable
from sqlalchemy import Table, and_, delete, or_, select, text, update
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
from rcpyramid.models.schema import migrations_dir, missing_tables, upgrade
from rcpyramid.tokens.crypto import (
    DecryptionError,
    Keyring,
    UnknownKeyError,
    associated_data,
    load_keyring,
)
from rcpyramid.tokens.interfaces import (
    PendingSignIn,
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
    except (DBAPIError, PoolTimeoutError) as error:
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
class _RequestTransaction:
    """What a request-bound repository remembers about its request's transaction."""

    request: Any
    wrote: bool = False
    logins_written: set[str] = field(default_factory=set)

    @property
    def session(self) -> Session:
        return self.request.dbsession


@dataclass(frozen=True)
class ReencryptReport:
    """What ``rcpyramid-reencrypt`` did."""

    key_id: str
    logins: int = 0
    pending: int = 0
    undecryptable: int = 0
    unknown_key: int = 0

    @property
    def complete(self) -> bool:
        """True when no row is left under an older key."""
        return not (self.undecryptable or self.unknown_key)


class _SqlLease(RefreshLease):
    """What ``refreshing`` yields: its writes go to the lock's own connection."""

    def __init__(
        self, repo: SQLAlchemyTokenRepository, conn: Connection, login_id: str, token: Token | None
    ) -> None:
        self._repo = repo
        self._conn = conn
        self._login_id = login_id
        self.token = token
        self.wrote = False

    def save(self, token: Token) -> Token:
        with _translated("saving refreshed tokens"):
            stored = self._repo._upsert_login(self._conn, self._login_id, token)
        self.wrote = True
        self.token = stored
        return stored

    def delete(self) -> None:
        with _translated("forgetting a login"):
            self._conn.execute(delete(LOGINS).where(LOGINS.c.login_id == self._login_id))
        self.wrote = True
        self.token = None


class SQLAlchemyTokenRepository(TokenRepository):
    """Tokens in SQLite or PostgreSQL, encrypted with AES-GCM; see the module docstring."""

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
        self.lock_timeout = lock_timeout
        self.pool_size = pool_size
        self._clock = clock
        self._dialect = engine.dialect.name
        _insert(self._dialect, LOGINS)  # refuse an unsupported database now, not per request
        self._request_tx: _RequestTransaction | None = None

    @classmethod
    def from_settings(cls, settings: Any, clock: Clock) -> SQLAlchemyTokenRepository:
        database = settings.database
        keyring = load_keyring(settings.tokens)
        if database.auto_upgrade and database.production:
            raise SettingsError(
                f"{where('rcpyramid.database.auto_upgrade')} is for development; production "
                "runs `alembic -c production.ini upgrade head` before starting the app"
            )
        engine = get_engine(database)
        repo = cls(
            engine,
            keyring,
            clock,
            lock_timeout=database.lock_timeout,
            pool_size=database.pool_size,
        )
        if database.auto_upgrade:
            # A fresh development machine needs no extra command: the schema is made here.
            with _translated("upgrading the database schema"):
                upgrade(engine, migrations_dir(database))
        return repo

    def configure(self, config: Configurator) -> None:
        includeme_with_engine(config, self.engine)
        config.registry.check_server_threads = self.check_threads
        try:
            missing = missing_tables(self.engine)
        except DBAPIError as error:
            # A database that is down now may be up in a minute: serve 503 pages until then.
            log.warning("the token database did not answer at start: %s", type(error).__name__)
            return
        if missing:
            raise SchemaError(
                f"the token database lacks the tables {', '.join(missing)}: run "
                "`alembic -c <your ini file> upgrade head` (development.ini does it at start "
                "with rcpyramid.database.auto_upgrade = true)"
            )

    def check_threads(self, threads: int) -> None:
        """Refuse a pool too small for ``threads`` (a request may hold two connections)."""
        if self.pool_size is not None and self.pool_size < 2 * threads:
            raise SettingsError(
                f"rcpyramid.database.pool_size is {self.pool_size}, but the server runs "
                f"{threads} threads and each request may hold two connections (its "
                f"transaction and a refresh lock): make it at least {2 * threads}"
            )

    def for_request(self, request: Any) -> SQLAlchemyTokenRepository:
        """A view of this repository on ``request.dbsession`` (the request's transaction)."""
        view = copy.copy(self)
        view._request_tx = _RequestTransaction(request)
        return view

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SQLAlchemyTokenRepository(url={self.engine.url!r}, keyring={self.keyring!r})"

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
            if self._request_tx is not None:
                return run(self._request_tx.session)
            with self._statement() as conn:
                return run(conn)

    def _write_in_request(
        self, run: Callable[[Executor], T], doing: str, login_id: str | None = None
    ) -> T:
        with _translated(doing):
            tx = self._request_tx
            if tx is None:
                with self._statement() as conn:
                    return run(conn)
            session = tx.session
            result = run(session)
            # zope.sqlalchemy rolls back a session it believes only read; this one wrote.
            mark_changed(session)
            tx.wrote = True
            if login_id is not None:
                tx.logins_written.add(login_id)
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
        tx = self._request_tx
        if tx is None:
            return
        if (self._dialect == "sqlite" and tx.wrote) or (
            login_id is not None and login_id in tx.logins_written
        ):
            raise LockOrderError(
                f"{doing} runs in a transaction of its own, which would wait for the lock "
                "this request's transaction took when it wrote earlier (SQLite: any write; "
                "PostgreSQL: the same login): do the request's write afterwards"
            )

    @contextmanager
    def _locked(
        self, table: Table, key: str, doing: str
    ) -> Iterator[tuple[Connection, Row | None]]:
        """A transaction of its own holding ``key``'s row lock; the caller commits or not."""
        self._check_lock_order(doing, key if table is LOGINS else None)
        key_column = table.primary_key.columns.values()[0]
        with _translated(doing):
            conn = self.engine.connect()
        try:
            with _translated(doing):
                if self._dialect == "sqlite":
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
        return self._token_from_row(login_id, row)

    def save(self, login_id: str, token: Token) -> Token:
        return self._write_in_request(
            lambda ex: self._upsert_login(ex, login_id, token), "saving a login", login_id
        )

    def delete(self, login_id: str) -> None:
        # Its own transaction: forgetting tokens (logout, dead tokens) must hold even
        # when the request fails afterwards and pyramid_tm aborts its transaction.
        self._write_own(
            lambda conn: conn.execute(delete(LOGINS).where(LOGINS.c.login_id == login_id)),
            "forgetting a login",
            login_id,
        )

    @contextmanager
    def refreshing(self, login_id: str) -> Iterator[RefreshLease]:
        with self._locked(LOGINS, login_id, "taking a login's refresh lock") as (conn, row):
            lease = _SqlLease(self, conn, login_id, self._token_from_row(login_id, row))
            try:
                yield lease
            except BaseException:
                # Commit what the lease saved even now: RingCentral already rotated the
                # pair, and losing the new one would leave a spent refresh token behind.
                self._finish(conn, commit=lease.wrote, quiet=True)
                raise
            # The commit is what makes the rotated pair outlive the request (see above).
            self._finish(conn, commit=lease.wrote)

    def add_pending(self, pending: PendingSignIn) -> None:
        values = {
            "state_hash": pending.state_hash,
            "key_id": self.keyring.primary,
            "code_verifier": self.keyring.encrypt(
                pending.code_verifier, associated_data(VERIFIER, pending.state_hash)
            ),
            "browser_id": self.keyring.encrypt(
                pending.browser_id, associated_data(BROWSER, pending.state_hash)
            ),
            "return_to": pending.return_to,
            "expires_at": pending.expires_at,
            "created_at": self._clock(),
        }
        statement = _insert(self._dialect, PENDING).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[PENDING.c.state_hash],
            set_={name: statement.excluded[name] for name in values if name != "state_hash"},
        )
        self._write_in_request(lambda ex: ex.execute(statement), "remembering a sign-in")

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
                return_to=row.return_to,
            )
        except DecryptionError:
            log.warning(
                "a pending sign-in failed to decrypt (key id %s): treated as unknown", row.key_id
            )
            return None

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

    # -- key rotation ----------------------------------------------------------------------

    def reencrypt(self, batch: int = 500) -> ReencryptReport:
        """Seal every row under the newest key, each under its row lock (as a refresh takes).

        The lock keeps a refresh from saving a new pair between this re-read and this
        write, which would otherwise put the spent pair back.
        """
        counts = {"logins": 0, "pending": 0, "undecryptable": 0, "unknown_key": 0}
        for table, kind in ((LOGINS, "logins"), (PENDING, "pending")):
            key_column = table.primary_key.columns.values()[0]
            last = ""
            while True:
                with _translated("listing rows to re-encrypt"), self.engine.connect() as conn:
                    keys = (
                        conn.execute(
                            select(key_column)
                            .where(table.c.key_id != self.keyring.primary, key_column > last)
                            .order_by(key_column)
                            .limit(batch)
                        )
                        .scalars()
                        .all()
                    )
                if not keys:
                    break
                for key in keys:
                    last = key
                    outcome = self._reencrypt_row(table, key)
                    if outcome == "done":
                        counts[kind] += 1
                    elif outcome in counts:
                        counts[outcome] += 1
        return ReencryptReport(key_id=self.keyring.primary, **counts)

    def _reencrypt_row(self, table: Table, key: str) -> str:
        fields = (ACCESS, REFRESH) if table is LOGINS else (VERIFIER, BROWSER)
        with self._locked(table, key, "re-encrypting a row") as (conn, row):
            if row is None or row.key_id == self.keyring.primary:
                self._finish(conn, commit=False)
                return "skipped"
            values: dict[str, Any] = {"key_id": self.keyring.primary}
            try:
                for name in fields:
                    blob = getattr(row, name)
                    if blob is not None:
                        aad = associated_data(name, key)
                        plain = self.keyring.decrypt(row.key_id, blob, aad)
                        values[name] = self.keyring.encrypt(plain, aad)
            except DecryptionError:
                self._finish(conn, commit=False)
                return "undecryptable"
            except UnknownKeyError:
                self._finish(conn, commit=False)
                return "unknown_key"
            key_column = table.primary_key.columns.values()[0]
            with _translated("re-encrypting a row"):
                conn.execute(update(table).where(key_column == key).values(**values))
            self._finish(conn, commit=True)
            return "done"

    # -- rows and tokens -------------------------------------------------------------------

    def _finish(self, conn: Connection, *, commit: bool, quiet: bool = False) -> None:
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

    def _upsert_login(self, executor: Executor, login_id: str, token: Token) -> Token:
        now = self._clock()
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
        }
        statement = _insert(self._dialect, LOGINS).values(**values)
        # One atomic statement: no window in which the login is missing, and created_at
        # is kept from the first save.
        statement = statement.on_conflict_do_update(
            index_elements=[LOGINS.c.login_id],
            set_={
                name: statement.excluded[name]
                for name in values
                if name not in {"login_id", "created_at"}
            },
        ).returning(LOGINS.c.created_at, LOGINS.c.updated_at)
        stored = executor.execute(statement).one()
        return replace(token, created_at=stored.created_at, updated_at=stored.updated_at)

    def _token_from_row(self, login_id: str, row: Row | None) -> Token | None:
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
        )
