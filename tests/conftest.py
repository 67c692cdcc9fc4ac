"""Fixtures: the simulator over real HTTP on loopback, and the real app under WebTest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
import webtest

from rcpyramid import main
from rcpyramid.config import environment_variables
from rcpyramid.simulator import DEMO_CLIENT, Simulator, SimulatorConfig, serve_in_thread
from tests.browser import authorize_at_simulator, local_path
from tests.clocks import MovableClock
from tests.processes import free_port

ROOT = Path(__file__).resolve().parent.parent


class SimulatorHandle:
    """The running simulator and its HTTP test controls."""

    def __init__(self, simulator: Simulator, url: str) -> None:
        self.simulator = simulator
        self.url = url

    def control(self, name: str, **body: Any) -> Any:
        answer = requests.post(f"{self.url}/simulator/{name}", json=body, timeout=10)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def counters(self) -> dict[str, Any]:
        answer = requests.get(f"{self.url}/simulator/counters", timeout=10)
        answer.raise_for_status()
        return answer.json()


@pytest.fixture(autouse=True)
def clean_settings_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings table reads the environment first; a developer's shell must not leak in."""
    for name in environment_variables():
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def served_port() -> int:
    """The port a test serves the app on over real HTTP (registered with the simulator)."""
    return free_port()


@pytest.fixture(scope="session")
def simulator_server(served_port: int) -> Iterator[SimulatorHandle]:
    client = replace(
        DEMO_CLIENT,
        redirect_uris=(
            *DEMO_CLIENT.redirect_uris,
            f"http://localhost:{served_port}/oauth2callback",
        ),
    )
    simulator = Simulator(SimulatorConfig(clients=(client,), rate_limits=None))
    running = serve_in_thread(simulator.wsgi_app(), host="127.0.0.1", port=0, threads=16)
    yield SimulatorHandle(simulator, running.url)
    running.stop()


@pytest.fixture
def simulator(simulator_server: SimulatorHandle) -> SimulatorHandle:
    simulator_server.control("reset")
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
        "jinja2.directories": str(ROOT / "templates"),
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


def start_sign_in(testapp: webtest.TestApp) -> str:
    """Press "Sign in with RingCentral"; return the authorize URL the app redirects to."""
    home = testapp.get("/")
    form = next(form for form in home.forms.values() if form.action == "/login")
    answer = form.submit()
    assert answer.status_int == 303
    return answer.headers["Location"]


def sign_in(testapp: webtest.TestApp, username: str = "alice") -> webtest.TestResponse:
    """The whole sign-in journey; returns the home page the person lands on."""
    callback = authorize_at_simulator(start_sign_in(testapp), username=username)
    landed = testapp.get(local_path(callback))
    assert landed.status_int == 303, landed.text
    return landed.follow()


@pytest.fixture
def served_app(make_testapp: Callable[..., webtest.TestApp], served_port: int) -> Iterator[str]:
    """The real app on a real socket (waitress, 40 threads); yields its base URL."""
    testapp = make_testapp(
        **{"ringcentral.redirect_url": f"http://localhost:{served_port}/oauth2callback"}
    )
    running = serve_in_thread(testapp.app, host="localhost", port=served_port, threads=40)
    yield f"http://localhost:{served_port}"
    running.stop()


@pytest.fixture
def signed_in(testapp: webtest.TestApp) -> webtest.TestApp:
    sign_in(testapp)
    return testapp
