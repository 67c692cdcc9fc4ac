"""The database going away: a 503 page that says so, recovery on its own, no token lost.

PostgreSQL is reached through a small TCP relay on loopback (tests/relay.py) that the
test cuts, stalls and restores, as a network partition, a hung server or a database
restart would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import webtest
from sqlalchemy.engine import make_url

from rcpyramid.ringcentral.recent import SIGNED_IN_RECHECK
from rcpyramid.simulator import serve_in_thread
from rcpyramid.tokens import open_repository
from rcpyramid.tokens.sqla import SQLAlchemyTokenRepository
from tests.clocks import MovableClock
from tests.databases import TEST_KEYS, postgres_schema
from tests.journeys import sign_in
from tests.relay import Relay

pytestmark = pytest.mark.postgres


@pytest.fixture
def relayed_postgres() -> Iterator[tuple[str, Relay]]:
    with postgres_schema() as url:
        parsed = make_url(url)
        relay = Relay((parsed.host or "127.0.0.1", parsed.port or 5432))
        yield parsed.set(host="127.0.0.1", port=relay.port).render_as_string(False), relay
        relay.close()


@pytest.fixture
def outage_app(
    relayed_postgres: tuple[str, Relay], make_testapp: Callable[..., webtest.TestApp]
) -> Iterator[tuple[webtest.TestApp, Relay]]:
    url, relay = relayed_postgres
    backend = SQLAlchemyTokenRepository
    app = make_testapp(
        **{
            "rcpyramid.tokens.backend": f"{backend.__module__}.{backend.__qualname__}",
            "sqlalchemy.url": url,
            "rcpyramid.tokens.keys": TEST_KEYS,
            "rcpyramid.database.auto_upgrade": "true",
            "rcpyramid.database.timeout": "1",
            "rcpyramid.canonical_host": "off",
        }
    )
    yield app, relay
    app.app.registry.close_token_store()


def answered_quickly(app: Any) -> None:
    """RingCentral answered the directory quickly last time, so no waiting page comes first.

    A stalled database's page is the 503 that says so. Only RingCentral's time brings the
    waiting page (tests/functional/test_waiting.py); a busy machine could have made the
    directory's last fetch slow, and the waiting page (a 200) would then come first.
    """
    app.registry.waits.note("extension", 0.0)


def test_postgresql_outage_is_a_503_page_and_the_app_recovers_without_losing_tokens(
    outage_app: tuple[webtest.TestApp, Relay], clock: MovableClock
) -> None:
    testapp, relay = outage_app
    sign_in(testapp)
    assert testapp.get("/test?api=extension").status_int == 200
    relay.cut()
    clock.advance(SIGNED_IN_RECHECK.total_seconds())  # past the tokens read a moment ago
    page = testapp.get("/test?api=extension", status=503)
    assert "cannot reach its database" in page.text
    assert "Traceback" not in page.text
    assert testapp.get("/healthz", status=503).json["token_store"] == "down"
    relay.restore()
    assert testapp.get("/healthz").json["status"] == "ok"
    # Still signed in: the tokens were kept through the outage.
    assert testapp.get("/test?api=extension").status_int == 200
    assert "Signed in as Alice Smith" in testapp.get("/").text


def signed_in_on_four_threads(
    outage_app: tuple[webtest.TestApp, Relay],
) -> tuple[Any, Relay, dict[str, str]]:
    """Alice signed in; the app (WSGI), its relay, her session cookie for real HTTP."""
    testapp, relay = outage_app
    sign_in(testapp)
    cookies = {"rcpyramid_session": testapp.cookies["rcpyramid_session"]}
    # As the server runner does: 4 threads, so at most 2 of them may wait on the database.
    testapp.app.registry.check_server_threads(4)
    return testapp.app, relay, cookies


def test_postgresql_stalled_database_gives_503s_and_pages_without_it_keep_answering(
    outage_app: tuple[webtest.TestApp, Relay], clock: MovableClock
) -> None:
    app, relay, cookies = signed_in_on_four_threads(outage_app)
    running = serve_in_thread(app, host="127.0.0.1", port=0, threads=4)
    base = running.url
    try:
        assert requests.get(base + "/test?api=extension", cookies=cookies, timeout=30).ok
        answered_quickly(app)
        relay.stall()
        clock.advance(SIGNED_IN_RECHECK.total_seconds())  # past the tokens read a moment ago
        with ThreadPoolExecutor(max_workers=10) as pool:
            needing = [
                pool.submit(requests.get, base + "/test?api=extension", cookies=cookies, timeout=60)
                for _ in range(6)
            ] + [pool.submit(requests.get, base + "/healthz", timeout=60) for _ in range(2)]
            # Meanwhile, what needs no database answers (a generous limit, not a speed test).
            assert requests.get(base + "/", timeout=30).status_code == 200
            assert requests.get(base + "/static/app.css", timeout=30).status_code == 200
            assert requests.get(base + "/nowhere", timeout=30).status_code == 404
            answers = [future.result() for future in needing]
        assert [answer.status_code for answer in answers] == [503] * 8
        relay.restore()
        # The app recovers by itself: connections the stall left behind are thrown away.
        deadline = time.monotonic() + 30
        while requests.get(base + "/healthz", timeout=30).status_code != 200:
            assert time.monotonic() < deadline, "the app did not recover"
        assert requests.get(base + "/test?api=extension", cookies=cookies, timeout=30).ok
    finally:
        relay.restore()
        running.stop()


def test_opening_connections_to_a_stalled_database_stays_inside_the_waiting_bound(
    outage_app: tuple[webtest.TestApp, Relay], clock: MovableClock
) -> None:
    """With no connection left in the pool, a stall holds threads in the driver's connect."""
    app, relay, cookies = signed_in_on_four_threads(outage_app)
    with open_repository(app.registry) as repo:
        engine = repo.engine  # type: ignore[attr-defined]
    connecting = most = 0
    count = threading.Lock()
    driver_connect = engine.dialect.connect

    def counted(*args: object, **kwargs: object) -> object:
        nonlocal connecting, most
        with count:
            connecting += 1
            most = max(most, connecting)
        try:
            return driver_connect(*args, **kwargs)
        finally:
            with count:
                connecting -= 1

    engine.dialect.connect = counted
    running = serve_in_thread(app, host="127.0.0.1", port=0, threads=4)
    try:
        relay.restore()  # drops every pooled connection: the next ones must be opened
        engine.dispose()
        answered_quickly(app)
        relay.stall()
        clock.advance(SIGNED_IN_RECHECK.total_seconds())
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(
                pool.map(
                    lambda _: (
                        requests.get(
                            running.url + "/test?api=extension", cookies=cookies, timeout=60
                        ).status_code
                    ),
                    range(8),
                )
            )
        assert statuses == [503] * 8
        assert most <= 2, f"{most} threads sat in the driver's connect at once"
    finally:
        relay.restore()
        running.stop()
