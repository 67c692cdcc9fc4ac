"""A failed sign-in's page never repeats the spent authorization code or state."""

from __future__ import annotations

import secrets

import pytest
import webtest

from tests.browser import authorize_at_simulator, local_path, query_of
from tests.journeys import SimulatorHandle, start_sign_in

CALLBACK_ERRORS = ("server_error", "temporarily_unavailable", "access_denied", "invalid_request")


def assert_no_secret_in(page: webtest.TestResponse, *values: str) -> None:
    for value in values:
        assert value not in page.text
    assert not page.html.select("a[href*='oauth2callback']")


@pytest.mark.parametrize("referer", [False, True])
def test_unknown_state_page_hides_code_and_state(testapp: webtest.TestApp, referer: bool) -> None:
    code, state = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    url = f"/oauth2callback?code={code}&state={state}"
    # A reload of the callback sends the callback itself as the Referer.
    headers = {"Referer": f"http://localhost:5000{url}"} if referer else {}
    page = testapp.get(url, headers=headers, status=400)
    assert_no_secret_in(page, code, state)


@pytest.mark.parametrize("error", CALLBACK_ERRORS)
def test_error_answers_hide_state(testapp: webtest.TestApp, error: str) -> None:
    state = query_of(start_sign_in(testapp))["state"]
    url = f"/oauth2callback?error={error}&state={state}"
    page = testapp.get(url, headers={"Referer": f"http://localhost:5000{url}"}, status="*")
    assert page.status_int >= 400
    assert_no_secret_in(page, state)


def test_replayed_and_refused_codes_hide_code_and_state(
    testapp: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    callback = local_path(authorize_at_simulator(start_sign_in(testapp)))
    query = query_of(callback)
    assert testapp.get(callback).status_int == 303
    # A signed-in browser replaying it lands on its page; a signed-out one is told why.
    landed = testapp.get(callback, status=303)
    assert query["code"] not in landed.location and query["state"] not in landed.location
    fresh = webtest.TestApp(testapp.app, extra_environ=testapp.extra_environ)
    replay = fresh.get(callback, status=400)
    assert_no_secret_in(replay, query["code"], query["state"])

    callback = local_path(authorize_at_simulator(start_sign_in(testapp)))
    query = query_of(callback)
    simulator.control("advance-clock", seconds=61)  # the code expires at RingCentral
    refused = testapp.get(callback, status=400)
    assert "RingCentral did not accept the sign-in" in refused.text
    assert_no_secret_in(refused, query["code"], query["state"])


def test_other_browser_page_hides_code_and_state(testapp: webtest.TestApp) -> None:
    callback = local_path(authorize_at_simulator(start_sign_in(testapp)))
    query = query_of(callback)
    other = webtest.TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost:5000"})
    page = other.get(callback, status=400)
    assert "another browser" in page.text
    assert_no_secret_in(page, query["code"], query["state"])
