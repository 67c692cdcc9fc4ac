"""Alembic, driven from Python: the upgrade development runs at start, and schema checks."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from rcpyramid.config import DatabaseSettings, SettingsError, where
from rcpyramid.models.meta import metadata

#: The Alembic scripts: ``migrations/`` of a checkout, shipped as ``rcpyramid.migrations``.
DEFAULT_MIGRATIONS = Path(str(importlib.resources.files("rcpyramid.migrations")))

# Any constant: the PostgreSQL advisory lock that serialises concurrent upgrades.
_UPGRADE_LOCK = 0x7263707972616D  # "rcpyram"


def migrations_dir(database: DatabaseSettings) -> Path:
    path = Path(database.migrations) if database.migrations else DEFAULT_MIGRATIONS
    if not (path / "env.py").is_file():
        raise SettingsError(
            f"{where('rcpyramid.database.migrations')}: no Alembic scripts at {path} "
            "(point it at the checkout's migrations/ folder)"
        )
    return path


def lock_for_migrations(connection: Connection) -> None:
    """Begin the migration's transaction so that two processes upgrading at once take turns.

    pysqlite runs DDL outside any transaction unless one was begun explicitly;
    ``BEGIN IMMEDIATE`` makes the whole upgrade one transaction holding SQLite's write
    lock. PostgreSQL upgrades hold an advisory lock until they commit.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})


def alembic_config(script_location: Path, engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    # migrations/env.py runs on this engine instead of reading an ini file.
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, script_location: Path, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, engine), revision)


def downgrade(engine: Engine, script_location: Path, revision: str) -> None:
    command.downgrade(alembic_config(script_location, engine), revision)


def missing_tables(engine: Engine) -> list[str]:
    """The token tables the database lacks (run the migrations when there are some)."""
    present = set(inspect(engine).get_table_names())
    return sorted(set(metadata.tables) - present)
