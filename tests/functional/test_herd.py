"""One person's herd on an expired token, in each configuration people run.

One refresh request at RingCentral per expiry, every page served, and the pair the
store keeps is the newest (the next expiry refreshes with it).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from tests.configurations import CONFIGURATIONS, Served, served
from tests.processes import Process

#: Pages that are each a miss of the answer cache (a hit would hide the refresh).
PAGE = "/test?api=extension-call-log&to=2026-06-30&from={}"


def page(number: int) -> str:
    """The ``number``-th page of a herd: each its own query, so each its own cache entry."""
    return PAGE.format(date(2026, 1, 1) + timedelta(days=number))


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
