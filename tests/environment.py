"""A developer's shell must not change what the suite tests: the settings' variables go."""

from __future__ import annotations

import pytest

from rcpyramid.config import environment_variables


def clear_settings_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every variable the settings table reads (restored after the test)."""
    for name in environment_variables():
        monkeypatch.delenv(name, raising=False)
