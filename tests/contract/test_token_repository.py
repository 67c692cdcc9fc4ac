"""One behavioural suite for every TokenRepository backend (the contract in interfaces.py).

``BACKENDS`` maps a name to a factory ``(clock, scratch_dir)`` that yields a fresh,
empty repository and cleans up after it. PostgreSQL runs when
``RCPYRAMID_TEST_POSTGRES_URL`` is set (see tests/databases.py); encryption and the
other SQL-only behaviours are in tests/sql/.
"""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rcpyramid.tokens.interfaces import PendingSignIn, Token, TokenRepository, state_digest
from rcpyramid.tokens.sqla import SQLAlchemyTokenRepository
from tests.clocks import MovableClock
from tests.databases import memory_backend, postgres_backend, refresh_in_child, sqlite_backend

Factory = Callable[[MovableClock, Path], AbstractContextManager[TokenRepository]]

BACKENDS: dict[str, Factory] = {
    "memory": memory_backend,
    "sqlite": sqlite_backend,
    "postgresql": postgres_backend,
}
#: Backends whose refresh lock is per login (SQLite has one write lock for the file).
ROW_LOCKING = ("memory", "postgresql")
SQL_BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=sorted(BACKENDS))
def repo(
    request: pytest.FixtureRequest, clock: MovableClock, tmp_path: Path
) -> Iterator[TokenRepository]:
    with BACKENDS[request.param](clock, tmp_path) as repository:
        yield repository


@pytest.fixture(params=ROW_LOCKING)
def row_locking_repo(
    request: pytest.FixtureRequest, clock: MovableClock, tmp_path: Path
) -> Iterator[TokenRepository]:
    with BACKENDS[request.param](clock, tmp_path) as repository:
        yield repository


@pytest.fixture(params=SQL_BACKENDS)
def sql_repo(
    request: pytest.FixtureRequest, clock: MovableClock, tmp_path: Path
) -> Iterator[SQLAlchemyTokenRepository]:
    with BACKENDS[request.param](clock, tmp_path) as repository:
        assert isinstance(repository, SQLAlchemyTokenRepository)
        yield repository


def make_token(now: datetime, suffix: str = "1") -> Token:
    return Token(
        access_token=f"access-{suffix}",
        access_expires_at=now + timedelta(hours=1),
        refresh_token=f"refresh-{suffix}",
        refresh_expires_at=now + timedelta(days=7),
        token_type="bearer",
        scope="ReadAccounts ReadCallLog",
        owner_id="101",
        endpoint_id="endpoint-1",
        owner_name="Alice Smith",
    )


def test_missing_login_is_none(repo: TokenRepository) -> None:
    assert repo.get("nobody") is None


def test_round_trip_keeps_every_field_in_utc(repo: TokenRepository, clock: MovableClock) -> None:
    token = make_token(clock())
    stored = repo.save("login-a", token)
    got = repo.get("login-a")
    assert got == stored
    for name in (
        "access_token",
        "refresh_token",
        "token_type",
        "scope",
        "owner_id",
        "endpoint_id",
        "owner_name",
        "access_expires_at",
        "refresh_expires_at",
    ):
        assert getattr(got, name) == getattr(token, name)
    for moment in (got.access_expires_at, got.refresh_expires_at, got.created_at, got.updated_at):
        assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)


def test_overwrite_rotates_and_keeps_created_at(repo: TokenRepository, clock: MovableClock) -> None:
    first = repo.save("login-a", make_token(clock(), "1"))
    clock.advance(30)
    second = repo.save("login-a", make_token(clock(), "2"))
    got = repo.get("login-a")
    assert got.access_token == "access-2" and got.refresh_token == "refresh-2"
    assert got.created_at == first.created_at
    assert second.updated_at > first.updated_at


def test_keys_are_isolated(repo: TokenRepository, clock: MovableClock) -> None:
    repo.save("login-a", make_token(clock(), "a"))
    repo.save("login-b", make_token(clock(), "b"))
    repo.delete("login-a")
    assert repo.get("login-a") is None
    assert repo.get("login-b").access_token == "access-b"


