"""The database: engine, sessions bound to the request transaction, and the schema.

Shaped like the Pyramid cookiecutter: :func:`get_engine`, :func:`get_session_factory`
and :func:`get_tm_session`; :func:`includeme` wires ``pyramid_tm``, ``pyramid_retry``
and ``request.dbsession``. Only the SQL token backend includes this, so an app on
the memory backend has no transaction machinery at all.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
from pathlib import Path
from typing import Any

import transaction
import zope.sqlalchemy
from pyramid.config import Configurator
from pyramid.request import Request
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from rcpyramid.config import DatabaseSettings, SettingsError, where
from rcpyramid.models.calls import CallRecord, HistoryOwner
from rcpyramid.models.deadline import DatabaseGuard, guard_engine
from rcpyramid.models.meta import Base, metadata
from rcpyramid.models.tokens import Login, PendingSignIn

__all__ = [
    "Base",
    "CallRecord",
    "HistoryOwner",
    "Login",
    "PendingSignIn",
    "database_url",
    "get_engine",
    "get_session_factory",
    "get_tm_session",
    "make_engine",
    "metadata",
]

#: How much of a SQLite database file is memory-mapped for reading.
SQLITE_MMAP_BYTES = 1 << 30


def database_url(database: DatabaseSettings) -> str:
    """The configured URL (development falls back to SQLite in var_dir); production needs one."""
    if not database.url:
        raise SettingsError(
            f"{where('sqlalchemy.url')} is missing: production needs its database "
            "(postgresql://user@host/dbname)"
        )
    return database.url


def make_engine(
    url: str,
    *,
    pool_size: int = 20,
    lock_timeout: float = 30.0,
    guard: DatabaseGuard | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine for the token store: SQLite in WAL mode with a busy timeout, or PostgreSQL.

    ``pool_size`` is a hard cap (no overflow): with a request holding one connection
    and its refresh lock another, it must be at least twice the waitress threads.
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        # SQLAlchemy's default driver changed (psycopg2 in 2.0, psycopg 3 in 2.1): use
        # whichever of the two is installed, psycopg 3 first.
        driver = "psycopg" if importlib.util.find_spec("psycopg") else "psycopg2"
        parsed = parsed.set(drivername=f"postgresql+{driver}")
    options: dict[str, Any] = {
        # Driver errors must never carry token ciphertexts or login ids into logs.
        "hide_parameters": True,
        "pool_size": pool_size,
        "max_overflow": 0,
        "pool_timeout": lock_timeout,
    }
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in {"", ":memory:"} or parsed.query.get("mode") == "memory":
            raise SettingsError(
                f"{where('sqlalchemy.url')}: an in-memory SQLite database is private to one "
                "connection, and the refresh lock needs a second: use a file"
            )
        path = Path(database)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Only this user may read the file (SQLite gives its -wal and -shm files the same mode).
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        # The busy timeout is how long a writer waits for SQLite's single write lock.
        options["connect_args"] = {"timeout": lock_timeout, "check_same_thread": False}
    else:
        # No pre-ping (a round trip per checkout): a connection the server dropped fails
        # its request with a retryable error, pyramid_retry replays it on a fresh one.
        # Recycling keeps connections younger than typical idle timeouts of proxies.
        options["pool_recycle"] = 1800
        if guard is not None:
            # libpq's own client-side limit on making a connection (whole seconds, 2 at least).
            options["connect_args"] = {"connect_timeout": max(2, math.ceil(guard.timeout))}
    options.update(kwargs)
    engine = create_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
    if guard is not None:
        guard_engine(engine, guard)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL: readers never wait for the writer that holds a login's refresh lock.
        cursor.execute("PRAGMA journal_mode=WAL")
        # Memory-mapped reads: a lookup in a large file costs no read() calls, so lookup
        # time stays flat as the table grows (the OS shares the pages between connections).
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    finally:
        cursor.close()


def get_engine(database: DatabaseSettings, guard: DatabaseGuard | None = None) -> Engine:
    """The engine the database section names, its calls under ``guard`` when given."""
    return make_engine(
        database_url(database),
        pool_size=database.pool_size,
        lock_timeout=database.lock_timeout,
        guard=guard,
    )


def get_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_tm_session(
    session_factory: sessionmaker[Session],
    transaction_manager: transaction.TransactionManager,
    request: Request | None = None,
) -> Session:
    """A session joined to ``transaction_manager``: it commits or aborts with it, never alone."""
    dbsession = session_factory(info={"request": request})
    zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


def includeme_with_engine(config: Configurator, engine: Engine) -> None:
    """pyramid_tm, pyramid_retry and ``request.dbsession`` on ``engine``."""
    settings = config.get_settings()
    # Explicit mode: touching the transaction outside a request is an error, not a new one.
    settings.setdefault("tm.manager_hook", "pyramid_tm.explicit_manager")
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    session_factory = get_session_factory(engine)
    config.registry["dbsession_factory"] = session_factory
    # A new prefork worker opens its own connections; the master's stay the master's.
    config.add_after_fork(lambda: engine.dispose(close=False))

    def dbsession(request: Request) -> Session:
        # Tests may hand in a session of their own through the environ, as the cookiecutter does.
        session: Session | None = request.environ.get("app.dbsession")
        if session is None:
            session = get_tm_session(session_factory, request.tm, request=request)
        return session

    config.add_request_method(dbsession, reify=True)
