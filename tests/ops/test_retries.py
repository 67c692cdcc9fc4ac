"""Retries that respect RingCentral, against the simulator's failure switches: a GET that
meets a 502/503 (or a broken connection) is sent again after a pause; a POST never, a
token request never; the deadline and Retry-After hold."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import webtest

from rcpyramid.ringcentral import retries
from rcpyramid.ringcentral.ratelimit import RateLimitBudget
from tests.browser import authorize_at_simulator, local_path
from tests.journeys import SimulatorHandle, sign_in, start_sign_in
from tests.ops.test_metrics import LOOPBACK, samples, value
from tests.relay import Relay

CALL_LOG = "/restapi/v1.0/account/~/extension"
PAGE = "/test?api=extension"


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses retries take, recorded instead of slept (the tests stay quick)."""
    taken: list[float] = []
    monkeypatch.setattr(retries, "_sleep", taken.append)
    return taken


@pytest.fixture
def app(make_testapp: Callable[..., webtest.TestApp], pauses: list[float]) -> webtest.TestApp:
    return make_testapp(**{"rcpyramid.metrics": "true"})


def retried(testapp: webtest.TestApp) -> dict[str, float]:
    read = samples(testapp.get("/metrics", extra_environ=LOOPBACK).text)
    return {
        reason: value(read, "rcpyramid_ringcentral_retries_total", reason=reason)
        for reason in ("502", "503", "504", "408", "broken")
    }


def api_calls(simulator: SimulatorHandle) -> int:
    return int(simulator.counters()["api_calls"])


@pytest.mark.parametrize("status", [502, 503])
def test_a_failure_then_an_answer_gives_the_page_after_one_retry(
    app: webtest.TestApp, simulator: SimulatorHandle, pauses: list[float], status: int
) -> None:
    sign_in(app)
    before, calls = retried(app), api_calls(simulator)
    simulator.fail_next(status, path=CALL_LOG)
    page = app.get(PAGE)
    assert page.status_int == 200 and "records" in page.text
    assert retried(app)[str(status)] - before[str(status)] == 1
    assert api_calls(simulator) == calls + 1  # the failure was answered before any work
    assert len(pauses) == 1 and 0 < pauses[0] <= retries.BACKOFF  # jittered, not zero


def test_the_503_page_comes_only_when_the_retries_are_spent(
    app: webtest.TestApp, simulator: SimulatorHandle, pauses: list[float]
) -> None:
    sign_in(app)
    before = retried(app)["503"]
    simulator.fail_next(503, path=CALL_LOG, count=3)
    page = app.get(PAGE, expect_errors=True)
    assert page.status_int == 502 and "RingCentral" in page.text
    assert retried(app)["503"] - before == 2  # ringcentral.retries = 2 by default
    # The pauses grow: half to all of 0.25 s, then of 0.5 s.
    assert len(pauses) == 2 and pauses[0] <= 0.25 and 0.25 <= pauses[1] <= 0.5
    assert app.get(PAGE).status_int == 200  # every queued failure was used up


def test_retry_after_is_honoured_when_it_fits_in_the_deadline(
    app: webtest.TestApp, simulator: SimulatorHandle, pauses: list[float]
) -> None:
    sign_in(app)
    simulator.fail_next(503, path=CALL_LOG, retry_after=2)
    assert app.get(PAGE).status_int == 200
    assert pauses == [2]


def test_no_retry_whose_pause_would_pass_the_deadline(
    app: webtest.TestApp, simulator: SimulatorHandle, pauses: list[float]
) -> None:
    sign_in(app)
    before, calls = retried(app)["503"], api_calls(simulator)
    # ringcentral.total_timeout is 30 s: RingCentral's 120 s cannot be waited out here.
    simulator.fail_next(503, path=CALL_LOG, retry_after=120)
    page = app.get(PAGE, expect_errors=True)
    assert page.status_int == 503 and page.headers["Retry-After"] == "120"
    assert pauses == [] and retried(app)["503"] == before and api_calls(simulator) == calls


def test_a_sign_out_post_is_never_sent_twice(
    app: webtest.TestApp, simulator: SimulatorHandle, pauses: list[float]
) -> None:
    sign_in(app)
    simulator.fail_next(503, path="/restapi/oauth/revoke")
    home = app.get("/")
    next(form for form in home.forms.values() if form.action == "/logout").submit().follow()
    assert simulator.counters()["revokes"] == 0  # one attempt, answered 503; none after
    assert pauses == []


def test_a_token_request_is_never_sent_twice(
    app: webtest.TestApp, simulator: SimulatorHandle, pauses: list[float]
) -> None:
    callback = authorize_at_simulator(start_sign_in(app))
    simulator.fail_next(503, path="/restapi/oauth/token")
    app.get(local_path(callback), expect_errors=True)
    assert simulator.counters()["grants"]["authorization_code"] == 0
    sign_in(app)
    simulator.expire_access_tokens()
    simulator.fail_next(503, path="/restapi/oauth/token")
    app.get(PAGE, expect_errors=True)
    assert simulator.counters()["refreshes"] == 0
    assert pauses == []


def test_a_retry_spends_the_rate_limit_budget(
    app: webtest.TestApp, simulator: SimulatorHandle, pauses: list[float]
) -> None:
    sign_in(app)
    spent: list[int] = []
    budget = app.app.registry.rcpyramid_services[RateLimitBudget](None, None)
    original = budget.check

    def check(*args: Any) -> None:
        spent.append(1)
        original(*args)

    budget.check = check
    simulator.fail_next(503, path=CALL_LOG)
    assert app.get(PAGE).status_int == 200
    assert len(spent) == 2  # the call, and its retry


class ResettingFront(Relay):
    """A relay to the simulator that resets the connection of the next request (when armed)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.armed = threading.Event()
        super().__init__(target)

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        if source.getsockname()[1] != self.port:
            super()._pipe(source, sink)  # the simulator's answers go through as they come
            return
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if self.armed.is_set():
                    self.armed.clear()
                    # An RST, as a crashed server or a load balancer dropping it sends.
                    source.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    break
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.close()


@pytest.fixture
def front(simulator: SimulatorHandle) -> Iterator[ResettingFront]:
    host, port = simulator.url.rsplit("//", 1)[1].split(":")
    running = ResettingFront((host, int(port)))
    yield running
    running.close()


def test_a_reset_connection_is_retried(
    make_testapp: Callable[..., webtest.TestApp],
    front: ResettingFront,
    pauses: list[float],
) -> None:
    app = make_testapp(
        **{"rcpyramid.metrics": "true", "ringcentral.server_url": f"http://127.0.0.1:{front.port}"}
    )
    sign_in(app)
    before = retried(app)["broken"]
    front.armed.set()
    assert app.get(PAGE).status_int == 200
    assert not front.armed.is_set()  # the reset happened
    assert retried(app)["broken"] - before == 1
