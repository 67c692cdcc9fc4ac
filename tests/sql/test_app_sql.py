"""The real app on the SQL backend (WebTest, the simulator over HTTP): restarts and the traps.

pyramid_tm aborts a request's transaction when an error view renders, and
pyramid_retry replays a request after a transient database error. Neither may
undo a spent state or a rotated refresh token, nor spend a refresh token twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import pytest
import webtest
from pyramid_retry import mark_error_retryable

from rcpyramid.ringcentral.client import RingCentralClient
from rcpyramid.ringcentral.signed_in import SignedInRingCentral
from rcpyramid.tokens import open_repository
from rcpyramid.tokens.interfaces import RefreshLease, TokenStoreError
from rcpyramid.tokens.sqla import SQLAlchemyTokenRepository
from tests.browser import authorize_at_simulator, local_path
from tests.clocks import MovableClock
from tests.databases import TEST_KEYS
from tests.factories import closing_all
from tests.journeys import SimulatorHandle, sign_in, start_sign_in

EXTENSIONS = "/restapi/v1.0/account/~/extension"


class FlakyAfterRefresh(SQLAlchemyTokenRepository):
    """Loses its connection right after a refresh committed, once: pyramid_retry replays.

    The app's factory builds one per request; ``events`` counts across them.
    """

    events: ClassVar[dict[str, int]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events["requests"] += 1

    @contextmanager
    def refreshing(self, login_id: str) -> Iterator[RefreshLease]:
        with super().refreshing(login_id) as lease:
            yield lease
        self.events["refreshes"] += 1
        if self.events["failures_left"]:
            self.events["failures_left"] -= 1
            error = TokenStoreError("the connection dropped after the refresh committed")
            mark_error_retryable(error)
            raise error


@pytest.fixture
def make_sql_app(
    make_testapp: Callable[..., webtest.TestApp],
    sql_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., webtest.TestApp]]:
    for name in ("RCPYRAMID_DATABASE_URL", "RCPYRAMID_TOKEN_KEYS"):
        monkeypatch.delenv(name, raising=False)

    def make(backend: type = SQLAlchemyTokenRepository) -> webtest.TestApp:
        return make_testapp(
            **{
                "rcpyramid.tokens.backend": f"{backend.__module__}.{backend.__qualname__}",
                "sqlalchemy.url": sql_url,
                "rcpyramid.tokens.keys": TEST_KEYS,
                "rcpyramid.database.auto_upgrade": "true",
            }
        )

    yield from closing_all(make, lambda app: app.app.registry.close_token_store())


@pytest.fixture
def refreshing_sql_app(
    make_sql_app: Callable[..., webtest.TestApp], clock: MovableClock
) -> Callable[..., webtest.TestApp]:
    """Makes an app on SQL with alice signed in, her access token due: a page refreshes first."""

    def make(backend: type = SQLAlchemyTokenRepository) -> webtest.TestApp:
        app = make_sql_app(backend)
        sign_in(app)
        clock.advance(3600)
        return app

    return make


def grants(simulator: SimulatorHandle) -> dict[str, int]:
    return simulator.counters()["grants"]


def test_sql_sign_in_survives_an_app_restart(
    make_sql_app: Callable[..., webtest.TestApp],
) -> None:
    before = make_sql_app()
    sign_in(before)
    after = make_sql_app()  # a new process: nothing shared but the database and the keys
    after.cookiejar = before.cookiejar
    assert "Signed in as Alice Smith" in after.get("/").text
    assert after.get("/test?api=extension").status_int == 200


def test_sql_callback_that_fails_after_taking_the_state_cannot_be_replayed(
    make_sql_app: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    app = make_sql_app()
    callback = local_path(authorize_at_simulator(start_sign_in(app)))
    simulator.control("fail-next", status=502, count=1, path="/restapi/oauth/token")
    failed = app.get(callback, expect_errors=True)
    assert failed.status_int >= 500  # an error view rendered: pyramid_tm aborted
    replayed = app.get(callback, expect_errors=True)
    assert replayed.status_int == 400
    assert "expired or was already used" in replayed.text
    assert grants(simulator)["authorization_code"] == 0


def test_sql_refreshed_pair_is_kept_when_the_api_call_then_fails(
    refreshing_sql_app: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    app = refreshing_sql_app()
    # Three: the call and its two retries (rcpyramid/ringcentral/retries.py).
    simulator.control("fail-next", status=502, count=3, path=EXTENSIONS)
    failed = app.get("/test?api=extension", expect_errors=True)
    assert failed.status_int == 502  # an error view rendered: pyramid_tm aborted
    assert grants(simulator)["refresh_token"] == 1
    # Had the rotated pair been rolled back, this would spend a dead refresh token.
    assert app.get("/test?api=extension").status_int == 200
    assert grants(simulator)["refresh_token"] == 1


def test_sql_replayed_request_does_not_spend_the_refresh_token_again(
    refreshing_sql_app: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    FlakyAfterRefresh.events.update(refreshes=0, failures_left=1, requests=0)
    repo = FlakyAfterRefresh
    app = refreshing_sql_app(FlakyAfterRefresh)
    assert app.get("/test?api=extension").status_int == 200
    # The first attempt failed after its refresh committed, so this 200 is pyramid_retry's
    # replay; it used the pair the first attempt saved, and spent nothing again.
    assert repo.events["failures_left"] == 0
    assert repo.events["refreshes"] == 1
    assert grants(simulator)["refresh_token"] == 1


def test_sql_replayed_refresh_holding_the_stale_token_finds_the_new_pair_under_the_lock(
    make_sql_app: Callable[..., webtest.TestApp],
    simulator: SimulatorHandle,
    clock: MovableClock,
) -> None:
    # A replay (or a request that read before another refreshed) asks to refresh the
    # token it read. Under the lock the new pair is re-read: RingCentral is not asked.
    app = make_sql_app()
    sign_in(app)
    registry = app.app.registry
    with open_repository(registry) as repo:
        assert isinstance(repo, SQLAlchemyTokenRepository)
        [login_id] = logins(repo)
        stale = repo.get(login_id)
        assert stale is not None
        client = RingCentralClient(registry.app_settings.ringcentral, clock)
        api = SignedInRingCentral(client, repo, clock)
        clock.advance(3600)
        first = api.refresh(login_id, stale)
        again = api.refresh(login_id, stale)
    assert again.access_token == first.access_token != stale.access_token
    assert grants(simulator)["refresh_token"] == 1


def logins(repo: SQLAlchemyTokenRepository) -> Sequence[str]:
    with repo.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT login_id FROM logins").scalars().all()
