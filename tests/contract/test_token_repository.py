"""The package's contract suite (rcpyramid.tokens.testing) on every backend that ships.

PostgreSQL runs when ``RCPYRAMID_TEST_POSTGRES_URL`` is set (see tests/databases.py);
encryption and the other SQL-only behaviours are in tests/sql/.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rcpyramid.tokens.memory import MemoryTokenRepository
from rcpyramid.tokens.sqla import SQLAlchemyTokenRepository
from rcpyramid.tokens.testing import MovingClock, TokenRepositoryTests, make_token
from tests.databases import postgres_schema, refresh_in_child, sql_repository, sqlite_url


class TestMemoryBackend(TokenRepositoryTests):
    @contextmanager
    def open_repository(
        self, clock: MovingClock, tmp_path: Path
    ) -> Iterator[MemoryTokenRepository]:
        yield MemoryTokenRepository(clock=clock)


class TestSQLiteBackend(TokenRepositoryTests):
    # One write lock for the whole file (BEGIN IMMEDIATE): the README says so.
    locks_each_login_alone = False

    @contextmanager
    def open_repository(
        self, clock: MovingClock, tmp_path: Path
    ) -> Iterator[SQLAlchemyTokenRepository]:
        repo = sql_repository(sqlite_url(tmp_path), clock)
        try:
            yield repo
        finally:
            repo.store.close()

    def test_sql_refreshing_serialises_processes(
        self, repo: SQLAlchemyTokenRepository, clock: MovingClock
    ) -> None:
        refreshes_across_processes(repo, clock)


class TestPostgreSQLBackend(TokenRepositoryTests):
    @contextmanager
    def open_repository(
        self, clock: MovingClock, tmp_path: Path
    ) -> Iterator[SQLAlchemyTokenRepository]:
        with postgres_schema() as url:
            repo = sql_repository(url, clock)
            try:
                yield repo
            finally:
                repo.store.close()

    def test_sql_refreshing_serialises_processes(
        self, repo: SQLAlchemyTokenRepository, clock: MovingClock
    ) -> None:
        refreshes_across_processes(repo, clock)


def refreshes_across_processes(repo: SQLAlchemyTokenRepository, clock: MovingClock) -> None:
    """Five processes refresh one login at once: one spends the token, nobody overlaps."""
    repo.save("login-a", make_token(clock(), "0"))
    # Each process builds its own engine, as separate app processes do.
    # forkserver: children start clean (no threads or connections of this process),
    # forked from a server that imported the repository once.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.databases"])
    workers = 5
    barrier = context.Barrier(workers)
    results = context.Queue()
    url = repo.engine.url.render_as_string(hide_password=False)
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
    got = repo.get("login-a")
    assert got is not None and got.access_token == "access-1"
