"""The idle timeout on the real clock: the app's check runs, revokes and deletes (issue 10, 4)."""

from __future__ import annotations

import time
from collections.abc import Callable

import webtest

from tests.journeys import SimulatorHandle, sign_in
from tests.stores import only_token, stored_logins

IDLE = 2.0  # seconds: short, on the real clock


def wait_until(moment: float) -> None:
    """Let the real clock pass ``moment`` (time.monotonic()): a timeout must elapse."""
    time.sleep(max(0.0, moment - time.monotonic()))


def test_an_idle_session_on_the_real_clock_is_revoked_deleted_and_told(
    make_testapp: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    testapp = make_testapp(**{"rcpyramid.session.idle_timeout": str(int(IDLE))})
    sign_in(testapp)
    # Active every half timeout for longer than the timeout: still signed in.
    start = time.monotonic()
    for step in range(1, 6):
        wait_until(start + step * IDLE / 2)
        assert "Signed in as" in testapp.get("/").text, step
    # Every resolution period the store heard the person was seen.
    seen = only_token(testapp).last_seen_at
    assert seen is not None
    # Then idle past the timeout.
    wait_until(time.monotonic() + IDLE + 0.5)
    page = testapp.get("/").text
    assert "timed out" in page and "Sign in with RingCentral" in page
    assert simulator.counters()["revokes"] == 1
    assert stored_logins(testapp) == {}
