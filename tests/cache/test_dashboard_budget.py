"""The dashboard, the call logs and their exports read the local history: no Heavy budget."""

from __future__ import annotations

from collections.abc import Callable

import webtest

from tests.journeys import SimulatorHandle, api_calls, signed_in_app

CALL_LOG = "/test?api=extension-call-log"


def test_a_month_of_dashboards_and_exports_spends_nothing_of_ringcentrals_limits(
    make_app: Callable[..., webtest.TestApp], limited_simulator: SimulatorHandle
) -> None:
    testapp = signed_in_app(make_app, **{"ringcentral.server_url": limited_simulator.url})
    testapp.get("/?range=30d")  # the person's details, into the answer cache
    before = api_calls(limited_simulator)
    # Far more than RingCentral's ten Heavy requests a minute, were they call-log reads.
    for _ in range(12):
        assert testapp.get("/?range=30d").status_int == 200
        assert testapp.get(f"{CALL_LOG}&from=2026-11-05&to=2026-12-04&format=csv").status_int == 200
        page = testapp.get(f"{CALL_LOG}&page=2")
    assert api_calls(limited_simulator) == before
    assert limited_simulator.counters()["rate_limited"] == 0
    # No "up to N records right now": an export is never cut by the budget.
    assert "right now" not in page.html.select_one(".export").text
