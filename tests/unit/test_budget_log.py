"""The rate-limit budget's own log: no more calls in a window than RingCentral's limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rcpyramid.ringcentral.endpoints import AUTH, HEAVY, MEDIUM
from rcpyramid.ringcentral.errors import PacingError
from rcpyramid.ringcentral.ratelimit import RateLimitBudget

START = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def test_a_cold_budget_lets_the_documented_limit_through_in_a_window_and_no_more() -> None:
    budget = RateLimitBudget()  # in the process, as when Redis is away
    for _ in range(10):
        budget.check("alice", HEAVY, START)
    assert budget.left("alice", HEAVY, START) == 0
    with pytest.raises(PacingError) as paced:
        budget.check("alice", HEAVY, START + timedelta(seconds=30))
    assert paced.value.retry_after == 31  # when the first call leaves the window
    # Another person, another group: budgets of their own.
    budget.check("bob", HEAVY, START)
    budget.check("alice", MEDIUM, START)
    # A minute on, the window has room again.
    budget.check("alice", HEAVY, START + timedelta(seconds=61))


def test_the_limit_ringcentral_says_replaces_the_documented_one() -> None:
    budget = RateLimitBudget()
    headers = {"X-Rate-Limit-Limit": "20", "X-Rate-Limit-Remaining": "19"}
    budget.check("alice", HEAVY, START)
    budget.record("alice", HEAVY, headers, START)
    # More than the documented 10 in the window: this app's limit is higher.
    for _ in range(15):
        budget.check("alice", HEAVY, START)
    assert budget.left("alice", HEAVY, START) == 4


def test_token_requests_are_not_logged() -> None:
    budget = RateLimitBudget()
    for _ in range(20):
        budget.check("alice", AUTH, START)
    assert budget.left("alice", AUTH, START) is None
