"""What a process keeps for the SQL backend: the engine, the keys, the clock, the guard."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from rcpyramid.clock import Clock, utcnow
from rcpyramid.config import SettingsError, where
from rcpyramid.models import get_engine
from rcpyramid.models.deadline import DatabaseGuard
from rcpyramid.models.schema import migrations_dir, upgrade
from rcpyramid.tokens.crypto import Keyring, load_keyring
from rcpyramid.tokens.sqla.errors import translated
from rcpyramid.tokens.sqla.rows import LOGINS, insert_for


@dataclass(eq=False, repr=False)
class SqlTokenStore:
    """What a process keeps for the SQL backend: the engine, the keys and the clock."""

    engine: Engine
    keyring: Keyring
    clock: Clock = utcnow
    _: KW_ONLY
    lock_timeout: float = 30.0
    pool_size: int | None = None
    #: The deadline and the bound on waiters (rcpyramid.models.deadline), when configured.
    guard: DatabaseGuard | None = None
    #: ``rcpyramid.database.max_waiting``; 0: :meth:`check_threads` derives it.
    max_waiting: int = 0
    dialect: str = field(init=False)

    def __post_init__(self) -> None:
        self.dialect = self.engine.dialect.name
        insert_for(self.dialect, LOGINS)  # refuse an unsupported database now, not per request

    @classmethod
    def from_settings(cls, settings: Any, clock: Clock) -> SqlTokenStore:
        """The store ``settings.tokens`` and ``settings.database`` describe."""
        database = settings.database
        keyring = load_keyring(settings.tokens)
        if database.auto_upgrade and database.production:
            raise SettingsError(
                f"{where('rcpyramid.database.auto_upgrade')} is for development; production "
                "runs `alembic -c production.ini upgrade head` before starting the app"
            )
        # Until the server says how many threads it runs, a quarter of the pool may wait.
        guard = DatabaseGuard(
            database.timeout, database.max_waiting or max(1, database.pool_size // 4)
        )
        engine = get_engine(database, guard)
        store = cls(
            engine,
            keyring,
            clock,
            lock_timeout=database.lock_timeout,
            pool_size=database.pool_size,
            guard=guard,
            max_waiting=database.max_waiting,
        )
        if database.auto_upgrade:
            # A fresh development machine needs no extra command: the schema is made here.
            with translated("upgrading the database schema"):
                upgrade(engine, migrations_dir(database))
        return store

    def check_threads(self, threads: int) -> None:
        """Refuse a pool too small for ``threads`` (a request may hold two connections).

        Also sets how many of them may wait on the database at once, unless configured:
        half, so the other half keeps answering pages that need no database.
        """
        if self.pool_size is not None and self.pool_size < 2 * threads:
            raise SettingsError(
                f"rcpyramid.database.pool_size is {self.pool_size}, but the server runs "
                f"{threads} threads and each request may hold two connections (its "
                f"transaction and a refresh lock): make it at least {2 * threads}"
            )
        if self.guard is not None and not self.max_waiting:
            self.guard.bound(max(1, threads // 2))

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlTokenStore(url={self.engine.url!r}, keyring={self.keyring!r})"
