"""Headless Chromium (Debian's chromium and chromedriver) and axe-core for the browser suites.

Outside CI a machine without the browser or axe skips these suites with a message that
says how to get them; under CI (``CI`` set) a missing piece fails them instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import chromium

E2E_DIR = Path(__file__).resolve().parent
AXE = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_HOW = "run `npm ci --prefix tests/e2e` to install axe-core"
#: Where the page checks leave a screenshot of every page at every width (gitignored).
SCREENSHOTS = Path(
    os.environ.get("RCPYRAMID_SCREENSHOTS", E2E_DIR.parent.parent / "var" / "screenshots")
)


def require_axe() -> str:
    if AXE.is_file():
        return AXE.read_text(encoding="utf-8")
    assert not os.environ.get("CI"), f"CI must have axe-core: {AXE_HOW}"
    pytest.skip(f"no axe-core here: {AXE_HOW}")


@pytest.fixture
def browser() -> Iterator:
    with chromium("--hide-scrollbars") as driver:
        yield driver


@pytest.fixture(scope="session")
def axe_source() -> str:
    return require_axe()


@pytest.fixture
def served_app_settings() -> dict[str, str]:
    """The pages as a person meets them: with development.ini's answer cache (in memory)."""
    return {"rcpyramid.cache.backend": "dogpile.cache.memory"}
