"""The dashboard stays inside the Heavy budget, and says when it summarised only part."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import webtest

from tests.journeys import SimulatorHandle, api_calls, sign_in

CALL_LOG = "/test?api=extension-call-log"


def test_a_month_with_the_budget_nearly_spent_is_summarised_in_part_and_says_so(
    make_app: Callable[..., webtest.TestApp], limited_simulator: SimulatorHandle
) -> None:
    testapp = make_app(**{"ringcentral.server_url": limited_simulator.url})
    sign_in(testapp)  # the dashboard's "today": one Heavy request
    for number in range(1, 9):  # eight more: one of RingCentral's ten a minute is left
        testapp.get(f"{CALL_LOG}&page={number}")
    before = api_calls(limited_simulator)
    page = testapp.get("/?range=30d")
    assert page.status_int == 200
    notice = " ".join(p.text for p in page.html.select(".notice"))
    assert "covers only the newest 1,000 records" in notice
    # The app paced itself; RingCentral never complained, and the words say so.
    assert "paused to stay within RingCentral's limits" in notice
    assert "slow down" not in notice
    assert page.html.select_one("#fig-in") is not None
    # One page was fetched (the extension info came from the cache); the app stopped
    # before RingCentral had to say no.
    assert api_calls(limited_simulator) - before == 1
    assert limited_simulator.counters()["rate_limited"] == 0


@pytest.mark.parametrize("shared", [False, True], ids=["process-budget", "redis-budget"])
def test_the_export_offer_says_how_far_it_can_go_now(
    make_app: Callable[..., webtest.TestApp],
    limited_simulator: SimulatorHandle,
    redis_settings: dict[str, str],
    shared: bool,
) -> None:
    extra = redis_settings if shared else {}
    testapp = make_app(**{"ringcentral.server_url": limited_simulator.url, **extra})
    sign_in(testapp)  # one Heavy request for the dashboard
    first = testapp.get(f"{CALL_LOG}&page=1")  # two of ten
    assert "up to 3,000 records right now" in first.html.select_one(".export").text
    for number in range(2, 9):
        page = testapp.get(f"{CALL_LOG}&page={number}")
    # Nine of RingCentral's ten a minute are spent: one page of 1000 can come now.
    assert "up to 1,000 records right now" in page.html.select_one(".export").text
    spent = testapp.get(f"{CALL_LOG}&page=9")
    assert spent.html.select_one(".export a[download]") is None
    assert "limit for call logs is spent" in spent.html.select_one(".export").text
