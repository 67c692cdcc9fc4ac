"""One rate-limit budget per person and group, shared through Redis by every process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import webtest

from rcpyramid.simulator import DEMO_CLIENT, Simulator, SimulatorConfig, serve_in_thread
from tests.journeys import SimulatorHandle, api_calls, sign_in, signed_in_app, signed_in_apps

#: Pages from RingCentral's answers through the cache (the call logs read the history).
EXTENSIONS = "/test?api=extension&perPage=3"
EXTENSIONS_PATH = "/restapi/v1.0/account/~/extension"
FIVE_PAGES = (
    "/test?api=extension",
    EXTENSIONS,
    EXTENSIONS + "&page=2",
    "/test?api=extension-call-log",
    "/test?api=account-call-log&page=2",
)


def test_thirty_views_in_a_minute_over_five_pages_meet_no_429(
    make_app: Callable[..., webtest.TestApp], limited_simulator: SimulatorHandle
) -> None:
    testapp = signed_in_app(make_app, **{"ringcentral.server_url": limited_simulator.url})
    before = api_calls(limited_simulator)
    for view in range(30):
        page = testapp.get(FIVE_PAGES[view % 5])
        assert page.status_int == 200
        assert "slow down" not in page.text
    assert api_calls(limited_simulator) - before <= 10
    assert limited_simulator.counters()["rate_limited"] == 0


def test_the_app_stops_before_ringcentral_says_no_and_shows_what_it_has(
    make_app: Callable[..., webtest.TestApp],
    limited_simulator: SimulatorHandle,
    redis_settings: dict[str, str],
) -> None:
    testapp = signed_in_app(
        make_app, **{"ringcentral.server_url": limited_simulator.url, **redis_settings}
    )
    # RingCentral's default Medium limit is 40 a minute: forty different extension pages.
    for number in range(1, 41):
        testapp.get(f"{EXTENSIONS}&page={number}")
    calls = api_calls(limited_simulator)
    spent = testapp.get(f"{EXTENSIONS}&page=41", status=429)
    assert int(spent.headers["Retry-After"]) > 0
    # RingCentral said nothing: the page says the app is pacing itself.
    assert "Pacing our requests to RingCentral" in spent.text
    assert "asks us to slow down" not in spent.text
    # Nothing failed: the reassurance reads as a notice, not in the error's red.
    assert "Nothing is wrong" in spent.html.select_one("p.notice").text
    assert spent.html.select_one(".error") is None
    # Refresh of a page seen before: no call, the kept answer, and when fresh data can come.
    kept = testapp.get(f"{EXTENSIONS}&page=1&refresh=1")
    assert "fresh data can come at" in kept.html.select_one(".freshness").text
    assert api_calls(limited_simulator) == calls
    assert limited_simulator.counters()["rate_limited"] == 0


def test_a_429_learned_by_one_process_stops_the_other_and_outlives_signing_in_again(
    make_app: Callable[..., webtest.TestApp],
    simulator: SimulatorHandle,
    redis_settings: dict[str, str],
) -> None:
    first, second = signed_in_apps(make_app, ("alice", "alice"), **redis_settings)
    simulator.control("fail-next", status=429, path=EXTENSIONS_PATH, retry_after=120)
    first.get(EXTENSIONS, status=429)
    calls = api_calls(simulator)
    # Another process, another page of the same group (Medium): no call is made.
    page = second.get(EXTENSIONS + "&page=2", status=429)
    assert int(page.headers["Retry-After"]) > 60
    assert api_calls(simulator) == calls
    sign_in(first, "alice")  # a new login id, the same person at RingCentral
    calls = api_calls(simulator)
    first.get(EXTENSIONS + "&page=3", status=429)
    assert api_calls(simulator) == calls
    # Another group is not held back: the dashboard's details (Light) are read.
    assert "Alice Smith" in second.get("/").html.select_one("h1").text


def _strip_rate_headers_from_429(app: Callable) -> Callable:
    """A gateway in front of RingCentral: its own 429s carry no X-Rate-Limit-* headers."""

    def gateway(environ: dict[str, Any], start_response: Callable) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if status.startswith("429"):
                headers = [(k, v) for k, v in headers if not k.lower().startswith("x-rate-limit")]
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return gateway


@pytest.fixture
def gateway_simulator() -> Iterator[SimulatorHandle]:
    simulator = Simulator(SimulatorConfig(clients=(DEMO_CLIENT,), rate_limits=None))
    running = serve_in_thread(
        _strip_rate_headers_from_429(simulator.wsgi_app()), host="127.0.0.1", port=0
    )
    yield SimulatorHandle(simulator, running)
    running.stop()


def bob_after_a_gateway_429_to_alice(
    make_app: Callable[..., webtest.TestApp],
    gateway: SimulatorHandle,
    redis_settings: dict[str, str],
    retry_after: int,
) -> webtest.TestApp:
    """Alice and Bob in two processes sharing Redis; the gateway refused Alice's list."""
    settings = {"ringcentral.server_url": gateway.url, **redis_settings}
    first, second = signed_in_apps(make_app, ("alice", "bob"), **settings)
    gateway.control("fail-next", status=429, path=EXTENSIONS_PATH, retry_after=retry_after)
    first.get(EXTENSIONS, status=429)
    return second


