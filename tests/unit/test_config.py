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
    ringcentral = settings.ringcentral
    assert ringcentral.server_url == "http://127.0.0.1:9999"
    assert not ringcentral.builtin_simulator
    assert ringcentral.client_id == "from-env"
    assert ringcentral.client_secret == "secret-from-env"
    assert ringcentral.redirect_url == "http://localhost:7000/oauth2callback"


def test_simulator_word_means_the_builtin_simulator(tmp_path: Path) -> None:
    settings = load({**GOOD, "here": str(tmp_path), "rcpyramid.simulator.port": "5099"}, {})
    assert settings.ringcentral.builtin_simulator
    assert settings.ringcentral.server_url == "http://localhost:5099"
    assert settings.ringcentral.insecure_transport


def test_production_defaults_and_accepts_https(tmp_path: Path) -> None:
    settings = load({**production(), "here": str(tmp_path)}, {})
    assert settings.ringcentral.server_url == "https://platform.ringcentral.com"
    assert not settings.ringcentral.insecure_transport


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
    assert first.session.secret == second.session.secret
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


def test_every_row_fills_a_field_of_its_section() -> None:
    from dataclasses import fields

    from rcpyramid.config import SECTIONS, TABLE, Settings

    assert [f.name for f in fields(Settings)] == list(SECTIONS)
    for setting in TABLE:
        section, name = setting.target
        assert name in {f.name for f in fields(SECTIONS[section])}, setting.key


def test_one_section_loads_alone_without_the_others(tmp_path: Path) -> None:
    from rcpyramid.config import DatabaseSettings, load_section

    # No RingCentral client or session secret: the database section needs neither.
    database = load_section(DatabaseSettings, {"here": str(tmp_path)}, {})
    assert database.url == f"sqlite:///{tmp_path / 'var' / 'rcpyramid.sqlite'}"
    assert not (tmp_path / "var" / "session_secret").exists()


def test_production_database_section_leaves_a_missing_url_to_the_sql_backend(
    tmp_path: Path,
) -> None:
    from rcpyramid.config import DatabaseSettings, load_section
    from rcpyramid.models import database_url

    database = load_section(DatabaseSettings, {"rcpyramid.environment": "production"}, {})
    with pytest.raises(SettingsError, match="RCPYRAMID_DATABASE_URL"):
        database_url(database)


def test_simulator_rate_limits_are_parsed_by_the_simulator_at_start(tmp_path: Path) -> None:
    from rcpyramid.server import start_builtin_simulator

    settings = load({**GOOD, "here": str(tmp_path), "rcpyramid.simulator.rate_limits": "Nope=3"})
    assert settings.simulator.rate_limits == "Nope=3"
    with pytest.raises(SettingsError, match=r"rcpyramid\.simulator\.rate_limits"):
        start_builtin_simulator(settings)


def test_a_worker_outlives_the_slowest_refresh_path(tmp_path: Path) -> None:
    """gunicorn must never kill a worker that holds a token it has just rotated."""
    from rcpyramid.prefork import gunicorn_options

    settings = load(
        {
            **GOOD,
            "here": str(tmp_path),
            "rcpyramid.database.lock_timeout": "12",
            "ringcentral.connect_timeout": "2",
            "ringcentral.read_timeout": "3",
            "ringcentral.total_timeout": "40",
        },
        {},
    )
    # The lock wait, then the token call and the API call, each up to total_timeout.
    slowest = 12 + 2 * 40
    options = gunicorn_options({"listen": "127.0.0.1:0"}, 2, settings.cache.lock_timeout + 5)
    assert options["timeout"] > slowest


def test_no_section_shows_a_secret_or_a_password_in_its_repr(tmp_path: Path) -> None:
    secrets = {
        "ringcentral.client_secret": "an-app-secret-1234",
        "rcpyramid.session.secret": "x1" * 24 + ", " + "y2" * 24,
        "rcpyramid.tokens.keys": "k1:" + "A" * 43,
        "sqlalchemy.url": "postgresql://app:db-password@db.example.com/app",
        "rcpyramid.cache.url": "redis://:redis-password@cache.example.com:6379/0",
        "rcpyramid.metrics.token": "m3" * 24,
    }
    settings = load({**GOOD, **secrets, "here": str(tmp_path)}, {})
    shown = repr(settings)
    assert "RingCentralSettings(" in shown and "client_id='an-app-id'" in shown
    for needle in (
        "an-app-secret",
        "x1x1",
        "y2y2",
        "AAAA",
        "db-password",
        "redis-password",
        "m3m3",
    ):
        assert needle not in shown
