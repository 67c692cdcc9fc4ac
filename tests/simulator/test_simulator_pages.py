"""The simulator's own pages, for the people who use them: in HTTP and in Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser import chromium

PHONE = (390, 844)


def _page(rc, path: str) -> str:
    answer = rc.get(path)
    assert answer.status_code == 200
    return answer.text


def test_pages_carry_no_inline_script_or_style(rc):
    for page in (_page(rc, "/"), rc.authorize(state="s").text):
        assert "<script" not in page and "<style" not in page
        assert not re.search(r"\sstyle=", page)
        assert '<link rel="stylesheet" href="/simulator/static/simulator.css">' in page
    csp = rc.get("/").headers["Content-Security-Policy"]
    assert "style-src 'self'" in csp and "unsafe-inline" not in csp
    sheet = rc.get("/simulator/static/simulator.css")
    assert sheet.status_code == 200 and sheet.headers["Content-Type"].startswith("text/css")
    assert "button.primary" in sheet.text and "button.secondary" in sheet.text


def test_home_lists_the_test_controls_and_refreshes_counters_with_a_plain_form(rc):
    home = _page(rc, "/")
    for control in (
        "GET /simulator/counters",
        "POST /simulator/expire-access-tokens",
        "POST /simulator/fail-next",
        "POST /simulator/latency",
        "POST /simulator/advance-clock",
        "POST /simulator/reset",
    ):
        assert control in home, control
    assert '<form method="get" action="/"><button type="submit">Refresh counters</button>' in home
    rc.login()
    assert "<th>Authorization-code grants</th><td>1</td>" in _page(rc, "/")


def test_home_says_when_test_controls_are_off(make_rc):
    home = _page(make_rc(test_controls=False), "/")
    assert "POST /simulator/fail-next" not in home
    assert "--no-test-controls" in home


@pytest.fixture
def phone() -> Iterator:
    with chromium() as driver:
        width, height = PHONE
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True},
        )
        yield driver


@pytest.mark.browser
def test_pages_fit_a_390_px_phone(phone, rc):
    from selenium.webdriver.common.by import By

    for url in (rc.url + "/", rc.authorize(state="s").url):
        phone.get(url)
        inner = phone.execute_script("return window.innerWidth")
        scroll = phone.execute_script("return document.documentElement.scrollWidth")
        # A phone widens its layout viewport to content that does not fit, so both count.
        assert max(inner, scroll) == PHONE[0], f"{url} is {max(inner, scroll)} px wide"
        # The stylesheet got past the CSP: the page is styled, not the browser's default.
        banner = phone.find_element(By.CLASS_NAME, "banner")
        assert banner.value_of_css_property("background-color") == "rgba(176, 0, 32, 1)"
    authorize = phone.find_element(By.CSS_SELECTOR, "button[value=authorize]")
    deny = phone.find_element(By.CSS_SELECTOR, "button[value=deny]")
    assert authorize.value_of_css_property("background-color") != deny.value_of_css_property(
        "background-color"
    )
