"""docs/configuration.md is the settings table written out: each meaning lives in one place."""

from __future__ import annotations

from pathlib import Path

from rcpyramid.config import TABLE
from rcpyramid.config.reference import render

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
REGENERATE = "python -m rcpyramid.config.reference > docs/configuration.md"


def test_the_committed_reference_is_the_table_written_out() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render(), (
        f"docs/configuration.md differs from the settings table: run `{REGENERATE}`"
    )


def test_every_setting_says_what_it_means() -> None:
    assert [setting.key for setting in TABLE if not setting.help.strip()] == []


def test_every_setting_and_its_variable_appear_in_the_reference() -> None:
    text = render()
    for setting in TABLE:
        assert f"`{setting.key}`" in text
        if setting.env:
            assert f"`{setting.env}`" in text
