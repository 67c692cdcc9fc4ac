"""Waiting and failing: a waiting page for a slow fetch, the last data kept when RingCentral
fails, the app's own pacing in its own words, Try again held until the wait is over."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import webtest

from rcpyramid.ringcentral import timing
from rcpyramid.ringcentral.recent import SIGNED_IN_RECHECK
from rcpyramid.tokens.interfaces import TokenStoreError
from rcpyramid.tokens.memory import MemoryTokenRepository
from tests.clocks import MovableClock
from tests.journeys import SimulatorHandle, sign_in

EXTENSION_PATH = "/restapi/v1.0/account/~/extension"
MEMORY = {"rcpyramid.cache.backend": "dogpile.cache.memory"}
#: The simulator's fail-next matches by path prefix: the history worker's syncs (under
#: /account/~/extension/~/) would take failures meant for the directory.
NO_WORKER = {**MEMORY, "rcpyramid.history.worker": "false"}


def test_when_ringcentral_fails_the_last_data_stays_under_a_banner(
    make_testapp: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    testapp = make_testapp(**NO_WORKER)
    sign_in(testapp)
    first = testapp.get("/directory")
    names = [th.text for th in first.html.select("table.directory tbody th")]
    simulator.control("fail-next", status=502, count=3, path=EXTENSION_PATH)  # and 2 retries
    kept = testapp.get("/directory?refresh=1")
    assert kept.status_int == 200
    banner = kept.html.select_one(".notice.stale")
    assert banner is not None and "did not answer just now" in banner.text
    assert "last data we had" in banner.text
    assert [th.text for th in kept.html.select("table.directory tbody th")] == names
    # Once RingCentral answers again, the banner goes.
    fresh = testapp.get("/directory?refresh=1")
    assert fresh.html.select_one(".notice.stale") is None


def test_without_kept_data_a_failure_is_still_its_error_page(
    make_testapp: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    testapp = make_testapp(**NO_WORKER)
    sign_in(testapp)
    simulator.control("fail-next", status=502, count=3, path=EXTENSION_PATH)  # and 2 retries
    assert testapp.get("/directory?page=3", status=502).html.select_one("h1").text


def test_a_page_that_was_slow_last_time_shows_what_it_is_waiting_for(
    make_testapp: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    testapp = make_testapp(**MEMORY)
    sign_in(testapp)
    simulator.control("latency", seconds=1.2)
    try:
        slow = testapp.get("/directory?page=2")
    finally:
        simulator.control("latency", seconds=0)
    assert slow.html.select("table.directory")
    # The next page not seen before: a waiting page that names what it fetches, no script.
    waiting = testapp.get("/directory?page=3")
    assert waiting.status_int == 200
    assert (
        "Fetching your company's directory from RingCentral"
        in waiting.html.select_one(".waiting").text
    )
    refresh = waiting.html.find("meta", attrs={"http-equiv": "refresh"})
    assert refresh["content"] == "0; url=/directory?page=3&wait=1"
    assert "<script" not in waiting.text
    assert waiting.headers["Cache-Control"] == "no-store"
    landed = testapp.get("/directory?page=3&wait=1")
    assert landed.html.select("table.directory")
    canonical = landed.html.find("link", rel="canonical")["href"]
    assert "wait=" not in canonical
    # A page kept fresh in the cache needs no waiting page.
    assert testapp.get("/directory?page=3").html.select("table.directory")


def test_a_token_store_that_fails_slowly_does_not_bring_the_waiting_page(
    make_testapp: Callable[..., webtest.TestApp],
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stalled database is not RingCentral being slow: its page is the 503, every time.

    The waiting page says "RingCentral took about N seconds"; the time a failing token
    store took would make the next view a waiting page (a 200) instead of the 503.
    """
    testapp = make_testapp()  # no answer cache: nothing to check before the waiting page
    sign_in(testapp)
    assert testapp.get("/directory").html.select("table.directory")
    # Any time noted is "slow", as though RingCentral had taken 5 s.
    monkeypatch.setattr(timing, "spent", lambda: 5.0)

    def stalled(self: object, login_id: str) -> None:
        raise TokenStoreError("the token store did not answer in time while reading a login")

    monkeypatch.setattr(MemoryTokenRepository, "get", stalled)
    clock.advance(SIGNED_IN_RECHECK.total_seconds())  # past the tokens read a moment ago
    for page in (2, 3):
        failed = testapp.get(f"/directory?page={page}", status=503)
        assert "cannot reach its database" in failed.text
