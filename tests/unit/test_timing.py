"""The waiting page's estimate counts the time spent waiting for RingCentral only."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from rcpyramid.ringcentral import timing


def test_only_the_time_inside_a_call_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = itertools.count(step=2.0)  # each reading of the clock is 2 s after the last
    monkeypatch.setattr(timing, "time", SimpleNamespace(monotonic=lambda: next(ticks)))
    timing.start()
    next(ticks)  # the token store's time, say: not RingCentral's
    with timing.waiting_for_ringcentral():
        pass
    assert timing.spent() == 2.0
    with timing.waiting_for_ringcentral():
        pass
    assert timing.spent() == 4.0
    timing.start()
    assert timing.spent() == 0.0