def test_an_account_wide_429_holds_everyone_back(
    make_app: Callable[..., webtest.TestApp],
    gateway_simulator: SimulatorHandle,
    redis_settings: dict[str, str],
) -> None:
    second = bob_after_a_gateway_429_to_alice(make_app, gateway_simulator, redis_settings, 90)
    calls = api_calls(gateway_simulator)
    # Bob, another person in another process: held back too, no call.
    page = second.get("/test?api=extension&page=2", status=429)
    assert int(page.headers["Retry-After"]) > 30
    assert api_calls(gateway_simulator) == calls


def test_an_account_wide_429_holds_for_a_bounded_time_whatever_retry_after_says(
    make_app: Callable[..., webtest.TestApp],
    gateway_simulator: SimulatorHandle,
    redis_settings: dict[str, str],
) -> None:
    second = bob_after_a_gateway_429_to_alice(make_app, gateway_simulator, redis_settings, 3600)
    page = second.get("/test?api=extension&page=2", status=429)
    assert 30 < int(page.headers["Retry-After"]) <= 60


def _browser_like(signed_in: webtest.TestApp) -> webtest.TestApp:
    """Another connection of the same browser: the same cookies, its own TestApp."""
    other = webtest.TestApp(signed_in.app, extra_environ=signed_in.extra_environ)
    for cookie in signed_in.cookiejar:
        other.set_cookie(cookie.name, cookie.value)
    return other


def test_concurrent_misses_in_two_processes_make_one_call(
    make_app: Callable[..., webtest.TestApp],
    simulator: SimulatorHandle,
    redis_settings: dict[str, str],
) -> None:
    first, second = signed_in_apps(make_app, ("alice", "alice"), **redis_settings)
    # RingCentral is slow to answer, so the requests overlap while the first one waits.
    simulator.control("latency", seconds=1, path=EXTENSIONS_PATH)
    before = api_calls(simulator)
    browsers = [_browser_like(app) for app in (first, second) for _ in range(4)]
    bodies: list[bytes] = []
    errors: list[BaseException] = []

    def view(browser: webtest.TestApp) -> None:
        try:
            bodies.append(browser.get(EXTENSIONS + "&format=json").body)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=view, args=(browser,)) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(bodies) == 8 and len(set(bodies)) == 1
    assert api_calls(simulator) == before + 1


@pytest.mark.parametrize(("views", "shared"), [(16, True), (48, True), (48, False)])
def test_a_burst_from_a_cold_budget_stays_within_ringcentrals_limit(
    make_app: Callable[..., webtest.TestApp],
    limited_simulator: SimulatorHandle,
    request: pytest.FixtureRequest,
    views: int,
    shared: bool,
) -> None:
    """The red team's L7: from a cold budget a burst was all sent, and RingCentral said 429.

    ``views`` concurrent directory views of different pages (Medium, 40 a minute at
    RingCentral): 16 as the red team sent, and 48, more than the limit; with the budget
    in Redis, and in the process (no Redis configured).
    """
    cache = request.getfixturevalue("redis_settings") if shared else {}
    testapp = make_app(
        **{
            "ringcentral.server_url": limited_simulator.url,
            "rcpyramid.canonical_host": "off",
            "rcpyramid.history.worker": "false",
            **cache,
        }
    )
    sign_in(testapp)
    cookies = {"rcpyramid_session": testapp.cookies["rcpyramid_session"]}
    before = api_calls(limited_simulator)
    running = serve_in_thread(testapp.app, host="127.0.0.1", port=0, threads=views)
    try:
        with ThreadPoolExecutor(max_workers=views) as pool:
            statuses = list(
                pool.map(
                    lambda n: (
                        requests.get(
                            f"{running.url}/test?api=extension&perPage={n + 1}",
                            cookies=cookies,
                            timeout=60,
                        ).status_code
                    ),
                    range(views),
                )
            )
    finally:
        running.stop()
    assert limited_simulator.counters()["rate_limited"] == 0
    assert api_calls(limited_simulator) - before == min(views, 40)
    # Within the limit every view is a page; past it, the app's own pacing page.
    assert statuses.count(200) == min(views, 40)
    assert statuses.count(429) == views - min(views, 40)
