"""The answer cache's fetch lock: short unless renewed; losing it shows the fetch's outcome."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import redis
import webtest

from rcpyramid.cache import Answer, Cache, redis_backend
from rcpyramid.cache.keys import PREFIX
from rcpyramid.ringcentral.errors import RingCentralUnavailableError
from rcpyramid.services import process_service


def answer(key: str) -> Answer:
    return Answer(
        key=key, body=b"{}", content_type="application/json", fetched_at=datetime.now(UTC)
    )


@pytest.fixture
def cache(make_app: Callable[..., webtest.TestApp], redis_settings: dict[str, str]) -> Cache:
    return process_service(make_app(**redis_settings).app.registry, Cache)


def test_a_lost_lock_after_a_failed_fetch_shows_the_fetchs_own_failure(
    cache: Cache, redis_client: redis.Redis
) -> None:
    key = PREFIX + "a:test-" + secrets.token_hex(8)

    def fetch() -> Answer:
        redis_client.delete("_lock" + key)  # a flush, a failover, an eviction
        raise RingCentralUnavailableError("RingCentral failed (HTTP 502)", status=502)

    with pytest.raises(RingCentralUnavailableError):
        cache.answers.get_or_fetch(key, fetch, 60)


def test_a_lost_lock_after_a_good_fetch_keeps_the_answer(
    cache: Cache, redis_client: redis.Redis
) -> None:
    key = PREFIX + "a:test-" + secrets.token_hex(8)

    def fetch() -> Answer:
        redis_client.delete("_lock" + key)
        return answer(key)

    assert cache.answers.get_or_fetch(key, fetch, 60).body == b"{}"


def test_the_fetch_lock_is_short_and_renewed_while_the_fetch_lives(
    cache: Cache, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed worker's lock frees in seconds; a live slow fetch keeps its lock."""
    monkeypatch.setattr(redis_backend, "LOCK_LEASE", 1.0)
    key = PREFIX + "a:test-" + secrets.token_hex(8)
    seen: list[int] = []

    def slow_fetch() -> Answer:
        # Past two leases, polling: the lock must never lapse while this fetch lives.
        until = time.monotonic() + 2.5
        while time.monotonic() < until:
            ttl = int(redis_client.pttl("_lock" + key))
            assert ttl > 0, "the lock lapsed while its fetch was alive"
            seen.append(ttl)
            time.sleep(0.05)
        return answer(key)

    assert cache.answers.get_or_fetch(key, slow_fetch, 60).body == b"{}"
    assert max(seen) <= 1000  # a holder killed now would free it within the lease
    assert not redis_client.exists("_lock" + key)
