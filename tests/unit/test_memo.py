"""The in-process memos keep what they promise: a bound, and a time to live."""

from __future__ import annotations

from rcpyramid.memo import LockedLRU, LockedTTL


def test_the_least_recently_used_entry_goes_first() -> None:
    memo: LockedLRU[str, int] = LockedLRU(2)
    memo["a"] = 1
    memo["b"] = 2
    assert memo.get("a") == 1  # "a" is now the more recently used
    memo["c"] = 3
    assert "b" not in memo
    assert memo.get("a") == 1
    assert memo.get("c") == 3
    assert len(memo) == 2


def test_a_missing_entry_answers_the_default_and_pop_forgets() -> None:
    memo: LockedLRU[str, int] = LockedLRU(4)
    sentinel = object()
    assert memo.get("nobody", sentinel) is sentinel
    memo["a"] = 1
    assert memo.pop("a") == 1
    assert memo.pop("a") is None
    assert memo.get("a") is None


def test_an_entry_lives_for_its_time_to_live_on_the_memos_timer() -> None:
    now = [100.0]
    memo: LockedTTL[str, str] = LockedTTL(10, 2.0, timer=lambda: now[0])
    memo["login"] = "tokens"
    now[0] += 1.9
    assert memo.get("login") == "tokens"
    now[0] += 0.2
    assert memo.get("login") is None
