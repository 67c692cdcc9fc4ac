"""The package's contract suite (rcpyramid.tokens.testing) on every backend that ships.

PostgreSQL runs when ``RCPYRAMID_TEST_POSTGRES_URL`` is set (see tests/databases.py);
encryption and the other SQL-only behaviours are in tests/sql/.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import pytest

from rcpyramid.tokens.memory import MemoryTokenRepository
from rcpyramid.tokens.sqla import SQLAlchemyTokenRepository
from rcpyramid.tokens.testing import MovingClock, TokenRepositoryTests, make_token
from tests.databases import (
    postgres_schema,
    refresh_in_child,
    run_in_processes,
    sql_repository,
    sqlite_url,
)


class TestMemoryBackend(TokenRepositoryTests):
    @contextmanager
    def open_repository(
        self, clock: MovingClock, tmp_path: Path
    ) -> Iterator[MemoryTokenRepository]:
        yield MemoryTokenRepository(clock=clock)


class SQLBackendTests(TokenRepositoryTests):
    """The contract on a SQL database, plus refreshes from several processes at once."""

    def database(self, tmp_path: Path) -> AbstractContextManager[str]:
        raise NotImplementedError

    @contextmanager
    def open_repository(
        self, clock: MovingClock, tmp_path: Path
    ) -> Iterator[SQLAlchemyTokenRepository]:
        with self.database(tmp_path) as url:
            repo = sql_repository(url, clock)
            try:
                yield repo
            finally:
                repo.store.close()

    @pytest.mark.subprocess
    def test_sql_refreshing_serialises_processes(
        self, repo: SQLAlchemyTokenRepository, clock: MovingClock
    ) -> None:
        refreshes_across_processes(repo, clock)


class TestSQLiteBackend(SQLBackendTests):
    # One write lock for the whole file (BEGIN IMMEDIATE): the README says so.
    locks_each_login_alone = False

    def database(self, tmp_path: Path) -> AbstractContextManager[str]:
        return nullcontext(sqlite_url(tmp_path))


@pytest.mark.postgres
class TestPostgreSQLBackend(SQLBackendTests):
    def database(self, tmp_path: Path) -> AbstractContextManager[str]:
        return postgres_schema()


def refreshes_across_processes(repo: SQLAlchemyTokenRepository, clock: MovingClock) -> None:
    """Five processes refresh one login at once: one spends the token, nobody overlaps."""
    repo.save("login-a", make_token(clock(), "0"))
    workers = 5
    url = repo.engine.url.render_as_string(hide_password=False)
    outcomes, exit_codes = run_in_processes(refresh_in_child, (url, "login-a"), workers)
    assert exit_codes == [0] * workers
    assert sum(spent for spent, _, _ in outcomes) == 1
    # Nobody was inside while another was: each entered after the one before it left.
    ordered = sorted(outcomes, key=lambda outcome: outcome[1])
    for before, after in itertools.pairwise(ordered):
        assert after[1] >= before[2]
    got = repo.get("login-a")
    assert got is not None and got.access_token == "access-1"
