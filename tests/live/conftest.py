"""Fixtures of the live history suites: the app on each history backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import TEST_KEYS, postgres_schema, sqlite_url


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def history_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Settings for the token store and history: in memory, SQLite (development's), PostgreSQL."""
    if request.param == "memory":
        yield {}
        return
    sql = {
        "rcpyramid.tokens.backend": "rcpyramid.tokens.sqla.SQLAlchemyTokenRepository",
        "rcpyramid.tokens.keys": TEST_KEYS,
        "rcpyramid.database.auto_upgrade": "true",
    }
    if request.param == "sqlite":
        yield {**sql, "sqlalchemy.url": sqlite_url(tmp_path)}
    else:
        with postgres_schema() as url:
            yield {**sql, "sqlalchemy.url": url}
