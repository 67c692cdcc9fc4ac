"""Test any RingCentral app against the simulator: a pytest plugin and a small client.

Opt in, per project (it is deliberately not a ``pytest11`` entry point, so installing
rcpyramid changes nobody else's pytest runs)::

    pytest -p rcpyramid.simulator.testing          # or, in a conftest.py:
    pytest_plugins = ["rcpyramid.simulator.testing"]

Fixtures:

- ``ringcentral_simulator``: a simulator on a free loopback port for one test, with the
  clients of ``ringcentral_simulator_clients`` and the users of
  ``ringcentral_simulator_users`` (override either fixture in a conftest.py); stopped after.
- ``start_ringcentral_simulator``: ``start(**options)`` (the keywords of `start_simulator`)
  for several simulators or other options in one test; all stop at teardown.
- ``webhook_receiver``: a `WebhookReceiver` on a free loopback port (answers the
  Validation-Token handshake, records deliveries; switches to refuse or fail), stopped after.

The controls (``RunningSimulator`` is a ``SimulatorControls``) include ``place_call``,
``set_record_delay``, ``expire_sync_tokens``, ``subscriptions``, ``deliveries``,
``fail_deliveries`` and ``delivery_quirks``; ``wait_until`` polls with a deadline.

Without pytest, ``with start_simulator(...) as sim:`` does the same.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urljoin

import pytest
import requests

from .app import Simulator
from .config import DEMO_CLIENT, RegisteredClient, SimulatorConfig, parse_rate_limits
from .controls_client import TIMEOUT, SimulatorControls, wait_until
from .demo_users import DEMO_USERS, DemoUser
from .receiver import Received, WebhookReceiver
from .server import RunningServer, serve_in_thread

__all__ = [
    "DEMO_CLIENT",
    "DEMO_USERS",
    "DemoUser",
    "FirstForm",
    "Received",
    "RegisteredClient",
    "RunningSimulator",
    "SimulatorControls",
    "WebhookReceiver",
    "parse_form",
    "pkce_pair",
    "sign_in_at",
    "start_simulator",
    "wait_until",
]


class FirstForm(HTMLParser):
    """The first form of a page: its action and the values of its named inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and not self._done:
            self._in_form = True
            self.action = values.get("action")
        elif tag == "input" and self._in_form and "name" in values:
            self.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form = False
            self._done = True


def parse_form(html: str) -> FirstForm:
    """The first form of an HTML page, read as a browser would submit it."""
    form = FirstForm()
    form.feed(html)
    return form


class RunningSimulator(SimulatorControls):
    """A simulator serving on loopback: its URL, its test controls, and a person signing in."""

    def __init__(self, simulator: Simulator, server: RunningServer) -> None:
        super().__init__(server.url)
        self.simulator = simulator
        self.server = server

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def client(self) -> RegisteredClient:
        """The first registered client (the one an app under test usually is)."""
        return self.simulator.config.clients[0]

    def authorize_url(
        self,
        *,
        client: RegisteredClient | None = None,
        redirect_uri: str | None = None,
        state: str = "",
        code_challenge: str | None = None,
    ) -> str:
        """The sign-in address an app would send a browser to (S256 when a challenge is given)."""
        client = client or self.client
        query = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": redirect_uri or client.redirect_uris[0],
            "state": state,
        }
        if code_challenge is not None:
            query.update(code_challenge=code_challenge, code_challenge_method="S256")
        return f"{self.url}/restapi/oauth/authorize?{urlencode(query)}"

    def sign_in(
        self,
        authorize_url: str,
        username: str = "alice",
        password: str | None = None,
        *,
        deny: bool = False,
    ) -> str:
        """`sign_in_at` with this simulator's users: a user's password is looked up."""
        if password is None:
            user = self.simulator.directory.users.get(username)
            password = user.password if user else ""
        return sign_in_at(authorize_url, username, password, deny=deny)

    def stop(self) -> None:
        """Stop serving and the background threads (idempotent)."""
        self.server.stop()
        self.simulator.close()


def sign_in_at(authorize_url: str, username: str, password: str, *, deny: bool = False) -> str:
    """Open a simulator's sign-in page and submit it as a person would; where it redirects.

    That is the app's redirect URI with ``code`` and ``state`` (or ``error`` after a
    denial). Anything but a redirect raises AssertionError with the page's words.
    """
    page = requests.get(authorize_url, timeout=TIMEOUT)
    if page.status_code != 200:
        raise AssertionError(f"the sign-in page answered {page.status_code}: {page.text}")
    form = parse_form(page.text)
    data = {
        **form.fields,
        "username": username,
        "password": password,
        "action": "deny" if deny else "authorize",
    }
    answer = requests.post(
        urljoin(page.url, form.action or ""), data=data, allow_redirects=False, timeout=TIMEOUT
    )
    if answer.status_code != 302:
        raise AssertionError(f"signing in answered {answer.status_code}: {answer.text}")
    return answer.headers["Location"]


def pkce_pair() -> tuple[str, str]:
    """A PKCE (verifier, S256 challenge) pair."""
    verifier = secrets.token_urlsafe(32)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def start_simulator(
    *,
    clients: tuple[RegisteredClient, ...] = (DEMO_CLIENT,),
    users: tuple[DemoUser, ...] = DEMO_USERS,
    rate_limits: str | dict[str, int] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    threads: int = 8,
    **config: Any,
) -> RunningSimulator:
    """Start a simulator on a free port (unless `port` is given) and return once it listens.

    `rate_limits`: None counts without refusing; "default" enforces RingCentral's
    defaults; a dict enforces those groups. Other keywords are `SimulatorConfig` fields
    (``clock``, ``seed``, ``state_file``, ``max_sessions_per_user``, ``test_controls``).
    """
    if isinstance(rate_limits, str):
        rate_limits = parse_rate_limits(rate_limits)
    simulator = Simulator(
        SimulatorConfig(
            clients=tuple(clients), users=tuple(users), rate_limits=rate_limits, **config
        )
    )
    server = serve_in_thread(simulator.wsgi_app(), host=host, port=port, threads=threads)
    return RunningSimulator(simulator, server)


@pytest.fixture
def ringcentral_simulator_clients() -> tuple[RegisteredClient, ...]:
    """The clients `ringcentral_simulator` registers; override to register your app."""
    return (DEMO_CLIENT,)


@pytest.fixture
def ringcentral_simulator_users() -> tuple[DemoUser, ...]:
    """The people who can sign in to `ringcentral_simulator`; override for your own."""
    return DEMO_USERS


@pytest.fixture
def start_ringcentral_simulator() -> Iterator[Callable[..., RunningSimulator]]:
    """start(**options) -> RunningSimulator (see `start_simulator`); all stop at teardown."""
    running: list[RunningSimulator] = []

    def start(**options: Any) -> RunningSimulator:
        sim = start_simulator(**options)
        running.append(sim)
        return sim

    yield start
    for sim in running:
        sim.stop()


@pytest.fixture
def ringcentral_simulator(
    start_ringcentral_simulator: Callable[..., RunningSimulator],
    ringcentral_simulator_clients: tuple[RegisteredClient, ...],
    ringcentral_simulator_users: tuple[DemoUser, ...],
) -> RunningSimulator:
    """A simulator for this test, with the configured clients and users."""
    return start_ringcentral_simulator(
        clients=ringcentral_simulator_clients, users=ringcentral_simulator_users
    )


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A webhook endpoint on loopback for this test (its ``url`` goes in deliveryMode)."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()
