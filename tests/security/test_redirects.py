"""Every redirect's absolute Location takes its origin from configuration, never from Host."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
import webtest

from tests.browser import authorize_at_simulator, local_path
from tests.journeys import start_sign_in
from tests.serving import serve

ORIGIN = "http://localhost:5000"  # the redirect URI's, in the test settings
HOSTILE = {"Host": "evil.example"}


@pytest.fixture
def no_canonical(make_testapp: Callable[..., webtest.TestApp]) -> webtest.TestApp:
    """Without the canonical-host redirect, the app's own redirects answer the hostile Host."""
    return make_testapp(**{"rcpyramid.canonical_host": "off"})


def assert_configured(location: str, path: str = "/") -> None:
    assert location == ORIGIN + path, location


@pytest.mark.parametrize("path", ["/index", "/login", "/logout"])
def test_get_redirects_ignore_a_hostile_host(no_canonical: webtest.TestApp, path: str) -> None:
    answer = no_canonical.get(path, headers=HOSTILE, status=302)
    assert_configured(answer.headers["Location"])


def test_the_canonical_host_redirect_ignores_a_hostile_host(testapp: webtest.TestApp) -> None:
    answer = testapp.get("/test?api=extension", headers=HOSTILE, status=308)
    assert_configured(answer.headers["Location"], "/test?api=extension")


def test_sign_in_callback_and_logout_redirects_ignore_a_hostile_host(
    no_canonical: webtest.TestApp,
) -> None:
    # The whole journey under the hostile Host, so the cookies follow it.
    browser = webtest.TestApp(no_canonical.app, extra_environ={"HTTP_HOST": "evil.example"})
    home = browser.get("/")
    form = next(form for form in home.forms.values() if form.action == "/login")
    to_ringcentral = form.submit(status=303)
    # RingCentral's own address is configuration too.
    assert not to_ringcentral.headers["Location"].startswith("http://evil.example")
    callback = authorize_at_simulator(to_ringcentral.headers["Location"])
    back = browser.get(local_path(callback), status=303)
    assert_configured(back.headers["Location"])
    page = browser.get("/logout", status=200)
    out = page.forms[0].submit(status=303)
    assert_configured(out.headers["Location"])


def test_a_forwarded_host_through_waitress_does_not_choose_the_location(
    no_canonical: webtest.TestApp,
) -> None:
    """waitress trusting a proxy turns X-Forwarded-Host into Host: still configuration wins."""
    running = serve(
        no_canonical.app,
        trusted_proxy="127.0.0.1",
        trusted_proxy_headers="x-forwarded-host x-forwarded-proto",
        clear_untrusted_proxy_headers=True,
    )
    try:
        answer = requests.get(
            f"{running.url}/index",
            headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302
        assert_configured(answer.headers["Location"])
    finally:
        running.stop()


def test_start_sign_in_still_works_on_the_canonical_host(testapp: webtest.TestApp) -> None:
    assert start_sign_in(testapp).startswith("http://127.0.0.1:")
