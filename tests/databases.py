"""Token repositories on real databases for the tests: SQLite in tmp_path, PostgreSQL schemas.

PostgreSQL comes from ``RCPYRAMID_TEST_POSTGRES_URL``. Unset, PostgreSQL tests skip
and say how to run them (under ``CI`` they fail); set and unreachable, they fail
(:mod:`tests.services`). Each test gets a schema of its own (dropped afterwards), so
runs never see each other's rows.
"""

from __future__ import annotations

import base64
import hashlib
import multiprocessing
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from rcpyramid.models import make_engine, metadata
from rcpyramid.tokens.crypto import Keyring
from rcpyramid.tokens.sqla import SQLAlchemyTokenRepository, SqlTokenStore
from tests.clocks import MovableClock
from tests.services import broken, missing

POSTGRES_ENV = "RCPYRAMID_TEST_POSTGRES_URL"
HOW_TO_RUN_POSTGRES = (
    f"run them with {POSTGRES_ENV}=postgresql://postgres@127.0.0.1:5432/test pytest "
    "(.ci/run sets it)"
)


def fixed_key(kid: str) -> str:
    """A fixed ``kid:base64url`` key, the same in every process of a test run."""
    raw = hashlib.sha256(f"rcpyramid test key {kid}".encode()).digest()
    return f"{kid}:{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"


TEST_KEYS = fixed_key("test1")

#: A fixture that makes repositories on one database (tests/sql/conftest.py's make_repo).
MakeRepo = Callable[..., SQLAlchemyTokenRepository]


def postgres_url() -> str:
    """The PostgreSQL server of the tests; when unset, skips saying how to enable (CI: fails)."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        missing(f"PostgreSQL tests need {POSTGRES_ENV}", HOW_TO_RUN_POSTGRES)
    return url


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema; yields a URL whose connections use it; dropped afterwards."""
    base = postgres_url()
    name = f"t_{secrets.token_hex(6)}"
    admin = make_engine(base, pool_size=1)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    except OperationalError as error:
        admin.dispose()
        broken(f"{POSTGRES_ENV} is set but PostgreSQL", error)
    url = make_url(base).update_query_dict({"options": f"-csearch_path={name}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
        admin.dispose()


def sql_repository(
    url: str, clock: MovableClock, keys: str = TEST_KEYS, **engine_options: object
) -> SQLAlchemyTokenRepository:
    """A repository on ``url``, its tables made from the models (migrations have own tests)."""
    options = {"pool_size": 24, "lock_timeout": 10.0, **engine_options}
    engine = make_engine(url, **options)  # type: ignore[arg-type]
    metadata.create_all(engine)
    store = SqlTokenStore(
        engine,
        Keyring.parse(keys),
        clock,
        lock_timeout=float(options["lock_timeout"]),  # type: ignore[arg-type]
        pool_size=int(options["pool_size"]),  # type: ignore[call-overload]
    )
    return SQLAlchemyTokenRepository(store)


def on_request(repo: SQLAlchemyTokenRepository, request: Any) -> SQLAlchemyTokenRepository:
    """The repository the app's factory makes for ``request``: same store, its session."""
    return SQLAlchemyTokenRepository(repo.store, request.dbsession)


def sql_app_settings(tmp_path: Path, url: str, **overrides: object) -> dict[str, object]:
    """The app's settings on the SQL backend, with the simulator's demo client."""
    return {
        "rcpyramid.environment": "development",
        "ringcentral.client_id": "rcpyramid-demo-client",
        "ringcentral.client_secret": "simulator-demo-secret-not-a-real-credential",
        "rcpyramid.session.secret": "s" * 48,
        "rcpyramid.var_dir": str(tmp_path / "var"),
        "rcpyramid.tokens.backend": "rcpyramid.tokens.sqla.SQLAlchemyTokenRepository",
        "sqlalchemy.url": url,
        "rcpyramid.tokens.keys": TEST_KEYS,
        **overrides,
    }


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tokens.sqlite'}"


#: The app's token store (and call history) on SQL, its tables made at start; add
#: ``sqlalchemy.url``.
SQL_BACKEND = {
    "rcpyramid.tokens.backend": "rcpyramid.tokens.sqla.SQLAlchemyTokenRepository",
    "rcpyramid.tokens.keys": TEST_KEYS,
    "rcpyramid.database.auto_upgrade": "true",
}


@contextmanager
def database_settings(kind: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The app's settings on ``sqlite`` (in ``tmp_path``) or ``postgresql`` (a fresh schema)."""
    if kind == "sqlite":
        yield {**SQL_BACKEND, "sqlalchemy.url": sqlite_url(tmp_path)}
    else:
        with postgres_schema() as url:
            yield {**SQL_BACKEND, "sqlalchemy.url": url}


def refresh_in_child(url: str, login_id: str, barrier: object, results: object) -> None:
    """One process's refresh: its own engine, the refresh protocol, what it saw (for a queue)."""
    import time
    from datetime import timedelta

    from rcpyramid.clock import utcnow
    from rcpyramid.tokens.interfaces import Token

    repo = SQLAlchemyTokenRepository(
        SqlTokenStore(make_engine(url, pool_size=2, lock_timeout=30.0), Keyring.parse(TEST_KEYS))
    )
    try:
        barrier.wait()  # type: ignore[attr-defined]
        with repo.refreshing(login_id) as lease:
            entered = time.monotonic()
            assert lease.token is not None
            spent = lease.token.access_token == "access-0"
            if spent:
                # Hold the lock a moment, as a call to RingCentral would, so others queue up.
                time.sleep(0.2)
                now = utcnow()
                lease.save(
                    Token(
                        access_token="access-1",
                        access_expires_at=now + timedelta(hours=1),
                        refresh_token="refresh-1",
                        refresh_expires_at=now + timedelta(days=7),
                    )
                )
            left = time.monotonic()
        results.put((spent, entered, left))  # type: ignore[attr-defined]
    finally:
        repo.store.close()


def upgrade_in_child(url: str, barrier: object, results: object) -> None:
    """Run the migrations, as a development process does at start; report any error."""
    from rcpyramid.models.schema import DEFAULT_MIGRATIONS, upgrade

    engine = make_engine(url, pool_size=1)
    try:
        barrier.wait()  # type: ignore[attr-defined]
        upgrade(engine, DEFAULT_MIGRATIONS)
        results.put("ok")  # type: ignore[attr-defined]
    except Exception as error:
        results.put(f"{type(error).__name__}: {error}")  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def run_in_processes(
    target: Callable[..., None], args: tuple[Any, ...], workers: int
) -> tuple[list[Any], list[int | None]]:
    """Run ``target(*args, barrier, results)`` in ``workers`` processes: what they put, exit codes.

    Each process builds its own engine, as separate app processes do. forkserver: children
    start clean (no threads or connections of this process), forked from a server that
    imported this module once.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.databases"])
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(*args, barrier, results)) for _ in range(workers)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in range(workers)]
    for process in processes:
        process.join(30)
    return outcomes, [process.exitcode for process in processes]
