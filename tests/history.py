"""Helpers for tests of pages that read the local call history: the engine driven by hand."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import webtest

from tests.conftest import sign_in

#: The live history's worker off (tests run it with ``fill_history``); 30 days kept, so
#: the full sync and one backfill page cover what the tests look at.
HISTORY_SETTINGS = {
    "rcpyramid.history.worker": "false",
    "rcpyramid.history.days": "30",
}


def app_with_history(make_testapp: Callable[..., webtest.TestApp]) -> Iterator[webtest.TestApp]:
    """For a fixture (``yield from``): the app on ``HISTORY_SETTINGS``, its worker stopped after."""
    web = make_testapp(**HISTORY_SETTINGS)
    yield web
    web.app.registry.live_history.worker.stop()


def fill_history(web: webtest.TestApp) -> None:
    """Run the live engine until nothing is due: the full syncs, then backfill pages."""
    live = web.app.registry.live_history
    for _ in range(5):
        if not live.worker.run_due_once():
            break


def signed_in_with_history(web: webtest.TestApp, user: str = "alice") -> webtest.TestApp:
    """Signed in, the person's (and an administrator's company) history synced."""
    sign_in(web, user)
    fill_history(web)
    return web
