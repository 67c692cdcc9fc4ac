"""Every page at a phone's width (390 px) and a laptop's (1280 px), in real Chromium.

For each page: the document never scrolls sideways, axe-core finds no serious or
critical violation, and a screenshot goes to ``var/screenshots/<width>/<page>.png``
for a person to look at.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser import SCREENSHOTS
from tests.journeys import SimulatorHandle

pytestmark = pytest.mark.browser

WIDTHS = {"phone": (390, 844, True), "laptop": (1280, 900, False)}
#: What axe-core reports that we treat as a failure.
BLOCKING = ("serious", "critical")


def set_width(driver: WebDriver, width: int, height: int, mobile: bool) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


def click(driver: WebDriver, text: str) -> None:
    old = driver.find_element(By.TAG_NAME, "html")
    xpath = f"//button[normalize-space()='{text}'] | //a[normalize-space()='{text}']"
    driver.find_element(By.XPATH, xpath).click()
    WebDriverWait(driver, 20).until(staleness_of(old))


def sign_in_in_browser(driver: WebDriver, app_url: str, username: str) -> None:
    driver.get(app_url + "/")
    click(driver, "Sign in with RingCentral")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(f"{username}-demo")
    click(driver, "Authorize")
    assert "Signed in as" in driver.find_element(By.TAG_NAME, "h1").text


def run_axe(driver: WebDriver, axe_source: str) -> list[dict]:
    driver.execute_script(axe_source)
    return driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ["violations"]}).then(
          (result) => done(result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}))),
          (error) => done([{id: "axe-error", impact: "critical", help: String(error), nodes: []}]));
        """
    )


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)


def wait_loaded(driver: WebDriver) -> None:
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def fit_and_axe_problems(driver: WebDriver, axe_source: str, where: str) -> list[str]:
    """The open page's sideways scroll and axe's serious or critical findings, as problems."""
    problems = []
    scroll_width, inner_width = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    if scroll_width > inner_width:
        problems.append(f"{where} scrolls sideways: {scroll_width} > {inner_width}")
    for violation in run_axe(driver, axe_source):
        if violation["impact"] in BLOCKING:
            problems.append(
                f"{where}: axe {violation['impact']} {violation['id']} "
                f"({violation['help']}) at {violation['nodes']}"
            )
    return problems


def check_page(
    driver: WebDriver, axe_source: str, name: str, load: Callable[[], None], findings: Findings
) -> None:
    """Load the page at each width; record overflow and axe problems; save screenshots."""
    for label, (width, height, mobile) in WIDTHS.items():
        set_width(driver, width, height, mobile)
        load()
        wait_loaded(driver)
        # A page that should show its content must not have become an error page (a 429
        # would otherwise pass every check below while the real page goes unchecked).
        errors = driver.find_elements(By.CSS_SELECTOR, "p.status")
        if errors and not name.startswith("error-"):
            findings.problems.append(f"{name} at {width}px is an error page: {errors[0].text}")
        findings.problems += fit_and_axe_problems(driver, axe_source, f"{name} at {width}px")
        folder = SCREENSHOTS / label
        folder.mkdir(parents=True, exist_ok=True)
        # The first screen as a person sees it, then the whole page.
        driver.save_screenshot(str(folder / f"{name}.png"))
        full_height = driver.execute_script("return document.documentElement.scrollHeight")
        set_width(driver, width, min(max(height, full_height), 6000), mobile)
        driver.save_screenshot(str(folder / f"{name}-full.png"))
        findings.checked.append(f"{name}@{width}")


@pytest.fixture
def findings() -> Findings:
    return Findings()


def test_every_page_fits_a_phone_and_passes_axe(
    browser: WebDriver,
    axe_source: str,
    served_app: str,
    simulator: SimulatorHandle,
    findings: Findings,
) -> None:
    def visit(path: str) -> Callable[[], None]:
        return lambda: browser.get(served_app + path)

    check_page(browser, axe_source, "sign-in", visit("/"), findings)
    check_page(
        browser, axe_source, "simulator-home", lambda: browser.get(simulator.url + "/"), findings
    )
    browser.get(served_app + "/")
    click(browser, "Sign in with RingCentral")
    authorize_url = browser.current_url
    check_page(
        browser, axe_source, "simulator-sign-in", lambda: browser.get(authorize_url), findings
    )
    browser.find_element(By.NAME, "username").send_keys("alice")
    browser.find_element(By.NAME, "password").send_keys("alice-demo")
    click(browser, "Authorize")

    for name, path in (
        ("dashboard", "/"),
        ("dashboard-30-days", "/?range=30d"),
        ("extensions", "/test?api=extension"),
        ("your-call-log", "/test?api=extension-call-log"),
        ("company-call-log", "/test?api=account-call-log&perPage=50"),
        ("json-view", "/test?api=extension&view=json"),
        ("date-mistake", "/test?api=extension-call-log&from=2026-11-22&to=2026-11-20"),
        ("past-the-end", "/test?api=extension&page=999"),
        ("time-zone", "/time-zone"),
        ("log-out", "/logout"),
    ):
        check_page(browser, axe_source, name, visit(path), findings)

    def failing(status: int, path: str, **extra: object) -> Callable[[], None]:
        queued = []

        def load() -> None:
            # A 429 is asked for once: the app then waits it out without calling RingCentral.
            if status != 429 or not queued:
                simulator.control("fail-next", status=status, path=path, **extra)
                queued.append(status)
            # A page not seen before: no cached answer stands in for RingCentral's.
            browser.get(served_app + "/test?api=extension&page=2")

        return load

    # RingCentral's 503 with Retry-After, then its 429 (which the app then waits out).
    check_page(
        browser,
        axe_source,
        "error-503",
        failing(503, "/restapi/v1.0/account/~/extension", retry_after=45),
        findings,
    )
    check_page(
        browser,
        axe_source,
        "error-429",
        failing(429, "/restapi/v1.0/account/~/extension", retry_after=90),
        findings,
    )
    countdown = browser.find_element(By.CSS_SELECTOR, "#retry .countdown")
    WebDriverWait(browser, 10).until(lambda d: "second" in countdown.text)

    browser.get(served_app + "/logout")
    click(browser, "Log out")
    sign_in_in_browser(browser, served_app, "bob")
    check_page(browser, axe_source, "bob-dashboard", visit("/"), findings)
    assert "Standard user" in browser.find_element(By.CSS_SELECTOR, "dl.who").text
    check_page(browser, axe_source, "error-403", visit("/test?api=account-call-log"), findings)
    assert not findings.problems, json.dumps(findings.problems, indent=2)
    assert len(findings.checked) == 2 * 17
