"""The signed-in person: read without side effects; a timed-out session ends once, where needed."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
import webtest

from rcpyramid.tokens.memory import MemoryTokenRepository
from tests.browser import authorize_at_simulator, local_path
from tests.clocks import MovableClock
from tests.journeys import SimulatorHandle, start_sign_in
from tests.stores import stored_logins

IDLE = 7200  # rcpyramid.session.idle_timeout's default


def revokes(simulator: SimulatorHandle) -> int:
    return simulator.counters()["revokes"]


def test_static_files_health_and_error_pages_leave_a_timed_out_session_alone(
    signed_in: webtest.TestApp, simulator: SimulatorHandle, clock: MovableClock
) -> None:
    clock.advance(IDLE + 1)
    assert signed_in.get("/static/app.css").status_int == 200
    assert signed_in.get("/healthz").json["status"] == "ok"
    signed_in.get("/no-such-page", status=404)
    signed_in.post("/login", {}, status=400)  # the CSRF refusal page
    assert revokes(simulator) == 0
    assert len(stored_logins(signed_in)) == 1
    # The first page that needs the person ends the session, once.
    assert "timed out" in signed_in.get("/").text
    assert revokes(simulator) == 1
    assert stored_logins(signed_in) == {}
    assert "timed out" not in signed_in.get("/").text
    assert revokes(simulator) == 1


def test_an_api_page_of_a_timed_out_session_signs_out_and_goes_home(
    signed_in: webtest.TestApp, simulator: SimulatorHandle, clock: MovableClock
) -> None:
    clock.advance(IDLE + 1)
    answer = signed_in.get("/test?api=extension", status=302)
    assert "timed out" in answer.follow().text
    assert revokes(simulator) == 1
    assert stored_logins(signed_in) == {}


def test_a_person_in_use_stays_signed_in_across_the_idle_timeout(
    signed_in: webtest.TestApp, clock: MovableClock
) -> None:
    for _ in range(4):
        clock.advance(IDLE // 2)
        assert "Signed in as" in signed_in.get("/").text


class BrokenTokenRepository(MemoryTokenRepository):
    """A backend with a bug: reading a login raises something no view expects."""

    def get(self, login_id: str) -> None:
        raise RuntimeError("a bug in a token backend: " + login_id)


def test_an_unexpected_error_is_the_apps_500_page_logged_without_a_traceback_shown(
    make_testapp: Callable[..., webtest.TestApp], caplog: pytest.LogCaptureFixture
) -> None:
    testapp = make_testapp(
        **{"rcpyramid.tokens.backend": f"{__name__}.{BrokenTokenRepository.__qualname__}"}
    )
    callback = authorize_at_simulator(start_sign_in(testapp))
    assert testapp.get(local_path(callback)).status_int == 303  # saving works; reading fails
    with caplog.at_level(logging.ERROR, logger="rcpyramid.views.errors"):
        page = testapp.get("/", status=500)
    assert "Something went wrong" in page.text
    assert "Traceback" not in page.text and "a bug in a token backend" not in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert page.headers["Cache-Control"] == "no-store"
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [RuntimeError]
