"""The journey in a real browser: headless Chromium, the app and the simulator on loopback.

A real browser enforces what WebTest cannot: the Content-Security-Policy (form-action
must allow the redirect to RingCentral), SameSite cookies on the way back from the
simulator, and the CSRF token in the forms.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.wait import WebDriverWait

from tests.journeys import SimulatorHandle

pytestmark = pytest.mark.browser


def click(driver: WebDriver, text: str) -> None:
    """Click a button or link by its text and wait for the next page to load."""
    old = driver.find_element(By.TAG_NAME, "html")
    xpath = f"//button[normalize-space()='{text}'] | //a[normalize-space()='{text}']"
    driver.find_element(By.XPATH, xpath).click()
    WebDriverWait(driver, 20).until(staleness_of(old))


def test_whole_journey_in_chromium(
    browser: WebDriver, served_app: str, simulator: SimulatorHandle
) -> None:
    browser.get(served_app + "/")
    click(browser, "Sign in with RingCentral")
    assert browser.current_url.startswith(simulator.url + "/restapi/oauth/authorize")
    assert "SIMULATED" in browser.page_source.upper()
    browser.find_element(By.NAME, "username").send_keys("alice")
    browser.find_element(By.NAME, "password").send_keys("alice-demo")
    click(browser, "Authorize")
    assert browser.current_url == served_app + "/"
    assert "Signed in as Alice Smith" in browser.find_element(By.TAG_NAME, "h1").text

    for link, table, column in (
        ("Directory", "table.records", "Email"),
        ("Your call log", "table.calls", "Duration"),
        ("Company call log", "table.calls", "Result"),
    ):
        browser.get(served_app + "/")
        click(browser, link)
        headers = [
            th.get_attribute("textContent").strip()
            for th in browser.find_elements(By.CSS_SELECTOR, f"{table} thead th")
        ]
        assert column in headers

    browser.get(served_app + "/directory?perPage=10")
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.records tbody tr")) == 10
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
    WebDriverWait(browser, 20).until(staleness_of(old))
    assert "page=2" in browser.current_url

    browser.get(served_app + "/logout")
    click(browser, "Log out")
    assert "You are signed out." in browser.page_source
    assert simulator.counters()["revokes"] == 1
    # The session cookie never carries a token.
    for cookie in browser.get_cookies():
        assert cookie["httpOnly"]
        assert cookie.get("sameSite") == "Lax"
