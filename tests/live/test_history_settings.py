"""The live history's settings: where RingCentral delivers, and what production refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from rcpyramid.config import SettingsError, load
from tests.unit.test_config import GOOD, production


def test_development_with_the_builtin_simulator_delivers_to_the_apps_own_port(
    tmp_path: Path,
) -> None:
    settings = load({**GOOD, "here": str(tmp_path), "rcpyramid.http_port": "5077"}, {})
    assert settings.history.webhook_url == "http://localhost:5077/webhooks/ringcentral"
    assert settings.history.days == 90 and settings.history.record_delay == 30


def test_development_against_real_ringcentral_without_an_address_has_no_webhooks(
    tmp_path: Path,
) -> None:
    ini = {**GOOD, "here": str(tmp_path), "ringcentral.server_url": "https://example.com"}
    assert load(ini, {}).history.webhook_url == ""


def test_the_environment_variable_sets_the_address(tmp_path: Path) -> None:
    environ = {"RINGCENTRAL_WEBHOOK_URL": "https://hooks.example.com/webhooks/ringcentral"}
    settings = load({**production(), "here": str(tmp_path)}, environ)
    assert settings.history.webhook_url == "https://hooks.example.com/webhooks/ringcentral"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://app.example.com/webhooks/ringcentral", "plain http"),
        ("https://localhost/webhooks/ringcentral", "loopback"),
        ("https://127.0.0.1:8443/webhooks/ringcentral", "loopback"),
        ("ftp://app.example.com/hook", "not an http(s) URL"),
    ],
)
def test_production_refuses_an_address_ringcentral_cannot_reach(
    tmp_path: Path, url: str, words: str
) -> None:
    with pytest.raises(SettingsError, match=r"ringcentral\.webhook_url") as refused:
        load({**production(**{"ringcentral.webhook_url": url}), "here": str(tmp_path)}, {})
    assert words in str(refused.value)


def test_a_negative_record_delay_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"rcpyramid\.history\.record_delay"):
        load({**GOOD, "here": str(tmp_path), "rcpyramid.history.record_delay": "-1"}, {})
