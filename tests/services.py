"""The one rule for a service a test needs and this machine lacks.

A service nobody asked for (its variable unset, the default address silent) skips the
test locally, naming the command that enables it; with ``CI`` set the same absence
fails, so CI can never pass by skipping. A service the developer asked for (its
variable set) that does not answer fails everywhere: that is a broken set-up, not a
missing one. Each service's tests also carry a marker (``postgres``, ``redis``,
``browser``, ``node``, ``subprocess``, registered in pyproject.toml), so
``pytest -m "not (postgres or redis or browser or node or subprocess)"`` runs the
rest with no service at all.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

#: Every marker of a test that needs something beyond Python: the fast lane leaves them out.
SERVICE_MARKERS = ("postgres", "redis", "browser", "node", "subprocess")
FAST = 'pytest -m "not (' + " or ".join(SERVICE_MARKERS) + ')"'


def under_ci() -> bool:
    return bool(os.environ.get("CI"))


def missing(what: str, enable: str) -> NoReturn:
    """``what`` is not here: skip, saying ``enable`` (how to get it); under CI, fail."""
    if under_ci():
        pytest.fail(f"CI is set but {what}: {enable}", pytrace=False)
    pytest.skip(f"{what}: {enable}")


def broken(what: str, error: object) -> NoReturn:
    """A service the run was told to use does not answer: fail, locally too."""
    pytest.fail(f"{what} does not answer ({error})", pytrace=False)


# --- Redis -------------------------------------------------------------------------------

REDIS_ENV = "RCPYRAMID_TEST_REDIS_URL"
#: This machine kind runs Redis here; .ci/run starts it when it is down.
REDIS_URL = os.environ.get(REDIS_ENV, "").strip() or "redis://127.0.0.1:6379/0"
ENABLE_REDIS = (
    "start Redis on 127.0.0.1:6379 (`redis-server --daemonize yes`, as .ci/run does) "
    f"or set {REDIS_ENV}"
)


def require_redis() -> str:
    """The tests' Redis URL once it answers (skip, or fail, as the rule above says)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get(REDIS_ENV, "").strip():
            broken(f"{REDIS_ENV}={REDIS_URL} is set but Redis", error)
        missing(f"Redis at {REDIS_URL} does not answer ({error})", ENABLE_REDIS)
    return REDIS_URL


def redis_cache(url: str) -> dict[str, str]:
    """The app's settings for an answer cache on the Redis at ``url``."""
    return {"rcpyramid.cache.backend": "dogpile.cache.redis", "rcpyramid.cache.url": url}


# --- markers from what a test uses -------------------------------------------------------

#: A test using one of these fixtures needs that service; it gets the marker by itself.
_BY_FIXTURE = {
    "redis_url": "redis",
    "browser": "browser",
    "axe_source": "browser",
    "node_sdks": "node",
    "processes": "subprocess",
}


def mark_by_fixtures(items: list[pytest.Item]) -> None:
    """Give each test the markers its fixtures and parameters imply (explicit marks stay).

    A test parametrized with ``"postgresql"`` (the SQL suites' ``sql_url``) is a
    PostgreSQL test; other needs are marked in their modules (``pytestmark``).
    """
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        for fixture, marker in _BY_FIXTURE.items():
            if fixture in names:
                item.add_marker(marker)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgresql" in callspec.params.values():
            item.add_marker("postgres")
