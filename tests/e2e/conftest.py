"""Headless Chromium (Debian's chromium and chromedriver) and axe-core for the browser suites.

Outside CI a machine without the browser or axe skips these suites with a message that
says how to get them; under CI (``CI`` set) a missing piece fails them instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser import AXE, AXE_HOW, chromium
from tests.services import missing


def require_axe() -> str:
    if AXE.is_file():
        return AXE.read_text(encoding="utf-8")
    missing("no axe-core here", AXE_HOW)


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
