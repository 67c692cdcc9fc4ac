"""Fixtures for the simulator suite: an injected clock and the simulator over real HTTP."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from rcpyramid.simulator import DEMO_CLIENT, RegisteredClient, Simulator, SimulatorConfig
from rcpyramid.simulator.testing import RunningSimulator, pkce_pair
from tests.factories import closing_all

REDIRECT_URI = DEMO_CLIENT.redirect_uris[0]
START = datetime(2026, 3, 15, 12, 34, 56, 789000, tzinfo=UTC)


class FakeClock:
    """An aware-UTC clock that only moves when told to."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RC:
    """Drives the simulator like an app and a browser would, over HTTP (on the test kit)."""

    def __init__(self, running: RunningSimulator) -> None:
        self.running = running
        self.url = running.url
        self.simulator = running.simulator
        self.http = requests.Session()

    def get(self, path: str, token: str | None = None, **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"bearer {token}"
        return self.http.get(self.url + path, headers=headers, timeout=10, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.http.post(self.url + path, timeout=10, **kw)

    def authorize(self, **params: str) -> requests.Response:
        query = {
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "client_id": DEMO_CLIENT.client_id,
            **params,
        }
        return self.get("/restapi/oauth/authorize?" + urlencode(query))

    @staticmethod
    def hidden_fields(page: str) -> dict[str, str]:
        fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
        return {name: html.unescape(value) for name, value in fields}

    def sign_in(
        self,
        username: str = "alice",
        password: str | None = None,
        action: str = "authorize",
        client: RegisteredClient = DEMO_CLIENT,
        **params: str,
    ) -> requests.Response:
        page = self.authorize(client_id=client.client_id, **params)
        assert page.status_code == 200, page.text
        form = self.hidden_fields(page.text)
        form.update(
            username=username,
            password=f"{username}-demo" if password is None else password,
            action=action,
        )
        return self.post("/simulator/sign-in", data=form, allow_redirects=False)

    def code(self, username: str = "alice", **params: str) -> str:
        response = self.sign_in(username, **params)
        assert response.status_code == 302, response.text
        return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]

    def token(
        self, client: RegisteredClient = DEMO_CLIENT, basic: bool = True, **form: str
    ) -> requests.Response:
        auth = (client.client_id, client.client_secret) if basic else None
        return self.post("/restapi/oauth/token", data=form, auth=auth)

    def exchange(self, code: str, client: RegisteredClient = DEMO_CLIENT, **form: str):
        return self.token(
            client,
            grant_type="authorization_code",
            code=code,
            redirect_uri=client.redirect_uris[0],
            **form,
        )

    def login(self, username: str = "alice", **form: str) -> dict:
        """Sign in and exchange the code (with PKCE S256); return the token JSON."""
        verifier, challenge = pkce_pair()
        code = self.code(username, code_challenge=challenge, code_challenge_method="S256")
        response = self.exchange(code, code_verifier=verifier, **form)
        assert response.status_code == 200, response.text
        return response.json()

    def refresh(self, refresh_token: str, **form: str) -> requests.Response:
        return self.token(grant_type="refresh_token", refresh_token=refresh_token, **form)

    def control(self, name: str, body: dict | None = None) -> requests.Response:
        """The raw answer of a control: these tests check the control API's wire contract."""
        return self.post(f"/simulator/{name}", json=body if body is not None else {})

    def advance(self, seconds: float) -> None:
        self.running.advance_clock(seconds)

    def counters(self) -> dict:
        return self.running.counters()


@pytest.fixture
def pkce() -> Callable[[], tuple[str, str]]:
    """Make a (verifier, S256 challenge) pair."""
    return pkce_pair


@pytest.fixture
def sim_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_simulator(sim_clock: FakeClock) -> Callable[..., Simulator]:
    def make(**overrides) -> Simulator:
        overrides.setdefault("clock", sim_clock)
        return Simulator(SimulatorConfig(**overrides))

    return make


@pytest.fixture
def make_rc(start_ringcentral_simulator, sim_clock: FakeClock) -> Iterator[Callable[..., RC]]:
    """Start simulators (SimulatorConfig overrides) with the test kit; all stop at teardown."""

    def start(**overrides) -> RC:
        overrides.setdefault("clock", sim_clock)
        return RC(start_ringcentral_simulator(**overrides))

    yield from closing_all(start, lambda client: client.http.close())


@pytest.fixture
def rc(make_rc) -> RC:
    """The default simulator (limits counted, not enforced) over HTTP."""
    return make_rc()
