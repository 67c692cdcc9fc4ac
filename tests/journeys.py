"""What a person does in the app, as steps tests share: start a sign-in, sign in."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import webtest

from rcpyramid.simulator import DEMO_CLIENT
from rcpyramid.simulator.testing import RunningSimulator
from rcpyramid.tokens.interfaces import Token
from tests.browser import authorize_at_simulator, local_path

#: The name the suites annotate their `simulator` fixture with: the test kit's handle.
SimulatorHandle = RunningSimulator


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


def signed_in_app(
    make_app: Callable[..., webtest.TestApp], user: str = "alice", **settings: Any
) -> webtest.TestApp:
    """An app made with ``settings``, ``user`` signed in to it."""
    app = make_app(**settings)
    sign_in(app, user)
    return app


def signed_in_apps(
    make_app: Callable[..., webtest.TestApp], users: tuple[str, ...], **settings: Any
) -> list[webtest.TestApp]:
    """One app (a "process") per user, all with ``settings``; each user signed in to theirs."""
    apps = [make_app(**settings) for _ in users]
    for app, user in zip(apps, users, strict=True):
        sign_in(app, user)
    return apps


def assert_no_journey_secret(
    logged: str, state: str, code: str, verifier: str, first: Token, second: Token
) -> None:
    """None of a sign-in's secrets, nor the demo client's, nor two token pairs is in ``logged``."""
    basic = base64.b64encode(f"{DEMO_CLIENT.client_id}:{DEMO_CLIENT.client_secret}".encode())
    secrets = {
        "state": state,
        "code": code,
        "verifier": verifier,
        "client secret": DEMO_CLIENT.client_secret,
        "basic credentials": basic.decode(),
        "first access token": first.access_token,
        "first refresh token": first.refresh_token,
        "second access token": second.access_token,
        "second refresh token": second.refresh_token,
    }
    for what, value in secrets.items():
        assert value not in logged, f"the {what} was logged"


def api_calls(simulator: SimulatorHandle) -> int:
    """API calls the simulator has answered since its last reset."""
    return simulator.counters()["api_calls"]
