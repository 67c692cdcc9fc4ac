"""Tokens over time: proactive and reactive refresh, one refresh under concurrency, dead tokens."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
import webtest

from rcpyramid.simulator import DEMO_CLIENT
from rcpyramid.simulator.testing import parse_form
from tests.browser import authorize_at_simulator, local_path
from tests.clocks import MovableClock
from tests.journeys import SimulatorHandle, sign_in
from tests.stores import only_token, stored_logins


def test_proactive_refresh_before_the_access_token_expires(
    signed_in: webtest.TestApp, simulator: SimulatorHandle, clock: MovableClock
) -> None:
    before = only_token(signed_in)
    clock.advance(3600 - 30)  # inside the 60-second margin
    assert signed_in.get("/test?api=extension").status_int == 200
    after = only_token(signed_in)
    assert after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token
    assert simulator.counters()["refreshes"] == 1


def test_reactive_refresh_on_a_401_retries_once(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    simulator.control("expire-access-tokens")
    assert signed_in.get("/test?api=extension").status_int == 200
    assert simulator.counters()["refreshes"] == 1
    assert signed_in.get("/test?api=extension-call-log").status_int == 200
    assert simulator.counters()["refreshes"] == 1


def test_32_concurrent_requests_on_an_expired_token_cause_one_refresh(
    served_app: str, simulator: SimulatorHandle
) -> None:
    browser = requests.Session()
    form = parse_form(browser.get(served_app + "/", timeout=10).text)
    started = browser.post(served_app + form.action, data=form.fields, allow_redirects=False)
    landed = browser.get(authorize_at_simulator(started.headers["Location"]), timeout=10)
    assert "Signed in as Alice Smith" in landed.text
    simulator.control("expire-access-tokens")
    cookies = browser.cookies.get_dict()

    def fetch(_: int) -> int:
        return requests.get(
            served_app + "/test?api=extension", cookies=cookies, timeout=10, allow_redirects=False
        ).status_code

    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = list(pool.map(fetch, range(32)))
    assert statuses == [200] * 32
    counters = simulator.counters()
    assert counters["grants"]["refresh_token"] == 1
    assert counters["refreshes"] == 1


def test_dead_refresh_token_signs_out_with_a_page_and_a_way_back(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    token = only_token(signed_in)
    # The session ends on RingCentral's side (as a password change or an admin would do).
    requests.post(
        simulator.url + "/restapi/oauth/revoke",
        data={"token": token.access_token},
        auth=(DEMO_CLIENT.client_id, DEMO_CLIENT.client_secret),
        timeout=10,
    ).raise_for_status()
    page = signed_in.get("/test?api=extension", status=401)
    assert "Your RingCentral session ended" in page.text
    assert page.forms[0].action == "/login"
    assert stored_logins(signed_in) == {}
    assert "Sign in with RingCentral" in signed_in.get("/").text


def test_expired_refresh_token_signs_out(
    signed_in: webtest.TestApp, simulator: SimulatorHandle, clock: MovableClock
) -> None:
    simulator.control("advance-clock", seconds=8 * 24 * 3600)
    clock.advance(3600)  # the app refreshes proactively and learns the refresh token is dead
    page = signed_in.get("/test?api=extension", status=401)
    assert "Your RingCentral session ended" in page.text


def test_signing_in_again_revokes_the_previous_login(
    testapp: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    sign_in(testapp, "alice")
    first = only_token(testapp)
    sign_in(testapp, "bob")
    assert simulator.counters()["revokes"] == 1
    second = only_token(testapp)
    assert second.access_token != first.access_token
    assert "Signed in as Bob Johnson" in testapp.get("/").text


def test_hammering_sign_in_makes_one_token_request_per_completed_sign_in(
    testapp: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    token = testapp.get("/").forms[0]["csrf_token"].value
    urls = [testapp.post("/login", {"csrf_token": token}).headers["Location"] for _ in range(20)]
    assert simulator.counters()["grants"] == {"authorization_code": 0, "refresh_token": 0}
    landed = testapp.get(local_path(authorize_at_simulator(urls[-1])))
    assert landed.status_int == 303
    for _ in range(5):
        testapp.get("/test?api=extension")
    assert simulator.counters()["grants"] == {"authorization_code": 1, "refresh_token": 0}
