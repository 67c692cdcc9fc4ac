"""The settings table: environment over ini, and start-up refusals that name the setting."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from rcpyramid.config import SettingsError, load

GOOD = {
    "ringcentral.client_id": "an-app-id",
    "ringcentral.client_secret": "an-app-secret-1234",
    "rcpyramid.session.secret": "x1" * 24,
}


def production(**extra: str) -> dict[str, str]:
    return {
        "rcpyramid.environment": "production",
        "ringcentral.server_url": "https://platform.ringcentral.com",
        "ringcentral.redirect_url": "https://app.example.com/oauth2callback",
        **GOOD,
        **extra,
    }


def test_environment_overrides_the_ini_file(tmp_path: Path) -> None:
    environ = {
        "RINGCENTRAL_SERVER_URL": "http://127.0.0.1:9999",
        "RINGCENTRAL_CLIENT_ID": "from-env",
        "RINGCENTRAL_CLIENT_SECRET": "secret-from-env",
        "RINGCENTRAL_REDIRECT_URL": "http://localhost:7000/oauth2callback",
    }
    settings = load({**GOOD, "here": str(tmp_path), "ringcentral.server_url": "simulator"}, environ)
    assert settings.server_url == "http://127.0.0.1:9999"
    assert not settings.builtin_simulator
    assert settings.client_id == "from-env"
    assert settings.client_secret == "secret-from-env"
    assert settings.redirect_url == "http://localhost:7000/oauth2callback"


def test_simulator_word_means_the_builtin_simulator(tmp_path: Path) -> None:
    settings = load({**GOOD, "here": str(tmp_path), "rcpyramid.simulator.port": "5099"}, {})
    assert settings.builtin_simulator
    assert settings.server_url == "http://localhost:5099"
    assert settings.insecure_transport


def test_production_defaults_and_accepts_https(tmp_path: Path) -> None:
    settings = load({**production(), "here": str(tmp_path)}, {})
    assert settings.server_url == "https://platform.ringcentral.com"
    assert not settings.insecure_transport


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("ringcentral.server_url", "http://platform.ringcentral.com", "ringcentral.server_url"),
        ("ringcentral.server_url", "simulator", "ringcentral.server_url"),
        ("ringcentral.redirect_url", "http://app.example.com/cb", "ringcentral.redirect_url"),
        ("ringcentral.client_secret", "", "RINGCENTRAL_CLIENT_SECRET"),
        ("ringcentral.client_secret", "<ENTER CLIENT SECRET>", "RINGCENTRAL_CLIENT_SECRET"),
        (
            "ringcentral.client_secret",
            "simulator-demo-secret-not-a-real-credential",
            "RINGCENTRAL_CLIENT_SECRET",
        ),
        ("ringcentral.client_id", "changeme", "RINGCENTRAL_CLIENT_ID"),
        ("rcpyramid.session.secret", "", "RCPYRAMID_SESSION_SECRET"),
        ("rcpyramid.session.secret", "short", "RCPYRAMID_SESSION_SECRET"),
    ],
)
def test_production_refuses_to_start_and_says_which_setting(
    tmp_path: Path, key: str, value: str, named: str
) -> None:
    with pytest.raises(SettingsError, match=named.replace(".", r"\.")):
        load({**production(**{key: value}), "here": str(tmp_path)}, {})


def test_development_refuses_http_to_other_hosts(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="loopback"):
        load({**GOOD, "here": str(tmp_path), "ringcentral.server_url": "http://example.com"}, {})


def test_development_generates_a_session_secret_once(tmp_path: Path) -> None:
    ini = {k: v for k, v in GOOD.items() if k != "rcpyramid.session.secret"}
    first = load({**ini, "here": str(tmp_path)}, {})
    second = load({**ini, "here": str(tmp_path)}, {})
    assert first.session_secret == second.session_secret
    path = tmp_path / "var" / "session_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_bad_number_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"ringcentral\.read_timeout"):
        load({**GOOD, "here": str(tmp_path), "ringcentral.read_timeout": "soon"}, {})


def test_unknown_backend_refuses_to_start(tmp_path: Path) -> None:
    from rcpyramid import main

    with pytest.raises(SettingsError, match=r"rcpyramid\.tokens\.backend"):
        main({"here": str(tmp_path)}, **GOOD, **{"rcpyramid.tokens.backend": "builtins.dict"})
