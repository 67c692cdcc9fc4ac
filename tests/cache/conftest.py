"""Fixtures for the cache and budget: a real Redis, apps that share it, a limited simulator."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
import webtest

from rcpyramid.simulator import DEMO_CLIENT
from rcpyramid.simulator.testing import start_simulator
from rcpyramid.tokens import open_repository
from rcpyramid.tokens.interfaces import Token
from tests.conftest import SimulatorHandle

#: This machine kind runs Redis here; .ci/run starts it when it is down.
REDIS_URL = os.environ.get("RCPYRAMID_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {REDIS_URL} does not answer ({error}); start it (see .ci/run)")
    return REDIS_URL


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
    return {"rcpyramid.cache.backend": "dogpile.cache.redis", "rcpyramid.cache.url": redis_url}


@pytest.fixture(scope="session")
def limited_simulator_server(served_port: int) -> Iterator[SimulatorHandle]:
    """A simulator with RingCentral's default rate limits (Heavy 10 a minute, ...)."""
    with start_simulator(clients=(DEMO_CLIENT,), rate_limits="default") as running:
        yield running


@pytest.fixture
def limited_simulator(limited_simulator_server: SimulatorHandle) -> SimulatorHandle:
    limited_simulator_server.control("reset")
    return limited_simulator_server


def api_calls(simulator: SimulatorHandle) -> int:
    return simulator.counters()["api_calls"]


def stored_logins(app: webtest.TestApp) -> list[tuple[str, Token]]:
    """Every login the app keeps, through the repository's own verbs."""
    with open_repository(app.app.registry) as repo:
        return repo.idle_logins(datetime.now(UTC) + timedelta(days=3650), 1000)
