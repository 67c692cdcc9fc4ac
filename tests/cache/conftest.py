"""Fixtures for the cache and budget: a real Redis, apps that share it, a limited simulator."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import webtest

from rcpyramid.simulator import DEMO_CLIENT
from rcpyramid.simulator.testing import start_simulator
from tests.journeys import SimulatorHandle, signed_in_app
from tests.services import redis_cache, require_redis


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The tests' Redis (tests.services: skip locally when absent, fail under CI)."""
    return require_redis()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def shared_secret() -> str:
    """A session secret of this test's own: its cache and budget keys are its own too."""
    return "test-cache-secret-" + secrets.token_urlsafe(32)


@pytest.fixture
def make_app(
    make_testapp: Callable[..., webtest.TestApp], shared_secret: str
) -> Callable[..., webtest.TestApp]:
    """Apps of this test; each is one "process" with its own registry and memory."""

    def make(**overrides: Any) -> webtest.TestApp:
        return make_testapp(
            **{
                "rcpyramid.session.secret": shared_secret,
                "rcpyramid.cache.backend": "dogpile.cache.memory",
                **overrides,
            }
        )

    return make


@pytest.fixture
def redis_settings(redis_url: str) -> dict[str, str]:
    return redis_cache(redis_url)


@pytest.fixture(params=["memory", "redis"])
def cache_settings(request: pytest.FixtureRequest, redis_url: str) -> dict[str, str]:
    """The answer cache in each process's memory, then on the tests' Redis."""
    return redis_cache(redis_url) if request.param == "redis" else {}


@pytest.fixture
def signed_in_on_redis(
    make_app: Callable[..., webtest.TestApp], redis_settings: dict[str, str]
) -> Callable[..., webtest.TestApp]:
    """Makes an app (one "process") caching on the tests' Redis, alice signed in to it."""

    def make(**overrides: Any) -> webtest.TestApp:
        return signed_in_app(make_app, **redis_settings, **overrides)

    return make


@pytest.fixture(scope="session")
def limited_simulator_server(served_port: int) -> Iterator[SimulatorHandle]:
    """A simulator with RingCentral's default rate limits (Heavy 10 a minute, ...)."""
    with start_simulator(clients=(DEMO_CLIENT,), rate_limits="default") as running:
        yield running


@pytest.fixture
def limited_simulator(limited_simulator_server: SimulatorHandle) -> SimulatorHandle:
    limited_simulator_server.control("reset")
    return limited_simulator_server
