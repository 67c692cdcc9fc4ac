"""The suite's one rule for a missing service: skip locally naming the fix, fail under CI."""

from __future__ import annotations

import pytest

from tests.services import broken, missing


@pytest.fixture
def locally(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a developer's machine: ``CI`` unset."""
    monkeypatch.delenv("CI", raising=False)


def test_locally_a_missing_service_skips_and_says_how_to_enable_it(locally: None) -> None:
    with pytest.raises(pytest.skip.Exception, match="no Redis: start it"):
        missing("no Redis", "start it")


def test_under_ci_a_missing_service_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI is set but no Redis: start it"):
        missing("no Redis", "start it")


def test_a_service_the_run_was_pointed_at_fails_everywhere(locally: None) -> None:
    with pytest.raises(pytest.fail.Exception, match="does not answer"):
        broken("RCPYRAMID_TEST_REDIS_URL is set but Redis", "refused")
