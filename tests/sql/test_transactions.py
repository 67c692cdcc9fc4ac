"""Where each SQL operation commits, and the traps of issue 4 (pyramid_tm, locks, the pool).

A "request" here is what pyramid_tm gives one: an explicit transaction manager and a
session joined to it (``request.dbsession``); ``on_request(repo, request)`` is the
repository the views get (the app's factory builds it the same way).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import transaction
import waitress
from pyramid_retry import IRetryableError
from sqlalchemy import text

from rcpyramid import main, server
from rcpyramid.config import SettingsError
from rcpyramid.models import get_session_factory, get_tm_session, make_engine
from rcpyramid.tokens.crypto import Keyring
from rcpyramid.tokens.interfaces import PendingSignIn, Token, TokenStoreError, state_digest
from rcpyramid.tokens.sqla import LockOrderError, SQLAlchemyTokenRepository, SqlTokenStore
from rcpyramid.tokens.testing import ROOMY
from tests.clocks import MovableClock
from tests.databases import TEST_KEYS, MakeRepo, on_request, sql_app_settings
from tests.factories import closing_all
from tests.processes import free_port


def pair(clock: MovableClock, n: int) -> Token:
    now = clock()
    return Token(
        access_token=f"access-{n}",
        access_expires_at=now + timedelta(hours=1),
        refresh_token=f"refresh-{n}",
        refresh_expires_at=now + timedelta(days=7),
    )


class Request(SimpleNamespace):
    """The parts of a Pyramid request under pyramid_tm that the repository uses."""

    def __init__(self, repo: SQLAlchemyTokenRepository) -> None:
        tm = transaction.TransactionManager(explicit=True)
        tm.begin()
        super().__init__(tm=tm, dbsession=get_tm_session(get_session_factory(repo.engine), tm))

    def close(self) -> None:
        """End the request as pyramid_tm would if nobody committed: abort."""
        with contextlib.suppress(transaction.interfaces.NoTransaction):
            self.tm.abort()
        self.dbsession.close()


@pytest.fixture
def new_request(
    sql_repo: SQLAlchemyTokenRepository,
) -> Iterator[Callable[[], tuple[Request, SQLAlchemyTokenRepository]]]:
    """Makes a request, with the repository as its views see it (the request's session)."""

    def make() -> tuple[Request, SQLAlchemyTokenRepository]:
        request = Request(sql_repo)
        return request, on_request(sql_repo, request)

    yield from closing_all(make, lambda made: made[0].close())


# -- what joins the request, and what commits on its own ---------------------------------


def test_sql_save_in_a_request_commits_with_the_request_and_not_before(
    sql_repo: SQLAlchemyTokenRepository, new_request, clock: MovableClock
) -> None:
    request, view = new_request()
    view.save("login-a", pair(clock, 1))
    assert sql_repo.get("login-a") is None  # another connection sees nothing yet
    request.tm.commit()
    assert sql_repo.get("login-a").access_token == "access-1"


def test_sql_save_and_add_pending_in_a_request_are_undone_when_it_aborts(
    sql_repo: SQLAlchemyTokenRepository, new_request, clock: MovableClock
) -> None:
    request, view = new_request()
    view.save("login-a", pair(clock, 1))
    view.add_pending(
        PendingSignIn(state_digest("s"), "v" * 43, "b", clock() + timedelta(hours=1)),
        now=clock(),
        limits=ROOMY,
    )
    request.tm.abort()
    assert sql_repo.get("login-a") is None
    assert sql_repo.take_pending(state_digest("s"), clock()) is None


def test_sql_taken_state_stays_taken_when_the_callback_request_aborts(
    sql_repo: SQLAlchemyTokenRepository, new_request, clock: MovableClock
) -> None:
    # pyramid_tm aborts the request when an error view renders (a failed code
    # exchange): the state must stay spent all the same, so a replay finds nothing.
    sql_repo.add_pending(
        PendingSignIn(state_digest("s"), "v" * 43, "b", clock() + timedelta(hours=1)),
        now=clock(),
        limits=ROOMY,
    )
    request, view = new_request()
    assert view.take_pending(state_digest("s"), clock()) is not None
    request.tm.abort()
    assert sql_repo.take_pending(state_digest("s"), clock()) is None


def test_sql_logout_delete_holds_when_the_request_aborts(
    sql_repo: SQLAlchemyTokenRepository, new_request, clock: MovableClock
) -> None:
    sql_repo.save("login-a", pair(clock, 1))
    request, view = new_request()
    assert view.get("login-a") is not None
    view.delete("login-a")
    request.tm.abort()
    assert sql_repo.get("login-a") is None


def test_sql_refreshed_pair_survives_an_aborted_request(
    sql_repo: SQLAlchemyTokenRepository, new_request, clock: MovableClock
) -> None:
    sql_repo.save("login-a", pair(clock, 0))
    request, view = new_request()
    assert view.get("login-a").access_token == "access-0"
    with view.refreshing("login-a") as lease:
        lease.save(pair(clock, 1))
    # ... then the API call fails, an error view renders, pyramid_tm aborts:
    request.tm.abort()
    assert sql_repo.get("login-a").refresh_token == "refresh-1"


# -- the lock never waits on its own request ---------------------------------------------


def test_sql_reading_then_refreshing_in_one_request_does_not_wait_on_itself(
    make_repo: MakeRepo, clock: MovableClock
) -> None:
    # Had the lock waited on the request's own read, it would end in a lock timeout
    # (a TokenStoreError), not in the refreshed pair.
    repo = make_repo(lock_timeout=3.0)
    repo.save("login-a", pair(clock, 0))
    request = Request(repo)
    try:
        view = on_request(repo, request)
        assert view.get("login-a").access_token == "access-0"  # the request's own read
        with view.refreshing("login-a") as lease:
            assert lease.token.access_token == "access-0"
            lease.save(pair(clock, 1))
        assert view.get("login-a").access_token == "access-1"
        request.tm.commit()
    finally:
        request.close()


def having_written_login_a(
    sql_repo: SQLAlchemyTokenRepository,
    new_request: Callable[[], tuple[Request, SQLAlchemyTokenRepository]],
    clock: MovableClock,
    stored: str,
) -> tuple[Request, SQLAlchemyTokenRepository]:
    """Login ``stored`` saved before; a request (and its view) that has written login-a."""
    sql_repo.save(stored, pair(clock, 0))
    request, view = new_request()
    view.save("login-a", pair(clock, 1))
    return request, view


def test_sql_writing_then_refreshing_the_same_login_in_one_request_fails_at_once(
    sql_repo: SQLAlchemyTokenRepository, new_request, clock: MovableClock
) -> None:
    # The request's upsert holds the row (the whole file on SQLite) until it ends; a
    # lock taken on a second connection would wait for it forever. It is refused before
    # any wait: LockOrderError, not the lock timeout's TokenStoreError.
    _, view = having_written_login_a(sql_repo, new_request, clock, "login-a")
    with pytest.raises(LockOrderError), view.refreshing("login-a"):
        pass
    with pytest.raises(LockOrderError):
        view.delete("login-a")


@pytest.mark.parametrize("sql_url", ["postgresql"], indirect=True)
def test_postgresql_writing_one_login_then_refreshing_another_goes_ahead(
    sql_repo: SQLAlchemyTokenRepository, new_request, clock: MovableClock
) -> None:
    request, view = having_written_login_a(sql_repo, new_request, clock, "login-b")
    with view.refreshing("login-b") as lease:
        lease.save(pair(clock, 2))
    request.tm.commit()
    assert sql_repo.get("login-b").access_token == "access-2"


@pytest.mark.parametrize("sql_url", ["sqlite"], indirect=True)
def test_sqlite_any_write_in_the_request_then_an_own_transaction_fails_at_once(
    sql_repo: SQLAlchemyTokenRepository, new_request, clock: MovableClock
) -> None:
    # SQLite's write lock covers the whole file.
    _, view = new_request()
    view.add_pending(
        PendingSignIn(state_digest("s"), "v" * 43, "b", clock() + timedelta(hours=1)),
        now=clock(),
        limits=ROOMY,
    )
    with pytest.raises(LockOrderError):
        view.take_pending(state_digest("other"), clock())


# -- the pool must cover two connections per thread --------------------------------------


def run_requests_that_refresh(
    repo: SQLAlchemyTokenRepository, clock: MovableClock, threads: int
) -> list[BaseException]:
    for n in range(threads):
        repo.save(f"login-{n}", pair(clock, 0))
    all_reading = threading.Barrier(threads)
    errors: list[BaseException] = []

    def one_request(n: int) -> None:
        request = Request(repo)
        try:
            view = on_request(repo, request)
            view.get(f"login-{n}")  # the request's session now holds a connection
            all_reading.wait(10)
            with view.refreshing(f"login-{n}") as lease:  # and the lock needs another
                lease.save(pair(clock, 1))
            request.tm.commit()
        except BaseException as error:
            errors.append(error)
        finally:
            request.close()

    workers = [threading.Thread(target=one_request, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    return errors


def test_sql_pool_of_twice_the_threads_serves_every_request_that_refreshes(
    make_repo: MakeRepo, clock: MovableClock
) -> None:
    repo = make_repo(pool_size=12, lock_timeout=10.0)
    assert run_requests_that_refresh(repo, clock, threads=6) == []
    assert {repo.get(f"login-{n}").access_token for n in range(6)} == {"access-1"}


def test_sql_pool_no_larger_than_the_threads_runs_dry_and_answers_503(
    make_repo: MakeRepo, clock: MovableClock
) -> None:
    # Why the pool must be twice the threads: with one connection per thread, every
    # request holds one and waits for a second that never comes (here: a 503 after 1 s).
    repo = make_repo(pool_size=6, lock_timeout=1.0)
    errors = run_requests_that_refresh(repo, clock, threads=6)
    assert errors and all(isinstance(error, TokenStoreError) for error in errors)


def test_sql_pool_smaller_than_twice_the_threads_is_refused_at_start(
    sql_repo: SQLAlchemyTokenRepository,
) -> None:
    sql_repo.store.check_threads(12)  # pool_size 24
    with pytest.raises(SettingsError, match=r"rcpyramid\.database\.pool_size .* at least 26"):
        sql_repo.store.check_threads(13)


def test_sqlite_server_refuses_to_start_with_a_pool_smaller_than_twice_its_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("RCPYRAMID_DATABASE_URL", "RCPYRAMID_TOKEN_KEYS", "RCPYRAMID_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    settings = sql_app_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        **{
            "rcpyramid.database.auto_upgrade": "true",
            "rcpyramid.database.pool_size": "20",
            # Not 5001: a developer's own `pserve development.ini` may be running.
            "rcpyramid.simulator.port": str(free_port()),
        },
    )
    app = main({"here": str(tmp_path)}, **settings)
    served = []
    monkeypatch.setattr(waitress, "serve", lambda *args, **kwargs: served.append(kwargs))
    try:
        with pytest.raises(SettingsError, match="at least 32"):
            server.run(app, {}, threads="16", listen="127.0.0.1:0")
        server.run(app, {}, threads="10", listen="127.0.0.1:0")
        assert served == [{"threads": "10", "listen": "127.0.0.1:0"}]
    finally:
        app.registry.close_token_store()


# -- driver errors -----------------------------------------------------------------------


def test_postgresql_unreachable_server_is_a_token_store_error(clock: MovableClock) -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:1/nothing", pool_size=2)
    repo = SQLAlchemyTokenRepository(SqlTokenStore(engine, Keyring.parse(TEST_KEYS), clock))
    try:
        with pytest.raises(TokenStoreError) as raised:
            repo.get("secret-login-id")
        assert type(raised.value.__cause__).__name__ == "OperationalError"
        assert "secret-login-id" not in str(raised.value)
        with pytest.raises(TokenStoreError):
            repo.ping()
    finally:
        repo.store.close()


@pytest.mark.parametrize("sql_url", ["sqlite"], indirect=True)
def test_sqlite_locked_database_is_a_token_store_error(
    make_repo: MakeRepo, sql_url: str, clock: MovableClock
) -> None:
    repo = make_repo(lock_timeout=0.2)
    holder = make_engine(sql_url, pool_size=1)
    try:
        with holder.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            with pytest.raises(TokenStoreError, match="database is locked"):
                repo.save("secret-login-id", pair(clock, 1))
            conn.rollback()
    finally:
        holder.dispose()


@pytest.mark.parametrize("sql_url", ["postgresql"], indirect=True)
def test_postgresql_lost_connection_is_a_retryable_token_store_error(
    sql_repo: SQLAlchemyTokenRepository, new_request, clock: MovableClock
) -> None:
    # pyramid_retry replays a request whose database connection dropped.
    sql_repo.save("login-a", pair(clock, 0))
    request, view = new_request()
    view.get("login-a")
    pid = request.dbsession.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with sql_repo.engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    with pytest.raises(TokenStoreError) as raised:
        view.get("login-a")
    assert IRetryableError.providedBy(raised.value)


@pytest.mark.parametrize("sql_url", ["postgresql"], indirect=True)
def test_postgresql_refresh_lock_held_too_long_is_a_token_store_error(
    make_repo: MakeRepo, clock: MovableClock
) -> None:
    holder, waiter = make_repo(), make_repo(lock_timeout=0.3)
    holder.save("login-a", pair(clock, 0))
    with (
        holder.refreshing("login-a"),
        pytest.raises(TokenStoreError, match="LockNotAvailable") as raised,
        waiter.refreshing("login-a"),
    ):
        pass
    # Replaying the request would only wait as long again.
    assert not IRetryableError.providedBy(raised.value)
