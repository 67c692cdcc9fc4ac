"""Sign-ins in progress are capped per browser and in total (issue 10, item 8)."""

from __future__ import annotations

from collections.abc import Callable

import webtest

from rcpyramid.security import client_network
from tests.browser import authorize_at_simulator, local_path
from tests.clocks import MovableClock
from tests.journeys import start_sign_in


def browser_of(testapp: webtest.TestApp) -> webtest.TestApp:
    """Another browser (its own cookies) on the same app."""
    return webtest.TestApp(testapp.app, extra_environ=dict(testapp.extra_environ))


def complete(testapp: webtest.TestApp, authorize_url: str) -> webtest.TestResponse:
    return testapp.get(local_path(authorize_at_simulator(authorize_url)), expect_errors=True)


def test_a_browser_over_its_cap_loses_its_oldest_sign_ins_only(
    make_testapp: Callable[..., webtest.TestApp],
) -> None:
    app = make_testapp(**{"rcpyramid.sign_ins_per_browser": "3"})
    other = browser_of(app)
    theirs = start_sign_in(other)
    mine = [start_sign_in(app) for _ in range(5)]
    refused = complete(app, mine[0])
    assert refused.status_int == 400 and "expired or was already used" in refused.text
    assert complete(app, mine[-1]).status_int == 303
    # Another person's sign-in is untouched by this browser's.
    assert complete(other, theirs).status_int == 303


def test_over_the_total_cap_a_new_sign_in_gets_a_clear_page_and_nobody_loses_theirs(
    make_testapp: Callable[..., webtest.TestApp],
) -> None:
    app = make_testapp(**{"rcpyramid.sign_ins_in_progress": "3"})
    people = [browser_of(app) for _ in range(3)]
    started = [start_sign_in(person) for person in people]
    late = browser_of(app)
    form = next(f for f in late.get("/").forms.values() if f.action == "/login")
    page = form.submit(status=503)
    assert "Too many sign-ins right now" in page.text
    # Nothing failed: the reassurance reads as a notice, not in the error's red.
    assert "Nothing is wrong" in page.html.select_one("p.notice").text
    assert page.html.select_one(".error") is None
    assert page.headers["Retry-After"] == "60"
    assert page.headers["Cache-Control"] == "no-store"
    for person, url in zip(people, started, strict=True):
        assert complete(person, url).status_int == 303
    # Their sign-ins done, there is room again.
    assert start_sign_in(late).startswith("http")


def test_expired_sign_ins_make_room_without_waiting_for_the_purge(
    make_testapp: Callable[..., webtest.TestApp], clock: MovableClock
) -> None:
    app = make_testapp(**{"rcpyramid.sign_ins_in_progress": "2"})
    for person in (browser_of(app), browser_of(app)):
        start_sign_in(person)
    late = browser_of(app)
    form = next(f for f in late.get("/").forms.values() if f.action == "/login")
    form.submit(status=503)
    clock.advance(601)  # rcpyramid.sign_in_timeout: the two are abandoned
    assert complete(late, start_sign_in(late)).status_int == 303


def from_address(testapp: webtest.TestApp, address: str) -> webtest.TestApp:
    """Another browser on the same app, its requests from ``address``."""
    return webtest.TestApp(
        testapp.app, extra_environ={**testapp.extra_environ, "REMOTE_ADDR": address}
    )


def test_one_address_cannot_fill_the_sign_ins_in_progress_and_gets_a_clear_429(
    make_testapp: Callable[..., webtest.TestApp],
) -> None:
    """The red team's L7: anonymous POST /login from one address filled the global cap."""
    app = make_testapp(
        **{"rcpyramid.sign_ins_per_address": "3", "rcpyramid.sign_ins_in_progress": "10"}
    )
    # One IPv6 host picks addresses from its /64: they count together.
    flood = [from_address(app, f"2001:db8:1:2::{n}") for n in range(1, 4)]
    started = [start_sign_in(browser) for browser in flood]
    late = from_address(app, "2001:db8:1:2::99")
    form = next(f for f in late.get("/").forms.values() if f.action == "/login")
    page = form.submit(status=429)
    assert "Too many sign-ins from your network" in page.text
    assert "try again later" in page.text
    assert "Nothing is wrong" in page.html.select_one("p.notice").text
    assert page.html.select_one(".error") is None
    assert 0 < int(page.headers["Retry-After"]) <= 600  # rcpyramid.sign_in_timeout
    assert page.headers["Cache-Control"] == "no-store"
    # Everyone else still signs in: another /64, an IPv4 address.
    for address in ("2001:db8:1:3::1", "198.51.100.7"):
        other = from_address(app, address)
        assert complete(other, start_sign_in(other)).status_int == 303
    # The flood's own sign-ins still complete, and once done their address has room.
    assert complete(flood[0], started[0]).status_int == 303
    assert start_sign_in(late).startswith("http")


def test_the_addresses_that_count_together() -> None:
    assert client_network("198.51.100.7") == "198.51.100.7"
    assert client_network("::ffff:198.51.100.7") == "198.51.100.7"
    assert client_network("[2001:db8:1:2::5]") == client_network("2001:db8:1:2:ffff::1")
    assert client_network("2001:db8:1:2::5") == "2001:db8:1:2::/64"
    assert client_network("2001:db8:1:3::5") != client_network("2001:db8:1:2::5")
    assert client_network(None) == client_network("not an address") == "unknown"
