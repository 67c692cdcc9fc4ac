"""One person's herd on an expired token, in each configuration people run.

One refresh request at RingCentral per expiry, every page served, and the pair the
store keeps is the newest (the next expiry refreshes with it).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.configurations import CONFIGURATIONS, Served, served
from tests.processes import Process

#: Pages that are each a miss of the answer cache (a hit would hide the refresh).
#: (The call logs read the local history, so the directory's pages are what RingCentral serves.)
PAGE = "/test?api=extension&perPage={}"


def page(number: int) -> str:
    """The ``number``-th page of a herd: each its own query, so each its own cache entry."""
    return PAGE.format(10 + number)


@pytest.fixture(params=CONFIGURATIONS)
def configuration(
    request: pytest.FixtureRequest, processes: list[Process], tmp_path: Path
) -> Iterator[Served]:
    yield from served(request.param, processes, tmp_path)


def herd(configuration: Served, browser: requests.Session, size: int) -> list[int]:
    """``size`` requests of one person at once (tabs, a dashboard, a reload storm)."""
    cookies = browser.cookies.get_dict()

    def fetch(day: int) -> int:
        return requests.get(
            configuration.url + page(day), cookies=cookies, timeout=60, allow_redirects=False
        ).status_code

    with ThreadPoolExecutor(max_workers=size) as pool:
        return list(pool.map(fetch, range(size)))


@pytest.mark.subprocess
@pytest.mark.parametrize("size", [16, 32])
def test_a_herd_on_an_expired_token_refreshes_once_and_every_page_shows(
    configuration: Served, size: int
) -> None:
    browser = configuration.signed_in()
    simulator = configuration.simulator
    simulator.expire_access_tokens()
    statuses = herd(configuration, browser, size)
    assert statuses == [200] * size, configuration.app.output[-4000:]
    assert simulator.counters()["grants"]["refresh_token"] == 1
    # The stored pair is the newest: the next expiry refreshes with it.
    simulator.expire_access_tokens()
    assert browser.get(configuration.url + page(size), timeout=60).status_code == 200
    assert simulator.counters()["grants"]["refresh_token"] == 2


@pytest.mark.subprocess
def test_a_failing_refresh_under_a_herd_is_asked_once_and_no_page_is_a_500(
    configuration: Served,
) -> None:
    browser = configuration.signed_in()
    simulator = configuration.simulator
    simulator.expire_access_tokens()
    simulator.fail_next(503, path="/restapi/oauth/token")
    statuses = herd(configuration, browser, 16)
    assert set(statuses) <= {429, 502, 503}, configuration.app.output[-4000:]
    # One token request for the whole herd: a second would have succeeded (one failure
    # was queued), so none did; the failure is the others' answer too.
    assert simulator.counters()["grants"]["refresh_token"] == 0
    # Still signed in: once the failure's moment has passed, the next request refreshes
    # (a page of another rate group: the herd spent the call log's share of the minute).
    deadline = time.monotonic() + 30
    while (
        answer := browser.get(configuration.url + "/test?api=extension", timeout=60)
    ).status_code != 200:
        assert time.monotonic() < deadline, (answer.status_code, configuration.app.output[-3000:])
        time.sleep(0.5)