def test_delete_is_idempotent(repo: TokenRepository, clock: MovableClock) -> None:
    repo.save("login-a", make_token(clock()))
    repo.delete("login-a")
    repo.delete("login-a")
    assert repo.get("login-a") is None


def test_pending_sign_ins_are_single_use(repo: TokenRepository, clock: MovableClock) -> None:
    pending = PendingSignIn(
        state_hash=state_digest("state-1"),
        code_verifier="v" * 43,
        browser_id="browser-1",
        expires_at=clock() + timedelta(minutes=10),
    )
    repo.add_pending(pending)
    assert repo.take_pending(state_digest("state-1"), clock()) == pending
    assert repo.take_pending(state_digest("state-1"), clock()) is None


def test_pending_sign_ins_expire(repo: TokenRepository, clock: MovableClock) -> None:
    repo.add_pending(
        PendingSignIn(state_digest("s"), "v" * 43, "b", expires_at=clock() + timedelta(minutes=10))
    )
    clock.advance(601)
    assert repo.take_pending(state_digest("s"), clock()) is None


def test_refreshing_serialises_concurrent_callers(
    repo: TokenRepository, clock: MovableClock
) -> None:
    repo.save("login-a", make_token(clock(), "0"))
    inside = 0
    most_inside = 0
    spent: list[str] = []
    guard = threading.Lock()

    def refresh_once() -> None:
        nonlocal inside, most_inside
        with repo.refreshing("login-a") as lease:
            with guard:
                inside += 1
                most_inside = max(most_inside, inside)
            # Re-read under the lock: only the first caller finds the old token.
            if lease.token.access_token == "access-0":
                time.sleep(0.05)
                spent.append(lease.token.refresh_token)
                lease.save(make_token(clock(), "1"))
            with guard:
                inside -= 1

    threads = [threading.Thread(target=refresh_once) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most_inside == 1
    assert spent == ["refresh-0"]
    assert repo.get("login-a").access_token == "access-1"


def test_refreshing_of_different_logins_does_not_wait(
    row_locking_repo: TokenRepository, clock: MovableClock
) -> None:
    repo = row_locking_repo
    repo.save("login-a", make_token(clock(), "a"))
    repo.save("login-b", make_token(clock(), "b"))
    with repo.refreshing("login-a"):
        done = threading.Event()

        def other() -> None:
            with repo.refreshing("login-b") as lease:
                assert lease.token.access_token == "access-b"
            done.set()

        threading.Thread(target=other).start()
        assert done.wait(5)


def test_sqlite_refreshing_of_different_logins_takes_turns(
    clock: MovableClock, tmp_path: Path
) -> None:
    # SQLite has one write lock per file (BEGIN IMMEDIATE): another login's refresh
    # waits for this one to end, then goes ahead. That is what the README promises.
    with BACKENDS["sqlite"](clock, tmp_path) as repo:
        repo.save("login-a", make_token(clock(), "a"))
        repo.save("login-b", make_token(clock(), "b"))
        done = threading.Event()

        def other() -> None:
            with repo.refreshing("login-b") as lease:
                lease.save(make_token(clock(), "b2"))
            done.set()

        with repo.refreshing("login-a") as lease:
            thread = threading.Thread(target=other)
            thread.start()
            assert not done.wait(0.3)
            lease.save(make_token(clock(), "a2"))
        assert done.wait(10)
        thread.join(10)
        assert repo.get("login-a").access_token == "access-a2"
        assert repo.get("login-b").access_token == "access-b2"


def test_sql_refreshing_serialises_processes(
    sql_repo: SQLAlchemyTokenRepository, clock: MovableClock
) -> None:
    sql_repo.save("login-a", make_token(clock(), "0"))
    # Each process builds its own engine, as separate app processes do.
    # forkserver: children start clean (no threads or connections of this process),
    # forked from a server that imported the repository once.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.databases"])
    workers = 5
    barrier = context.Barrier(workers)
    results = context.Queue()
    url = sql_repo.engine.url.render_as_string(hide_password=False)
    processes = [
        context.Process(target=refresh_in_child, args=(url, "login-a", barrier, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in range(workers)]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    assert sum(spent for spent, _, _ in outcomes) == 1
    # Nobody was inside while another was: each entered after the one before it left.
    ordered = sorted(outcomes, key=lambda outcome: outcome[1])
    for before, after in itertools.pairwise(ordered):
        assert after[1] >= before[2]
    assert sql_repo.get("login-a").access_token == "access-1"


def test_refreshing_lease_delete_forgets_the_login(
    repo: TokenRepository, clock: MovableClock
) -> None:
    repo.save("login-a", make_token(clock()))
    with repo.refreshing("login-a") as lease:
        lease.delete()
        assert lease.token is None
    assert repo.get("login-a") is None


def test_refreshing_releases_the_lock_on_error(repo: TokenRepository, clock: MovableClock) -> None:
    repo.save("login-a", make_token(clock()))
    with pytest.raises(RuntimeError), repo.refreshing("login-a"):
        raise RuntimeError("refresh failed")
    with repo.refreshing("login-a") as lease:
        assert lease.token is not None


def test_purge_removes_logins_whose_refresh_token_expired(
    repo: TokenRepository, clock: MovableClock
) -> None:
    now = clock()
    repo.save("fresh", make_token(now, "f"))
    dead = make_token(now, "d")
    repo.save(
        "dead",
        Token(
            **{
                **dead.__dict__,
                "refresh_expires_at": now - timedelta(seconds=1),
                "created_at": None,
                "updated_at": None,
            }
        ),
    )
    assert repo.purge(clock()) == 1
    assert repo.get("dead") is None
    assert repo.get("fresh") is not None


def test_purge_removes_logins_without_refresh_token_once_access_expired(
    repo: TokenRepository, clock: MovableClock
) -> None:
    now = clock()
    repo.save("access-only", Token(access_token="a", access_expires_at=now + timedelta(hours=1)))
    assert repo.purge(now) == 0
    clock.advance(3601)
    assert repo.purge(clock()) == 1
    assert repo.get("access-only") is None


def test_purge_removes_expired_pending_sign_ins_and_keeps_live_ones(
    repo: TokenRepository, clock: MovableClock
) -> None:
    start = clock()
    repo.add_pending(
        PendingSignIn(state_digest("old"), "v" * 43, "b", expires_at=start + timedelta(minutes=1))
    )
    repo.add_pending(
        PendingSignIn(state_digest("new"), "w" * 43, "c", expires_at=start + timedelta(minutes=20))
    )
    clock.advance(120)
    repo.purge(clock())
    # Taken "as of" the start, the old one would still be valid: only a purge removes it.
    assert repo.take_pending(state_digest("old"), start) is None
    assert repo.take_pending(state_digest("new"), start).code_verifier == "w" * 43


def test_pending_sign_ins_keep_every_field(repo: TokenRepository, clock: MovableClock) -> None:
    pending = PendingSignIn(
        state_hash=state_digest("state-x"),
        code_verifier="verifier-" + "x" * 40,
        browser_id="browser-xyz",
        expires_at=clock() + timedelta(minutes=10),
        return_to="/test?api=extension",
    )
    repo.add_pending(pending)
    taken = repo.take_pending(pending.state_hash, clock())
    assert taken == pending
    assert taken.expires_at.utcoffset() == timedelta(0)


def test_refreshing_keeps_what_the_lease_saved_when_the_block_then_fails(
    repo: TokenRepository, clock: MovableClock
) -> None:
    # RingCentral rotated the pair once the lease saved it: an error after that must
    # not lose the new pair (the old refresh token is spent).
    repo.save("login-a", make_token(clock(), "0"))
    with pytest.raises(RuntimeError), repo.refreshing("login-a") as lease:
        lease.save(make_token(clock(), "1"))
        raise RuntimeError("the API call after the refresh failed")
    assert repo.get("login-a").refresh_token == "refresh-1"


def test_refreshing_a_missing_login_finds_none(repo: TokenRepository) -> None:
    with repo.refreshing("nobody") as lease:
        assert lease.token is None
    assert repo.get("nobody") is None


def test_token_repr_hides_the_tokens(clock: MovableClock) -> None:
    token = make_token(datetime.now(UTC))
    assert "access-1" not in repr(token) and "refresh-1" not in repr(token)
