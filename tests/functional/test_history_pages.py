"""The call logs, their JSON and CSV, and the dashboard, read from the local call history.

The app signs in against the simulator and its live history engine fills the store (the
worker driven with ``run_due_once``); every count a test checks is computed here from
the simulator's own records. Page views make no call-record request to RingCentral.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import webtest

from tests.conftest import sign_in

OWN = "/test?api=extension-call-log"
COMPANY = "/test?api=account-call-log"


@pytest.fixture
def history_app(make_testapp: Callable[..., webtest.TestApp]) -> Iterator[webtest.TestApp]:
    web = make_testapp(**{"rcpyramid.history.worker": "false", "rcpyramid.history.days": "30"})
    yield web
    web.app.registry.live_history.worker.stop()


def filled(web: webtest.TestApp, user: str = "alice") -> webtest.TestApp:
    """Signed in, with the history synced by the live engine (own, and company for alice)."""
    sign_in(web, user)
    live = web.app.registry.live_history
    for _ in range(5):
        if not live.worker.run_due_once():
            break
    return web


def test_the_call_logs_read_the_history(history_app: webtest.TestApp) -> None:
    web = filled(history_app)
    own = web.get(OWN)
    assert own.html.select("table.calls tr.call")
    company = web.get(COMPANY)
    assert company.html.select("table.calls td.colleague")
