"""Fixtures: the simulator over real HTTP on loopback, and the real app under WebTest."""

# ruff: noqa: E402 (the test kit must be announced to pytest before it is imported)

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import webtest

# The suites use the simulator's own test kit, as another app's would. It is imported
# below, so pytest learns first that it is a plugin (else it warns it cannot rewrite it).
pytest.register_assert_rewrite("rcpyramid.simulator.testing")
pytest_plugins = ["rcpyramid.simulator.testing"]

from rcpyramid import main
from rcpyramid.simulator import DEMO_CLIENT, serve_in_thread
from rcpyramid.simulator.testing import RunningSimulator, start_simulator
from tests.clocks import MovableClock
from tests.environment import clear_settings_environment
from tests.journeys import SimulatorHandle, sign_in
from tests.processes import Process, free_port
from tests.services import mark_by_fixtures

ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers from the fixtures a test uses (``postgres``, ``redis``, ...: tests/services.py)."""
    mark_by_fixtures(items)


@pytest.fixture(autouse=True)
def clean_settings_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings table reads the environment first; a developer's shell must not leak in."""
    clear_settings_environment(monkeypatch)


@pytest.fixture(scope="session")
def served_port() -> int:
    """The port a test serves the app on over real HTTP (registered with the simulator)."""
    return free_port()


@pytest.fixture(scope="session")
def simulator_server(served_port: int) -> Iterator[RunningSimulator]:
    client = replace(
        DEMO_CLIENT,
        redirect_uris=(
            *DEMO_CLIENT.redirect_uris,
            f"http://localhost:{served_port}/oauth2callback",
        ),
    )
    # One per session (reset before each test) keeps the suites quick.
    with start_simulator(clients=(client,), threads=16) as running:
        yield running


@pytest.fixture
def simulator(simulator_server: RunningSimulator) -> RunningSimulator:
    simulator_server.reset()
    return simulator_server


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def app_settings(simulator: SimulatorHandle, clock: MovableClock, tmp_path: Path) -> dict[str, Any]:
    return {
        "rcpyramid.environment": "development",
        "ringcentral.server_url": simulator.url,
        "ringcentral.client_id": DEMO_CLIENT.client_id,
        "ringcentral.client_secret": DEMO_CLIENT.client_secret,
        "ringcentral.redirect_url": DEMO_CLIENT.redirect_uris[0],
        "ringcentral.read_timeout": "5",
        "rcpyramid.var_dir": str(tmp_path / "var"),
        "rcpyramid.session.secret": "test-session-secret-" + "s" * 40,
        "rcpyramid.clock": clock,
        # Each view reaches the simulator, as the refresh and failure tests expect;
        # tests/cache turns the answer cache on.
        "rcpyramid.cache.backend": "dogpile.cache.null",
    }


@pytest.fixture
def make_testapp(app_settings: dict[str, Any]) -> Callable[..., webtest.TestApp]:

    def make(**overrides: Any) -> webtest.TestApp:
        app = main({"here": str(ROOT)}, **{**app_settings, **overrides})
        return webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost:5000"})

    return make


@pytest.fixture
def testapp(make_testapp: Callable[..., webtest.TestApp]) -> webtest.TestApp:
    return make_testapp()


@pytest.fixture
def served_app_settings() -> dict[str, str]:
    """Settings ``served_app`` adds to the suite's own (a folder's conftest may override)."""
    return {}


@pytest.fixture
def served_app(
    make_testapp: Callable[..., webtest.TestApp],
    served_port: int,
    served_app_settings: dict[str, str],
) -> Iterator[str]:
    """The real app on a real socket (waitress, 40 threads); yields its base URL."""
    testapp = make_testapp(
        **{
            "ringcentral.redirect_url": f"http://localhost:{served_port}/oauth2callback",
            **served_app_settings,
        }
    )
    running = serve_in_thread(testapp.app, host="localhost", port=served_port, threads=40)
    yield f"http://localhost:{served_port}"
    running.stop()


@pytest.fixture
def signed_in(testapp: webtest.TestApp) -> webtest.TestApp:
    sign_in(testapp)
    return testapp


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    """Processes a test starts (append them); stopped afterwards, the last started first."""
    started: list[Process] = []
    yield started
    for process in reversed(started):
        process.stop()
