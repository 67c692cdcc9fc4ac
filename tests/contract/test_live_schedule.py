"""The live schedule's contract suite (rcpyramid.callstore.schedule_testing) on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rcpyramid.callstore.schedule_memory import MemoryLiveSchedule
from rcpyramid.callstore.schedule_sqla import SqlLiveSchedule
from rcpyramid.callstore.schedule_testing import LiveScheduleTests
from rcpyramid.models import make_engine, metadata
from rcpyramid.tokens.crypto import Keyring
from tests.databases import TEST_KEYS, postgres_schema, sqlite_url


class TestMemorySchedule(LiveScheduleTests):
    @contextmanager
    def open_schedule(self, tmp_path: Path) -> Iterator[MemoryLiveSchedule]:
        yield MemoryLiveSchedule()


@contextmanager
def sql_schedule(url: str) -> Iterator[SqlLiveSchedule]:
    engine = make_engine(url, pool_size=8)
    metadata.create_all(engine)
    try:
        yield SqlLiveSchedule(engine, Keyring.parse(TEST_KEYS))
    finally:
        engine.dispose()


class TestSQLiteSchedule(LiveScheduleTests):
    @contextmanager
    def open_schedule(self, tmp_path: Path) -> Iterator[SqlLiveSchedule]:
        with sql_schedule(sqlite_url(tmp_path)) as schedule:
            yield schedule


@pytest.mark.postgres
class TestPostgreSQLSchedule(LiveScheduleTests):
    @contextmanager
    def open_schedule(self, tmp_path: Path) -> Iterator[SqlLiveSchedule]:
        with postgres_schema() as url, sql_schedule(url) as schedule:
            yield schedule
