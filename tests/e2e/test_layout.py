"""Layout details a person notices, measured in real Chromium: rows that stay rows, tiles
that hold their figures, a chart that fits a phone."""

from __future__ import annotations

import itertools

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser import SCREENSHOTS
from tests.e2e.test_pages import WIDTHS, set_width, sign_in_in_browser
from tests.journeys import SimulatorHandle

pytestmark = pytest.mark.browser

CALLS = "/test?api=extension-call-log"

#: Every control of the call-log form: its box, and the box of the form's first field.
CONTROL_BOXES = """
return [...document.querySelectorAll(
  "form.filters details.more input:not([type=hidden]), form.filters details.more select, "
  + "form.filters details.more button")]
  .map((el) => { const r = el.getBoundingClientRect();
                 return {name: el.name || el.textContent.trim(), top: r.top, bottom: r.bottom}; });
"""


def load(browser: WebDriver, url: str, label: str, name: str) -> None:
    width, height, mobile = WIDTHS[label]
    set_width(browser, width, height, mobile)
    browser.get(url)
    folder = SCREENSHOTS / label
    folder.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(folder / f"{name}.png"))


@pytest.fixture
def alice_browser(browser: WebDriver, served_app: str, simulator: SimulatorHandle) -> WebDriver:
    sign_in_in_browser(browser, served_app, "alice")
    return browser


@pytest.mark.parametrize(
    "name, query",
    [
        ("date-mistake-order", "&from=2026-11-22&to=2026-11-20"),
        ("date-mistake-year", "&from=1900-01-01&to=2026-12-01"),
        ("date-mistake-both", "&from=yesterday&to=2026-13-01"),
    ],
)
def test_a_date_mistake_keeps_the_form_on_one_row(
    alice_browser: WebDriver, served_app: str, name: str, query: str
) -> None:
    load(alice_browser, served_app + CALLS + query, "laptop", name)
    boxes = alice_browser.execute_script(CONTROL_BOXES)
    assert {box["name"] for box in boxes} >= {"from", "to", "Show"}
    bottoms = [box["bottom"] for box in boxes]
    # One row: every control ends on the same line, the Show button included.
    assert max(bottoms) - min(bottoms) <= 3, boxes
    message = alice_browser.execute_script(
        "return document.querySelector('.field-error').getBoundingClientRect().top"
    )
    assert message >= max(bottoms)


def test_dashboard_figures_stay_inside_their_tiles_on_a_phone(
    alice_browser: WebDriver, served_app: str
) -> None:
    load(alice_browser, served_app + "/?range=30d", "phone", "dashboard-30-days-figures")
    spill = alice_browser.execute_script(
        """
        return [...document.querySelectorAll("ul.figures li")].map((tile) => {
          const figure = tile.querySelector(".figure");
          return {text: figure.textContent, figure: figure.getBoundingClientRect().right,
                  tile: tile.getBoundingClientRect().right, scroll: figure.scrollWidth,
                  width: figure.clientWidth};
        }).filter((t) => t.figure > t.tile + 0.5 || t.scroll > t.width);
        """
    )
    assert spill == []


def test_the_chart_fits_a_phone_with_readable_labels(
    alice_browser: WebDriver, served_app: str
) -> None:
    load(alice_browser, served_app + "/?range=30d", "phone", "dashboard-30-days")
    alice_browser.execute_script("document.querySelector('svg.chart').scrollIntoView()")
    alice_browser.save_screenshot(str(SCREENSHOTS / "phone" / "dashboard-30-days-chart.png"))
    found = alice_browser.execute_script(
        """
        const svg = document.querySelector("svg.chart");
        const box = svg.getBoundingClientRect();
        let scrolls = false;
        for (let el = svg.parentElement; el; el = el.parentElement) {
          if (el.scrollWidth > el.clientWidth + 1) { scrolls = true; }
        }
        const bars = [...svg.querySelectorAll("rect")].map((r) => r.getBoundingClientRect());
        const labels = [...svg.querySelectorAll("text.axis.x")]
          .filter((t) => getComputedStyle(t).display !== "none")
          .map((t) => t.getBoundingClientRect());
        return {right: box.right, view: window.innerWidth, scrolls: scrolls,
                lastBar: Math.max(...bars.map((b) => b.right)),
                labels: labels.map((l) => [l.left, l.right, l.height])};
        """
    )
    assert not found["scrolls"]
    assert found["right"] <= found["view"]
    # The newest day is on screen without scrolling.
    assert found["lastBar"] <= found["view"]
    labels = found["labels"]
    assert len(labels) >= 3
    assert all(height >= 10 for _, _, height in labels), labels  # readable, not shrunk to 6 px
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(labels)), labels
    assert all(left >= 0 and right <= found["view"] for left, right, _ in labels), labels
