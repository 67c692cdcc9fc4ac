"""The console scripts and pshell, run as people run them, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import webtest

from rcpyramid.models import make_engine
from rcpyramid.models.schema import DEFAULT_MIGRATIONS, upgrade
from rcpyramid.scripts import token_registry
from rcpyramid.scripts.purge import BATCH, end_idle_logins
from rcpyramid.simulator import DEMO_CLIENT
from rcpyramid.tokens import open_repository
from rcpyramid.tokens.interfaces import PendingSignIn, Token, state_digest
from rcpyramid.tokens.sqla import SQLAlchemyTokenRepository
from rcpyramid.tokens.testing import ROOMY, make_token
from tests.clocks import MovableClock
from tests.databases import fixed_key, sql_repository
from tests.journeys import SimulatorHandle, sign_in
from tests.processes import run_command
from tests.stores import stored_logins

pytestmark = pytest.mark.subprocess

K1, K2 = fixed_key("k1"), fixed_key("k2")


def write_ini(
    tmp_path: Path,
    url: str,
    backend: str = "sqla.SQLAlchemyTokenRepository",
    *,
    server_url: str = "http://127.0.0.1:9",
    idle_timeout: int = 7200,
) -> Path:
    ini = tmp_path / "app.ini"
    ini.write_text(
        "[app:main]\n"
        "use = egg:rcpyramid\n"
        "rcpyramid.environment = development\n"
        "rcpyramid.var_dir = %(here)s/var\n"
        f"rcpyramid.tokens.backend = rcpyramid.tokens.{backend}\n"
        f"sqlalchemy.url = {url.replace('%', '%%')}\n"
        f"ringcentral.server_url = {server_url}\n"
        f"ringcentral.client_id = {DEMO_CLIENT.client_id}\n"
        f"ringcentral.client_secret = {DEMO_CLIENT.client_secret}\n"
        f"rcpyramid.session.idle_timeout = {idle_timeout}\n"
    )
    return ini


def run(script: str, ini: Path, keys: str = K1, **env: str) -> subprocess.CompletedProcess[str]:
    return run_command(
        script,
        str(ini),
        env={
            "RCPYRAMID_TOKEN_KEYS": keys,
            "RCPYRAMID_DATABASE_URL": "",
            "RCPYRAMID_ENVIRONMENT": "",
            **env,
        },
    )


@pytest.fixture
def migrated_url(sql_url: str) -> str:
    engine = make_engine(sql_url, pool_size=1)
    upgrade(engine, DEFAULT_MIGRATIONS)
    engine.dispose()
    return sql_url


def seeded(url: str, clock: MovableClock, keys: str = K1) -> SQLAlchemyTokenRepository:
    repo = sql_repository(url, clock, keys)
    now = clock()
    live = Token("a", now + timedelta(hours=1), "r", now + timedelta(days=7))
    repo.save("live", live)
    repo.save("dead", Token("a", now - timedelta(days=8), "r", now - timedelta(days=1)))
    repo.add_pending(
        PendingSignIn(state_digest("old"), "v" * 43, "b", now - timedelta(hours=1)),
        now=clock(),
        limits=ROOMY,
    )
    return repo


def test_sql_purge_command_deletes_logins_whose_refresh_token_expired(
    migrated_url: str, tmp_path: Path, clock: MovableClock
) -> None:
    repo = seeded(migrated_url, clock)
    try:
        done = run("rcpyramid-purge", write_ini(tmp_path, migrated_url))
        assert done.returncode == 0, done.stderr
        assert "deleted 1 logins" in done.stdout
        assert repo.get("dead") is None and repo.get("live") is not None
        with repo.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM pending_sign_ins").scalar() == 0
    finally:
        repo.store.close()


def test_sql_purge_command_revokes_and_deletes_a_login_whose_browser_never_came_back(
    migrated_url: str,
    tmp_path: Path,
    make_testapp: Callable[..., webtest.TestApp],
    simulator: SimulatorHandle,
) -> None:
    app = make_testapp(
        **{
            "rcpyramid.tokens.backend": "rcpyramid.tokens.sqla.SQLAlchemyTokenRepository",
            "sqlalchemy.url": migrated_url,
            "rcpyramid.tokens.keys": K1,
        }
    )
    try:
        sign_in(app)
        [token] = stored_logins(app).values()
        assert token.updated_at is not None
        # Idle for a second on the real clock: the purge's own clock, in another process.
        idle_since = token.updated_at + timedelta(seconds=1.5)
        time.sleep(max(0.0, (idle_since - datetime.now(UTC)).total_seconds()))
        ini = write_ini(tmp_path, migrated_url, server_url=simulator.url, idle_timeout=1)
        done = run("rcpyramid-purge", ini)
        assert done.returncode == 0, done.stderr
        assert "ended 1 idle logins (0 not confirmed by RingCentral)" in done.stdout
        assert stored_logins(app) == {}
        assert simulator.counters()["revokes"] == 1
        assert "Sign in with RingCentral" in app.get("/").text
    finally:
        app.app.registry.close_token_store()


def test_sql_reencrypt_command_moves_every_row_to_the_first_key(
    migrated_url: str, tmp_path: Path, clock: MovableClock
) -> None:
    seeded(migrated_url, clock).store.close()
    done = run("rcpyramid-reencrypt", write_ini(tmp_path, migrated_url), keys=f"{K2},{K1}")
    assert done.returncode == 0, done.stderr
    assert "re-encrypted 2 logins and 1 pending sign-ins under key 'k2'" in done.stdout
    assert "re-encrypted 0 call records and 0 sync tokens" in done.stdout
    after = sql_repository(migrated_url, clock, K2)
    try:
        assert after.get("live").refresh_token == "r"
    finally:
        after.store.close()


def test_sql_reencrypt_command_fails_while_rows_remain_under_a_missing_key(
    migrated_url: str, tmp_path: Path, clock: MovableClock
) -> None:
    seeded(migrated_url, clock, keys=K1).store.close()
    done = run("rcpyramid-reencrypt", write_ini(tmp_path, migrated_url), keys=K2)
    assert done.returncode == 1
    assert "do not remove it yet" in done.stderr


def test_reencrypt_command_refuses_the_memory_backend(tmp_path: Path) -> None:
    ini = write_ini(tmp_path, "", backend="memory.MemoryTokenRepository")
    done = run("rcpyramid-reencrypt", ini)
    assert done.returncode == 2
    assert "keeps nothing at rest" in done.stderr


def test_purge_command_in_production_names_the_missing_database_url(tmp_path: Path) -> None:
    done = run("rcpyramid-purge", write_ini(tmp_path, ""), RCPYRAMID_ENVIRONMENT="production")
    assert done.returncode == 2
    assert "RCPYRAMID_DATABASE_URL" in done.stderr


def test_sqlite_pshell_offers_the_token_repository(tmp_path: Path) -> None:
    done = run_command(
        "pshell",
        "development.ini",
        "-p",
        "python",
        stdin='print("found", type(repo).__name__, repo.get("nobody"))\n',
        env={
            "RCPYRAMID_VAR_DIR": str(tmp_path / "var"),
            "RCPYRAMID_DATABASE_URL": "",
            "RCPYRAMID_TOKEN_KEYS": "",
        },
    )
    assert "found SQLAlchemyTokenRepository None" in done.stdout, done.stderr


class RevokeWatcher:
    """Stands in for RingCentral's revoke: notes how many database connections are out."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.checked_out: list[int] = []

    def revoke(self, token: Token) -> None:
        self.checked_out.append(self.engine.pool.checkedout())


def test_purge_revokes_idle_logins_with_no_database_transaction_open(
    migrated_url: str, tmp_path: Path
) -> None:
    registry = token_registry(str(write_ini(tmp_path, migrated_url)))
    now = datetime.now(UTC)
    try:
        with open_repository(registry) as repo:
            for number in range(BATCH + 5):  # more than one batch
                repo.save(f"idle-{number}", make_token(now, str(number)))
            engine = repo.engine  # type: ignore[attr-defined]
        watcher = RevokeWatcher(engine)
        ended, unrevoked = end_idle_logins(
            registry,
            watcher,  # type: ignore[arg-type]
            None,
            now + timedelta(days=1),
        )
        assert (ended, unrevoked) == (BATCH + 5, 0)
        # No connection out (so no transaction, no snapshot) while RingCentral is asked.
        assert watcher.checked_out == [0] * (BATCH + 5)
    finally:
        registry.close_token_store()
