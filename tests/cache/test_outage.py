"""Redis stalled or cut mid-run: pages still answer, /healthz says degraded, never a 500."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
import webtest

from tests.journeys import SimulatorHandle, api_calls, sign_in, signed_in_app
from tests.relay import Relay
from tests.services import redis_cache

# Pages from RingCentral answers through the cache (the call logs read the local history).
PAGES = ("/test?api=extension", "/test?api=extension&page=2", "/test?api=extension&perPage=50")


@pytest.fixture
def relayed_redis(redis_url: str) -> Iterator[tuple[str, Relay]]:
    parts = urlsplit(redis_url)
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 6379))
    yield f"redis://127.0.0.1:{relay.port}{parts.path}", relay
    relay.close()


def wait_for_health(testapp: webtest.TestApp, status: str) -> None:
    deadline = time.monotonic() + 30
    while testapp.get("/healthz").json["status"] != status:
        assert time.monotonic() < deadline, f"/healthz never said {status}"
        time.sleep(0.2)


@pytest.mark.parametrize("fault", ["stall", "cut"])
def test_pages_answer_without_redis_and_healthz_says_degraded(
    make_app: Callable[..., webtest.TestApp], relayed_redis: tuple[str, Relay], fault: str
) -> None:
    url, relay = relayed_redis
    testapp = signed_in_app(make_app, **redis_cache(url))
    assert testapp.get("/healthz").json == {"status": "ok", "token_store": "ok", "cache": "ok"}
    for path in PAGES:
        assert testapp.get(path).status_int == 200
    getattr(relay, fault)()
    # Mid-run: every page still answers (from RingCentral, each process on its own).
    for path in PAGES + PAGES:
        page = testapp.get(path)
        assert page.status_int == 200 and "Data as of" in page.text
    health = testapp.get("/healthz")
    assert health.status_int == 200
    assert health.json["status"] == "degraded" and health.json["cache"] == "degraded"
    # Signing out while Redis is away still works, and reaches Redis once it is back.
    home = testapp.get("/")
    next(f for f in home.forms.values() if f.action == "/logout").submit()
    relay.restore()
    wait_for_health(testapp, "ok")
    sign_in(testapp)
    assert testapp.get(PAGES[0]).status_int == 200


def test_a_sign_out_while_redis_is_away_reaches_every_process_when_it_returns(
    make_app: Callable[..., webtest.TestApp],
    relayed_redis: tuple[str, Relay],
    redis_url: str,
    simulator: SimulatorHandle,
) -> None:
    """The process that signed out serves nothing more; the others learn it all the same."""
    url, relay = relayed_redis
    first, second = make_app(**redis_cache(url)), make_app(**redis_cache(redis_url))
    sign_in(first, "alice")
    sign_in(second, "alice")
    first.get(PAGES[0])
    calls = api_calls(simulator)
    second.get(PAGES[0])
    assert api_calls(simulator) == calls  # one person, one shared entry
    relay.cut()
    home = first.get("/")
    next(f for f in home.forms.values() if f.action == "/logout").submit()
    relay.restore()
    # No request to the first process from here on: its sign-out still reaches Redis.
    deadline = time.monotonic() + 30
    while True:
        calls = api_calls(simulator)
        second.get(PAGES[0])
        if api_calls(simulator) == calls + 1:
            break
        assert time.monotonic() < deadline, "the sign-out never reached the other process"
        time.sleep(0.5)
