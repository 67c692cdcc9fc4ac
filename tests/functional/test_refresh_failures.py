"""One refresh per expiry when the refresh fails too (issue 10, items 2 and 3).

The outcome of one refresh, success or failure, is the answer for the requests that
waited for it, and with a shared store for other processes for a short while; a
refresh that fails while the access token still works uses that token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import webtest

from rcpyramid.simulator.testing import parse_form
from tests.browser import authorize_at_simulator
from tests.clocks import MovableClock
from tests.databases import TEST_KEYS, postgres_schema, sqlite_url
from tests.journeys import SimulatorHandle, sign_in

TOKEN_PATH = "/restapi/oauth/token"


def refresh_grants(simulator: SimulatorHandle) -> int:
    return simulator.counters()["grants"]["refresh_token"]


def signed_in_browser(served_app: str) -> dict[str, str]:
    browser = requests.Session()
    form = parse_form(browser.get(served_app + "/", timeout=10).text)
    started = browser.post(served_app + form.action, data=form.fields, allow_redirects=False)
    landed = browser.get(authorize_at_simulator(started.headers["Location"]), timeout=10)
    assert "Signed in as" in landed.text
    return browser.cookies.get_dict()


def sixteen_loads(served_app: str, cookies: dict[str, str]) -> list[int]:
    def fetch(_: int) -> int:
        return requests.get(
            served_app + "/test?api=extension", cookies=cookies, timeout=30, allow_redirects=False
        ).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(fetch, range(16)))


@pytest.mark.parametrize(("status", "page"), [(503, 502), (429, 429)])
def test_a_failed_refresh_is_the_answer_for_every_request_waiting_for_it(
    served_app: str, simulator: SimulatorHandle, clock: MovableClock, status: int, page: int
) -> None:
    cookies = signed_in_browser(served_app)
    clock.advance(3600 + 1)  # the access token has expired: every load must refresh first
    # Only the first token request fails: had any waiter asked again, it would have
    # been granted a new pair.
    simulator.control("fail-next", status=status, count=1, path=TOKEN_PATH, retry_after=30)
    assert sixteen_loads(served_app, cookies) == [page] * 16
    assert refresh_grants(simulator) == 0
    # Once the remembered failure lapses, the next load refreshes.
    clock.advance(31)
    assert sixteen_loads(served_app, cookies) == [200] * 16
    assert refresh_grants(simulator) == 1


def test_a_refresh_that_fails_while_the_token_still_works_uses_the_token(
    signed_in: webtest.TestApp, simulator: SimulatorHandle, clock: MovableClock
) -> None:
    clock.advance(3600 - 30)  # inside the 60-second margin: due, but still valid
    simulator.control("fail-next", status=503, count=1, path=TOKEN_PATH)
    assert signed_in.get("/test?api=extension").status_int == 200
    assert refresh_grants(simulator) == 0
    assert signed_in.get("/test?api=extension").status_int == 200  # the failure is remembered
    assert refresh_grants(simulator) == 0
    clock.advance(11)  # still valid; the remembered failure has lapsed: try again
    assert signed_in.get("/test?api=extension").status_int == 200
    assert refresh_grants(simulator) == 1


def test_a_refused_token_is_not_reused_when_its_refresh_fails(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    # RingCentral refused the token (401): valid by the clock, but of no use. The
    # refresh failing then is a page, not a second try with the refused token.
    simulator.control("expire-access-tokens")
    simulator.control("fail-next", status=503, count=1, path=TOKEN_PATH)
    signed_in.get("/test?api=extension", status=502)
    assert "Signed in as" in signed_in.get("/").text  # not signed out: it was RingCentral's day


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        with postgres_schema() as url:
            yield url


def test_sql_a_failed_refresh_is_remembered_across_processes(
    make_testapp: Callable[..., webtest.TestApp],
    database_url: str,
    simulator: SimulatorHandle,
    clock: MovableClock,
) -> None:
    sql = {
        "rcpyramid.tokens.backend": "rcpyramid.tokens.sqla.SQLAlchemyTokenRepository",
        "sqlalchemy.url": database_url,
        "rcpyramid.tokens.keys": TEST_KEYS,
        "rcpyramid.database.auto_upgrade": "true",
    }
    first, second = make_testapp(**sql), make_testapp(**sql)  # two processes, one database
    try:
        sign_in(first)
        second.cookiejar = first.cookiejar
        clock.advance(3600 + 1)
        simulator.control("fail-next", status=429, count=1, path=TOKEN_PATH, retry_after=60)
        first.get("/test?api=extension", status=429)
        # The other process has its own rate-limit gate, but the store remembers.
        page = second.get("/test?api=extension", status=429)
        assert page.headers["Retry-After"] in {"59", "60"}
        assert refresh_grants(simulator) == 0
        clock.advance(61)
        assert second.get("/test?api=extension").status_int == 200
        assert first.get("/test?api=extension").status_int == 200
        assert refresh_grants(simulator) == 1
    finally:
        first.app.registry.close_token_store()
        second.app.registry.close_token_store()
