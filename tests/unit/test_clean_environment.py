"""A developer's shell cannot change what the suite tests: every settings variable is cleared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rcpyramid.config import TABLE, environment_variables, load
from tests.environment import clear_settings_environment

GOOD = {
    "ringcentral.client_id": "an-app-id",
    "ringcentral.client_secret": "an-app-secret-1234",
    "rcpyramid.session.secret": "x1" * 24,
}

#: A shell that once gave the journey 9 failures and 9 errors, before the suite cleared it.
SHELL = {
    "RCPYRAMID_CANONICAL_HOST": "app.example.com",
    "RCPYRAMID_TIMEZONE": "Asia/Tokyo",
    "RCPYRAMID_HTTP_PORT": "5999",
    "RCPYRAMID_VAR_DIR": "/nonexistent/var",
}


def test_every_variable_the_settings_table_names_is_cleared() -> None:
    names = {setting.env for setting in TABLE if setting.env}
    assert set(environment_variables()) == names
    assert not names & set(os.environ)


def test_a_shell_with_settings_in_it_leaves_the_tests_settings_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in SHELL.items():
        monkeypatch.setenv(name, value)
    shell = load({**GOOD, "here": str(tmp_path)})
    assert shell.app.canonical_host == "app.example.com"  # the shell would have won

    clear_settings_environment(monkeypatch)
    settings = load({**GOOD, "here": str(tmp_path)})
    assert settings.app.canonical_host == "localhost:5000"
    assert settings.app.timezone.key == "UTC"
    assert settings.app.http_port == 5000
    assert settings.app.var_dir == tmp_path / "var"
