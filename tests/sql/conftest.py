"""Fixtures of the SQL-only suites: a database URL per backend, repositories on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rcpyramid.tokens.sqla import SQLAlchemyTokenRepository
from tests.clocks import MovableClock
from tests.databases import TEST_KEYS, MakeRepo, postgres_schema, sql_repository, sqlite_url
from tests.factories import closing_all


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a PostgreSQL schema of this test's own."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        with postgres_schema() as url:
            yield url


@pytest.fixture
def make_repo(sql_url: str, clock: MovableClock) -> Iterator[MakeRepo]:
    """Repositories on ``sql_url`` (several may share it, with different keys)."""

    def make(keys: str = TEST_KEYS, **engine_options: object) -> SQLAlchemyTokenRepository:
        return sql_repository(sql_url, clock, keys, **engine_options)

    yield from closing_all(make, lambda repo: repo.store.close())


@pytest.fixture
def sql_repo(make_repo: MakeRepo) -> SQLAlchemyTokenRepository:
    return make_repo()
