"""A refresh meets a database that stops or slows down (a killed process: test_refresh_kills).

In the configurations people run (tests/configurations.py): ``development`` (SQLite,
waitress) and ``prefork`` (two gunicorn workers on PostgreSQL and Redis, PostgreSQL
through a relay the test stalls or slows). The memory backend has no database to stall.
What a person must never see: a 500, or being signed out; what RingCentral must never
see: a rotated pair lost (the next expiry refreshes with a rotation, not a replay of
the previous refresh token, nor a refusal).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from rcpyramid.simulator.testing import wait_until
from tests.configurations import Served, served
from tests.functional.test_herd import page
from tests.processes import Process

pytestmark = pytest.mark.subprocess

#: Short database bounds, so a stalled database is a 503 within seconds, not 30.
QUICK = {"rcpyramid.database.lock_timeout": "3", "rcpyramid.database.timeout": "3"}


@pytest.fixture(params=["development", "prefork"])
def with_database(
    request: pytest.FixtureRequest, processes: list[Process], tmp_path: Path
) -> Iterator[Served]:
    yield from served(request.param, processes, tmp_path, settings=QUICK, relay=True)


@pytest.fixture
def prefork(processes: list[Process], tmp_path: Path) -> Iterator[Served]:
    yield from served("prefork", processes, tmp_path, settings=QUICK, relay=True)


@contextmanager
def database_stalled(configuration: Served) -> Iterator[None]:
    """PostgreSQL stops answering (the relay holds every byte); SQLite's write lock is held.

    SQLite has no network to stall: what stops its writers is another connection
    holding the write lock (a long write, a backup, a purge in another process).
    """
    if configuration.relay is not None:
        configuration.relay.stall()
        try:
            yield
        finally:
            configuration.relay.restore()  # the connections held through it are dropped
        return
    assert configuration.sqlite is not None
    holder = sqlite3.connect(configuration.sqlite, timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def fresh(number: int) -> str:
    """A directory page asked of RingCentral, not of the answer cache (Redis outlives a test).

    ``wait=1``: as the browser asks after a waiting page, which a slow page before (one
    that met the stalled database) would otherwise bring: a 200 that asks no one.
    """
    return page(number) + "&refresh=1&wait=1"


def refresh_started(
    configuration: Served, latency: float, fetch: Callable[[str, dict[str, str]], object]
) -> tuple[requests.Session, threading.Thread]:
    """Signed in, access token expired, RingCentral slow to rotate: a refreshing page, started.

    ``fetch(url, cookies)`` asks for the page in a thread of its own; the browser and the
    thread are returned.
    """
    browser = configuration.signed_in()
    configuration.simulator.expire_access_tokens()
    configuration.simulator.latency(latency, path="/restapi/oauth/token", count=1)
    cookies = browser.cookies.get_dict()
    started = threading.Thread(
        target=lambda: fetch(configuration.url + fresh(1), cookies), daemon=True
    )
    started.start()
    return browser, started


def herd(configuration: Served, browser: requests.Session, size: int) -> list[int]:
    """``size`` requests of one person at once, each asking RingCentral (no cached answer)."""
    cookies = browser.cookies.get_dict()

    def fetch(number: int) -> int:
        url = configuration.url + fresh(number)
        return requests.get(url, cookies=cookies, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=size) as pool:
        return list(pool.map(fetch, range(size)))


def grants(configuration: Served) -> tuple[int, int]:
    """(refresh-token grants, of which rotations) at the simulator; the rest were replays."""
    counters = configuration.simulator.counters()
    return counters["grants"]["refresh_token"], counters["refreshes"]


def page_shows(configuration: Served, browser: requests.Session, number: int) -> None:
    """Waits until the page answers 200: the app has recovered by itself."""

    def status() -> int:
        try:
            answer = browser.get(configuration.url + fresh(number), timeout=60)
        except requests.ConnectionError:  # a connection kept to a worker that was killed
            return 0
        assert answer.status_code != 500, configuration.app.output[-3000:]
        return answer.status_code

    wait_until(lambda: status() == 200, timeout=60, interval=0.2)


def the_stored_pair_is_the_newest(
    configuration: Served, browser: requests.Session, *, killed: bool = False
) -> None:
    """The next expiry refreshes with the stored pair: one rotation, no replay, no refusal.

    ``killed``: a killed process's token request may still reach the simulator (late,
    its answer to no one), a grant of its own; the app's refresh is still the one rotation.
    """
    before, rotations = grants(configuration)
    configuration.simulator.expire_access_tokens()
    answer = browser.get(configuration.url + fresh(99), timeout=60)
    assert answer.status_code == 200, configuration.app.output[-3000:]
    after, rotated = grants(configuration)
    assert rotated == rotations + 1, configuration.app.output[-6000:]
    assert after == before + 1 or (killed and after == before + 2), (before, after)
    assert "Signed in as Alice Smith" in browser.get(configuration.url + "/", timeout=60).text


def test_a_herd_meeting_a_stalled_database_gets_503s_and_loses_nothing(
    with_database: Served,
) -> None:
    configuration = with_database
    browser = configuration.signed_in()
    configuration.simulator.expire_access_tokens()
    with database_stalled(configuration):
        statuses = herd(configuration, browser, 8)
    # The refresh lock is in the database: no refresh could start, so none was lost.
    assert set(statuses) == {503}, (statuses, configuration.app.output[-3000:])
    assert grants(configuration) == (0, 0)
    page_shows(configuration, browser, 1)
    assert grants(configuration) == (1, 1)
    the_stored_pair_is_the_newest(configuration, browser)


def test_a_slow_database_during_a_refresh_keeps_the_rotated_pair(prefork: Served) -> None:
    """The issue's check: a relay that delays PostgreSQL (not one that stops it)."""
    browser = prefork.signed_in()
    prefork.simulator.expire_access_tokens()
    assert prefork.relay is not None
    prefork.relay.slow(0.05)  # each chunk, each way: a round trip of 0.1 s or more
    try:
        statuses = herd(prefork, browser, 8)
    finally:
        prefork.relay.slow(0)
    # The waiting bound may refuse some of a herd on a slow database; nothing else.
    assert set(statuses) <= {200, 503} and 200 in statuses, (statuses, prefork.app.output[-3000:])
    assert grants(prefork) == (1, 1)
    # The next request uses the rotated pair: no refresh at all.
    page_shows(prefork, browser, 50)
    assert grants(prefork) == (1, 1)
    the_stored_pair_is_the_newest(prefork, browser)


