"""Every way a person is signed out makes their cached answers unreachable everywhere.

Two apps built from the same settings stand for two processes: each has its own
registry, memory and dogpile regions; what they share is Redis (and the simulator).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import webtest

from rcpyramid.simulator import DEMO_CLIENT
from tests.clocks import MovableClock
from tests.databases import SQL_BACKEND, sqlite_url
from tests.journeys import SimulatorHandle, api_calls, sign_in
from tests.stores import stored_logins

# A page from a cached RingCentral answer (the call logs read the local history).
CACHED_PAGE = "/test?api=extension"


def sign_out_by_logout(browser: webtest.TestApp, simulator: SimulatorHandle) -> None:
    home = browser.get("/")
    form = next(form for form in home.forms.values() if form.action == "/logout")
    form.submit()


def sign_out_by_timeout(browser: webtest.TestApp, simulator: SimulatorHandle) -> None:
    browser.app.registry.clock.advance(browser.app.registry.app_settings.session.idle_timeout + 1)
    assert browser.get(CACHED_PAGE).status_int == 302  # timed out: sent home


def sign_out_by_dead_tokens(browser: webtest.TestApp, simulator: SimulatorHandle) -> None:
    # RingCentral ends the session on its side (an admin, a password change): revoke it.
    ((_, token),) = stored_logins(browser).items()
    requests.post(
        f"{simulator.url}/restapi/oauth/revoke",
        data={"token": token.access_token},
        auth=(DEMO_CLIENT.client_id, DEMO_CLIENT.client_secret),
        timeout=10,
    ).raise_for_status()
    page = browser.get("/test?api=extension&page=3", status=401)  # not cached yet
    assert "session ended" in page.text


@pytest.mark.parametrize(
    "sign_out", [sign_out_by_logout, sign_out_by_timeout, sign_out_by_dead_tokens]
)
@pytest.mark.parametrize("answers", ["dogpile.cache.redis", "dogpile.cache.memory"])
def test_signing_out_makes_the_persons_entries_unreachable_in_every_process(
    make_app: Callable[..., webtest.TestApp],
    redis_url: str,
    simulator: SimulatorHandle,
    sign_out: Callable[[webtest.TestApp, SimulatorHandle], None],
    answers: str,
) -> None:
    shared = {"rcpyramid.cache.backend": answers, "rcpyramid.cache.url": redis_url}
    # Each "process" has a clock of its own, so one session can time out alone.
    first = make_app(**shared, **{"rcpyramid.clock": MovableClock()})
    second = make_app(**shared, **{"rcpyramid.clock": MovableClock()})
    sign_in(first, "alice")
    sign_in(second, "alice")
    before = api_calls(simulator)
    first.get(CACHED_PAGE)
    if answers == "dogpile.cache.memory":
        second.get(CACHED_PAGE)  # memory answers are per process: the second keeps its own
    second.get(CACHED_PAGE)
    expected = before + (2 if answers == "dogpile.cache.memory" else 1)
    assert api_calls(simulator) == expected

    sign_out(first, simulator)
    calls = api_calls(simulator)
    second.get(CACHED_PAGE)
    assert api_calls(simulator) == calls + 1, "the second process served an entry from before"


def test_a_cookie_kept_after_logout_in_one_process_gets_no_cached_page_from_another(
    make_app: Callable[..., webtest.TestApp],
    redis_settings: dict[str, str],
    simulator: SimulatorHandle,
    tmp_path: Path,
) -> None:
    """A tab (or a copied cookie) the logout did not reach, its next view on another process."""
    shared = {**redis_settings, **SQL_BACKEND, "sqlalchemy.url": sqlite_url(tmp_path)}
    first, second = make_app(**shared), make_app(**shared)
    sign_in(first, "alice")
    kept = "; ".join(f"{c.name}={c.value}" for c in first.cookiejar)
    # The second process knows this login and holds its answer: the fast path is primed.
    for _ in range(2):
        assert "Data as of" in second.get(CACHED_PAGE, headers={"Cookie": kept}).text
    sign_out_by_logout(first, simulator)
    page = second.get(CACHED_PAGE, headers={"Cookie": kept}, expect_errors=True)
    assert "Data as of" not in page.text
    assert page.status_int in (302, 401), page.status
