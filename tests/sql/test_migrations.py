"""Alembic: up, down and up again on SQLite and PostgreSQL; the models match the migrations."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from rcpyramid import main
from rcpyramid.models import make_engine, metadata
from rcpyramid.models.schema import DEFAULT_MIGRATIONS, downgrade, missing_tables, upgrade
from rcpyramid.tokens.sqla import SchemaError
from tests.databases import run_in_processes, sql_app_settings, upgrade_in_child
from tests.processes import ROOT, run_command

LIVE_TABLES = {"live_owners", "live_logins", "live_subscriptions"}
TABLES = ["logins", "pending_sign_ins", "call_histories", "call_records", *sorted(LIVE_TABLES)]
HEAD = "0005"


def head_revision(url: str) -> str | None:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


@pytest.fixture
def engine(sql_url: str) -> Iterator[Engine]:
    """An engine on the test's empty database (its tables made by the test's migrations)."""
    made = make_engine(sql_url, pool_size=2)
    yield made
    made.dispose()


def insert_a_login(conn: Connection, now: datetime) -> None:
    """A signed-in person's row, as the first revisions shaped it (login ``kept``)."""
    conn.execute(
        text(
            "INSERT INTO logins (login_id, key_id, access_token, access_expires_at, "
            "token_type, scope, owner_id, owner_name, endpoint_id, created_at, updated_at)"
            " VALUES ('kept', 'k1', :blob, :now, 'bearer', '', '1', 'A', 'e', :now, :now)"
        ),
        {"blob": b"sealed", "now": now},
    )


def test_sql_migrations_upgrade_downgrade_and_upgrade_again(sql_url: str, engine: Engine) -> None:
    upgrade(engine, DEFAULT_MIGRATIONS)
    assert missing_tables(engine) == []
    assert head_revision(sql_url) == HEAD
    downgrade(engine, DEFAULT_MIGRATIONS, "base")
    assert set(inspect(engine).get_table_names()) & set(TABLES) == set()
    assert head_revision(sql_url) is None
    upgrade(engine, DEFAULT_MIGRATIONS)
    assert missing_tables(engine) == []
    assert {index["name"] for index in inspect(engine).get_indexes("logins")} == {
        "ix_logins_refresh_expires_at",
        "ix_logins_last_seen_at",
    }
    assert {index["name"] for index in inspect(engine).get_indexes("pending_sign_ins")} == {
        "ix_pending_sign_ins_expires_at",
        "ix_pending_sign_ins_browser_key",
        "ix_pending_sign_ins_address_key",
    }
    assert {index["name"] for index in inspect(engine).get_indexes("call_records")} == {
        "ix_call_records_owner_start_time",
    }


def test_sql_migration_0004_adds_and_removes_the_live_history_tables(engine: Engine) -> None:
    upgrade(engine, DEFAULT_MIGRATIONS, "0003")
    assert set(inspect(engine).get_table_names()) & LIVE_TABLES == set()
    upgrade(engine, DEFAULT_MIGRATIONS)
    assert set(inspect(engine).get_table_names()) >= LIVE_TABLES
    assert {index["name"] for index in inspect(engine).get_indexes("live_owners")} == {
        "ix_live_owners_due_at"
    }
    downgrade(engine, DEFAULT_MIGRATIONS, "0003")
    assert set(inspect(engine).get_table_names()) & LIVE_TABLES == set()
    assert set(inspect(engine).get_table_names()) >= {"logins", "call_records"}


def columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def test_sql_migration_0002_keeps_existing_rows_both_ways(sql_url: str, engine: Engine) -> None:
    # Last-seen time, remembered refresh failure, browser key: added to tables that
    # already hold logins and sign-ins in progress, and taken away again.
    upgrade(engine, DEFAULT_MIGRATIONS, "0001")
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        insert_a_login(conn, now)
        conn.execute(
            text(
                "INSERT INTO pending_sign_ins (state_hash, key_id, code_verifier, browser_id,"
                " return_to, expires_at, created_at)"
                " VALUES ('h', 'k1', :blob, :blob, '/', :now, :now)"
            ),
            {"blob": b"sealed", "now": now},
        )
    upgrade(engine, DEFAULT_MIGRATIONS, "0002")
    assert {"last_seen_at", "refresh_failed_until", "refresh_failure"} <= columns(engine, "logins")
    assert "browser_key" in columns(engine, "pending_sign_ins")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT last_seen_at FROM logins")).all() == [(None,)]
        assert conn.execute(text("SELECT browser_key FROM pending_sign_ins")).all() == [("",)]
    downgrade(engine, DEFAULT_MIGRATIONS, "0001")
    assert "last_seen_at" not in columns(engine, "logins")
    assert "browser_key" not in columns(engine, "pending_sign_ins")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT login_id FROM logins")).all() == [("kept",)]
        assert conn.execute(text("SELECT state_hash FROM pending_sign_ins")).all() == [("h",)]
    assert head_revision(sql_url) == "0001"


