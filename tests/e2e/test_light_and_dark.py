"""The pages of issue 22's orientation, directory and failure work, in real Chromium: at a
phone's and a laptop's width, light and dark, each without sideways scroll and without a
serious or critical axe-core finding; a screenshot of each for a person to look at
(``var/screenshots/<scheme>-<width>/<page>.png``)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser import SCREENSHOTS
from tests.e2e.test_pages import (
    WIDTHS,
    click,
    fit_and_axe_problems,
    set_width,
    wait_loaded,
)
from tests.journeys import SimulatorHandle

pytestmark = pytest.mark.browser

SCHEMES = ("light", "dark")
#: The page's own background in each scheme (app.css), as Chromium computes it.
GROUNDS = {"light": "rgb(246, 248, 250)", "dark": "rgb(16, 21, 27)"}


def set_scheme(driver: WebDriver, scheme: str) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )


def check(
    driver: WebDriver,
    axe_source: str,
    name: str,
    load: Callable[[], None],
    problems: list[str],
    *,
    app_page: bool = True,
) -> None:
    for scheme in SCHEMES:
        set_scheme(driver, scheme)
        for label, (width, height, mobile) in WIDTHS.items():
            set_width(driver, width, height, mobile)
            load()
            wait_loaded(driver)
            where = f"{name} {scheme} {width}px"
            problems += fit_and_axe_problems(driver, axe_source, where)
            if app_page:
                ground = driver.execute_script(
                    "return getComputedStyle(document.body).backgroundColor"
                )
                if ground != GROUNDS[scheme]:
                    problems.append(f"{where}: background {ground}, not {GROUNDS[scheme]}")
            folder = SCREENSHOTS / f"{scheme}-{label}"
            folder.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(folder / f"{name}.png"))
    set_scheme(driver, "light")


def test_pages_in_light_and_dark_at_both_widths(
    browser: WebDriver, axe_source: str, served_app: str, simulator: SimulatorHandle
) -> None:
    problems: list[str] = []

    def visit(path: str, base: str = served_app) -> Callable[[], None]:
        return lambda: browser.get(base + path)

    check(browser, axe_source, "home-signed-out", visit("/"), problems)
    check(
        browser,
        axe_source,
        "simulator-404",
        visit("/no/such", simulator.url),
        problems,
        app_page=False,
    )
    browser.get(served_app + "/")
    click(browser, "Sign in with RingCentral")
    authorize_url = browser.current_url
    check(
        browser,
        axe_source,
        "simulator-sign-in",
        lambda: browser.get(authorize_url),
        problems,
        app_page=False,
    )
    click(browser, "Deny")
    check(browser, axe_source, "sign-in-declined", lambda: None, problems)
    assert browser.find_element(By.TAG_NAME, "h1").text == "You did not sign in"
    click(browser, "Try signing in again")
    # The simulator's one-click demo user.
    browser.find_element(By.XPATH, "//button[contains(., 'Alice Smith')]").click()
    # The heading read while the page is replaced is a stale element: read it again.
    WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: "Signed in as" in d.find_element(By.TAG_NAME, "h1").text
    )

    for name, path in (
        ("dashboard", "/"),
        ("directory", "/directory"),
        ("directory-search", "/directory?q=smith"),
        ("calls", "/calls"),
        ("company-calls", "/company/calls?perPage=50"),
        ("date-mistake", "/calls?from=2026-11-22&to=2026-11-20"),
        ("time-zone", "/time-zone"),
    ):
        check(browser, axe_source, name, visit(path), problems)

    # The last data under a banner when RingCentral fails.
    browser.get(served_app + "/directory?page=2")
    # Enough for the page's call and its retries, whatever the history's worker meets meanwhile.
    simulator.control("fail-next", status=502, path="/restapi/v1.0/account/~/extension", count=20)
    check(browser, axe_source, "stale-banner", visit("/directory?page=2&refresh=1"), problems)
    assert "did not answer just now" in browser.find_element(By.CSS_SELECTOR, ".stale").text
    assert not problems, json.dumps(problems, indent=2)


def test_skip_link_and_header_in_a_real_browser(
    browser: WebDriver, served_app: str, simulator: SimulatorHandle
) -> None:
    set_width(browser, *WIDTHS["phone"])
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Europe/Oslo"})
    browser.get(served_app + "/")
    click(browser, "Sign in with RingCentral")
    browser.find_element(By.XPATH, "//button[contains(., 'Alice Smith')]").click()
    WebDriverWait(browser, 20).until(lambda d: d.current_url.rstrip("/") == served_app)
    browser.get(served_app + "/calls")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.text == "Skip to the page's content" and skip.is_displayed()
    skip.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "content"
    header = browser.find_element(By.CSS_SELECTOR, "header.site").text
    assert "Alice Smith" in header and "Administrator" in header
    # The browser's own zone is offered beside RingCentral's.
    options = [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#zone-choice option")]
    assert options[0].startswith("RingCentral's: ") and options[1] == "Your browser's: Europe/Oslo"
    # On paper: the records, without tabs, forms, pagers or the skip link.
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        for selector in ("nav.tabs", "form.range-form", "form.zone", "nav.pager", ".skip-link"):
            for element in browser.find_elements(By.CSS_SELECTOR, selector):
                assert not element.is_displayed(), selector
        assert browser.find_element(By.CSS_SELECTOR, "table.calls").is_displayed()
        assert "Alice Smith" in browser.find_element(By.CSS_SELECTOR, "header.site").text
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_try_again_waits_for_the_countdown(
    browser: WebDriver, served_app: str, simulator: SimulatorHandle
) -> None:
    set_width(browser, *WIDTHS["laptop"])
    browser.get(served_app + "/")
    click(browser, "Sign in with RingCentral")
    browser.find_element(By.XPATH, "//button[contains(., 'Alice Smith')]").click()
    WebDriverWait(browser, 20).until(lambda d: d.current_url.rstrip("/") == served_app)
    simulator.control(
        "fail-next", status=429, path="/restapi/v1.0/account/~/extension", retry_after=3
    )
    browser.get(served_app + "/directory?page=4")
    again = browser.find_element(By.ID, "try-again")
    assert again.get_attribute("aria-disabled") == "true"
    assert again.get_attribute("href") is None
    assert "RingCentral asks us to slow down" in browser.find_element(By.TAG_NAME, "h1").text
    WebDriverWait(browser, 15).until(lambda d: again.get_attribute("href"))
    assert again.get_attribute("aria-disabled") is None
    assert browser.switch_to.active_element == again
    assert "The wait is over" in browser.find_element(By.ID, "retry").text
