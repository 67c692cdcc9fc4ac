"""Alembic's environment: the database of the same ini file the app runs with.

``alembic -c development.ini upgrade head`` (or ``production.ini``) reads
``[app:main]`` for ``sqlalchemy.url``, which ``RCPYRAMID_DATABASE_URL`` overrides,
exactly as the app does. ``rcpyramid.models.schema`` passes an engine instead.
"""

from __future__ import annotations

from alembic import context
from pyramid.paster import get_appsettings, setup_logging

from rcpyramid.config import DatabaseSettings, load_section
from rcpyramid.models import database_url, make_engine, metadata
from rcpyramid.models.schema import lock_for_migrations

config = context.config


def database() -> DatabaseSettings:
    settings = get_appsettings(config.config_file_name, name="main")
    here = settings.global_conf.get("here", "")
    return load_section(DatabaseSettings, {"here": here, **settings})


def run_offline() -> None:
    url = database_url(database())
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = config.attributes.get("engine")
    owned = engine is None
    if owned:
        setup_logging(config.config_file_name)
        engine = make_engine(database_url(database()), pool_size=1)
    try:
        with engine.connect() as connection:
            # The whole upgrade is one transaction, begun here; alembic joins it.
            lock_for_migrations(connection)
            context.configure(
                connection=connection,
                target_metadata=metadata,
                # SQLite alters tables by copying them; batch mode writes that for us.
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
    finally:
        if owned:
            engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
