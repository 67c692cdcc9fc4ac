"""Fixtures of the live history suites: the app on each history backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import database_settings


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def history_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Settings for the token store and history: in memory, SQLite (development's), PostgreSQL."""
    if request.param == "memory":
        yield {}
        return
    with database_settings(request.param, tmp_path) as settings:
        yield settings
