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


def test_home_title_is_only_the_page_name(rc):
    title = re.search(r"<title>(.*?)</title>", _page(rc, "/"), re.S)
    assert title is not None and title.group(1) == "Home · SIMULATED RingCentral"


def test_an_unknown_page_is_the_simulators_own_not_found_page(rc):
    answer = rc.get("/no/such/page")
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "<title>Not found · SIMULATED RingCentral</title>" in answer.text
    assert 'href="/"' in answer.text and "<code>/no/such/page</code>" in answer.text
    assert "SIMULATED RingCentral" in answer.text
    # The API and the test controls keep answering JSON.
    assert rc.get("/restapi/v1.0/nope").headers["Content-Type"].startswith("application/json")
    assert rc.get("/simulator/nope").json() == {"error": "not found"}


def test_each_demo_user_signs_in_with_one_click(rc):
    page = rc.authorize(state="one-click").text
    forms = re.findall(r"<form .*?</form>", page, re.S)
    one_click = [form for form in forms if 'class="demo-user"' in form]
    assert len(one_click) == 3
    bob = next(form for form in one_click if 'value="bob"' in form)
    fields = rc.hidden_fields(bob)
    answer = rc.post(
        "/simulator/sign-in", data={**fields, "action": "authorize"}, allow_redirects=False
    )
    assert answer.status_code == 302
    assert "code=" in answer.headers["Location"] and "state=one-click" in answer.headers["Location"]
    assert ">Bob Johnson<" in bob


def test_client_ids_and_addresses_do_not_break_inside_a_word_on_a_laptop(rc, phone):
    for width in (1280, 390):
        phone.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
        )
        phone.get(rc.url + "/")
        overflow = phone.execute_script(
            "return document.documentElement.scrollWidth > window.innerWidth"
        )
        assert not overflow, width
        if width == 1280:
            # Each redirect URI on one line: its box is one line high.
            heights = phone.execute_script(
                "return [...document.querySelectorAll('table.clients code.uri')]"
                ".map(e => e.getClientRects().length)"
            )
            assert heights and all(lines == 1 for lines in heights), heights


@pytest.mark.browser
def test_demo_users_and_activity_are_whole_on_a_phone(phone, rc):
    """At 390 px no table hides a column behind its box's edge: records become cards."""
    for url in (rc.url + "/", rc.authorize(state="s").url):
        phone.get(url)
        cut = phone.execute_script(
            """
            const out = [];
            for (const box of document.querySelectorAll('.table-scroll')) {
              const edge = box.getBoundingClientRect().right;
              if (box.scrollWidth > box.clientWidth) out.push(box.getAttribute('aria-label'));
              for (const cell of box.querySelectorAll('td')) {
                if (cell.getBoundingClientRect().right > edge + 0.5) out.push(cell.textContent);
              }
            }
            return out;
            """
        )
        assert cut == [], (url, cut)
        users = phone.execute_script(
            "return [...document.querySelectorAll('table.users td')]"
            ".filter(td => td.offsetParent).map(td => td.textContent.trim())"
        )
        assert "alice-demo" in users and "Europe/London" in users, users
        # Fingers, not pointers: every control is at least 44 px high.
        small = phone.execute_script(
            "return [...document.querySelectorAll('button, select, input:not([type=hidden])')]"
            ".filter(e => e.getBoundingClientRect().height < 44)"
            ".map(e => e.outerHTML.slice(0, 80))"
        )
        assert small == [], small