def test_sql_migration_0003_adds_the_call_history_and_takes_it_away(
    sql_url: str, engine: Engine
) -> None:
    # Signed-in people stay signed in both ways; their histories come and go with 0003.
    upgrade(engine, DEFAULT_MIGRATIONS, "0002")
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        insert_a_login(conn, now)
    assert "call_records" not in inspect(engine).get_table_names()
    upgrade(engine, DEFAULT_MIGRATIONS, "0003")
    assert {"call_histories", "call_records"} <= set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO call_records (owner, record_id, start_time, direction, type, "
                "result, duration, extension_id, key_id, record, search) VALUES "
                "('person:1:2', 'r1', :now, 'Inbound', 'Voice', 'Missed', 0, '2', 'k1', "
                ":blob, :blob)"
            ),
            {"blob": b"sealed", "now": now},
        )
        conn.execute(text("INSERT INTO call_histories (owner) VALUES ('person:1:2')"))
    downgrade(engine, DEFAULT_MIGRATIONS, "0002")
    assert set(inspect(engine).get_table_names()) & {"call_histories", "call_records"} == set()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT login_id FROM logins")).all() == [("kept",)]
    assert head_revision(sql_url) == "0002"


def test_sql_models_match_the_migrations(engine: Engine) -> None:
    upgrade(engine, DEFAULT_MIGRATIONS)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


@pytest.mark.subprocess
def test_sql_concurrent_upgrades_from_several_processes_take_turns(sql_url: str) -> None:
    # Several development processes may start at once; each runs the upgrade.
    workers = 3
    outcomes, _ = run_in_processes(upgrade_in_child, (sql_url,), workers)
    assert outcomes == ["ok"] * workers
    assert head_revision(sql_url) == HEAD


def alembic(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_command("alembic", *args, env=env, timeout=120)


@pytest.mark.subprocess
def test_sql_alembic_command_line_reads_the_production_ini_and_the_database_url(
    sql_url: str,
) -> None:
    done = alembic(
        "-c", "production.ini", "upgrade", "head", env={"RCPYRAMID_DATABASE_URL": sql_url}
    )
    assert done.returncode == 0, done.stderr
    assert head_revision(sql_url) == HEAD
    back = alembic(
        "-c", "production.ini", "downgrade", "base", env={"RCPYRAMID_DATABASE_URL": sql_url}
    )
    assert back.returncode == 0, back.stderr
    assert head_revision(sql_url) is None


@pytest.mark.subprocess
def test_sqlite_alembic_with_development_ini_makes_the_database_under_var(tmp_path: Path) -> None:
    done = alembic(
        "-c",
        "development.ini",
        "upgrade",
        "head",
        env={"RCPYRAMID_VAR_DIR": str(tmp_path / "var"), "RCPYRAMID_DATABASE_URL": ""},
    )
    assert done.returncode == 0, done.stderr
    database = tmp_path / "var" / "rcpyramid.sqlite"
    assert head_revision(f"sqlite:///{database}") == HEAD


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RCPYRAMID_DATABASE_URL", "RCPYRAMID_TOKEN_KEYS", "RCPYRAMID_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)


def test_sql_app_refuses_to_start_on_a_database_without_tables(
    sql_url: str, tmp_path: Path, clean_environment: None
) -> None:
    with pytest.raises(SchemaError, match="alembic -c"):
        main({"here": str(ROOT)}, **sql_app_settings(tmp_path, sql_url))


def test_sql_app_with_auto_upgrade_makes_its_schema_at_start(
    sql_url: str, tmp_path: Path, clean_environment: None
) -> None:
    app = main(
        {"here": str(ROOT)},
        **sql_app_settings(tmp_path, sql_url, **{"rcpyramid.database.auto_upgrade": "true"}),
    )
    try:
        assert head_revision(sql_url) == HEAD
    finally:
        app.registry.close_token_store()