def refresh_lock_ports(database_url: str) -> list[int]:
    """The client ports of the sessions holding a login's refresh lock, once there are some.

    Read directly, not through the relay the app may use.
    """
    engine = create_engine(database_url)

    def holders() -> list[int]:
        with engine.connect() as conn:
            ports = conn.execute(
                text(
                    "SELECT client_port FROM pg_stat_activity WHERE state = "
                    "'idle in transaction' AND query ILIKE '%FROM logins%FOR UPDATE%'"
                )
            ).scalars()
            return [port for port in ports if port is not None]

    try:
        return wait_until(holders, timeout=30)
    finally:
        engine.dispose()


def test_a_database_stalled_while_ringcentral_rotates_the_pair_does_not_lose_it(
    prefork: Served,
) -> None:
    """The save of a rotated pair meets a stalled PostgreSQL: the worker keeps the pair."""
    leading: list[int] = []
    browser, started = refresh_started(
        prefork,
        2,
        lambda url, cookies: leading.append(
            requests.get(url, cookies=cookies, timeout=60).status_code
        ),
    )
    assert prefork.database_url is not None and prefork.relay is not None
    refresh_lock_ports(prefork.database_url)  # the lock is taken: RingCentral is being asked
    prefork.relay.stall()
    try:
        wait_until(lambda: grants(prefork) == (1, 1), timeout=30)  # RingCentral rotated it
        started.join(60)
    finally:
        prefork.relay.restore()
    # The page of the request that refreshed: the pair it could not save is what it used.
    assert leading in ([200], [503]), (leading, prefork.app.output[-3000:])
    page_shows(prefork, browser, 2)
    the_stored_pair_is_the_newest(prefork, browser)
