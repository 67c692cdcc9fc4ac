"""rcpyramid-purge, run beside the app, makes the purged people's answers unreachable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import webtest

from rcpyramid.simulator import DEMO_CLIENT
from rcpyramid.tokens import open_repository
from tests.databases import TEST_KEYS
from tests.journeys import SimulatorHandle, api_calls, sign_in
from tests.processes import run_command
from tests.stores import stored_logins

# A page from a cached RingCentral answer (the call logs read the local history).
CACHED_PAGE = "/test?api=extension"


@pytest.mark.subprocess
def test_purge_makes_the_purged_persons_entries_unreachable_in_every_process(
    make_app: Callable[..., webtest.TestApp],
    redis_url: str,
    shared_secret: str,
    simulator: SimulatorHandle,
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path / 'tokens.sqlite'}"
    shared = {
        "rcpyramid.tokens.backend": "rcpyramid.tokens.sqla.SQLAlchemyTokenRepository",
        "sqlalchemy.url": database,
        "rcpyramid.tokens.keys": TEST_KEYS,
        "rcpyramid.database.auto_upgrade": "true",
        "rcpyramid.cache.backend": "dogpile.cache.redis",
        "rcpyramid.cache.url": redis_url,
    }
    first, second = make_app(**shared), make_app(**shared)
    sign_in(first, "alice")
    ((first_login, first_token),) = stored_logins(first).items()
    sign_in(second, "alice")
    first.get(CACHED_PAGE)
    calls = api_calls(simulator)
    second.get(CACHED_PAGE)
    assert api_calls(simulator) == calls  # one person, one entry
    # The first browser's sign-in ran out long ago (its refresh token expired).
    past = datetime.now(UTC) - timedelta(days=1)
    with open_repository(first.app.registry) as repo:
        repo.save(
            first_login, replace(first_token, access_expires_at=past, refresh_expires_at=past)
        )

    ini = tmp_path / "app.ini"
    ini.write_text(
        "[app:main]\nuse = egg:rcpyramid\n"
        + "".join(f"{key} = {value}\n" for key, value in shared.items())
        + f"ringcentral.server_url = {simulator.url}\n"
        f"ringcentral.client_id = {DEMO_CLIENT.client_id}\n"
        f"ringcentral.client_secret = {DEMO_CLIENT.client_secret}\n"
        f"rcpyramid.session.secret = {shared_secret}\n"
        f"rcpyramid.var_dir = {tmp_path / 'var'}\n"
    )
    done = run_command(
        "rcpyramid-purge", str(ini), env={"RCPYRAMID_TOKEN_KEYS": "", "RCPYRAMID_CACHE_URL": ""}
    )
    assert done.returncode == 0, done.stderr
    assert "deleted 1 logins" in done.stdout
    calls = api_calls(simulator)
    second.get(CACHED_PAGE)
    assert api_calls(simulator) == calls + 1, "the second process served an entry from before"
