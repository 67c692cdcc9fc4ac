"""The package's call history suite (rcpyramid.callstore.testing) on every backend that ships."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rcpyramid.callstore.memory import MemoryCallHistory
from rcpyramid.callstore.testing import CallHistoryTests


class TestMemoryBackend(CallHistoryTests):
    @contextmanager
    def open_history(self, tmp_path: Path) -> Iterator[MemoryCallHistory]:
        yield MemoryCallHistory()
