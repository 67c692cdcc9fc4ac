"""Drive the simulator's sign-in page over real HTTP, as a person's browser would."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rcpyramid.simulator.testing import sign_in_at
from tests.services import missing

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
#: axe-core, which tests/e2e injects into every page it checks.
E2E_DIR = Path(__file__).resolve().parent / "e2e"
AXE = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_HOW = "run `npm ci --prefix tests/e2e` to install axe-core"
#: Where the page checks leave a screenshot of every page at every width (gitignored).
SCREENSHOTS = Path(
    os.environ.get("RCPYRAMID_SCREENSHOTS", E2E_DIR.parent.parent / "var" / "screenshots")
)
HOW = "install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"


def require_browser() -> None:
    """Skip (saying how to get it) without Chromium; under CI a missing browser fails."""
    if CHROMIUM and CHROMEDRIVER:
        return
    missing("no Chromium here", f"{HOW} to run the browser tests")


@contextmanager
def chromium(*extra_flags: str) -> Iterator[Any]:
    """Headless Chromium with a fresh profile, quit and removed afterwards.

    The background-networking flags keep it from calling out of this closed network.
    """
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="rcpyramid-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *extra_flags,
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def authorize_at_simulator(
    authorize_url: str,
    username: str = "alice",
    password: str | None = None,
    action: str = "authorize",
) -> str:
    """Open the sign-in page, submit it, and return where the simulator sends the browser."""
    return sign_in_at(
        authorize_url, username, password or f"{username}-demo", deny=action == "deny"
    )


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
