"""The test-control API under /simulator/: faults, latency, clock, counters, reset."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests

from rcpyramid.simulator import app as simulator_app

ME = "/restapi/v1.0/account/~/extension/~"
TOKEN = "/restapi/oauth/token"


def test_counters_shape_and_counts(rc):
    assert rc.counters() == {
        "grants": {"authorization_code": 0, "refresh_token": 0},
        "refreshes": 0,
        "revokes": 0,
        "rate_limited": 0,
        "api_calls": 0,
        "token_errors": 0,
        "subscriptions": 0,
        "handshakes": 0,
        "deliveries": 0,
        "syncs": 0,
        "calls": 0,
    }
    tokens = rc.login()
    rc.get(ME, tokens["access_token"])
    rc.get(ME)  # a 401 still reached the API
    rc.exchange("bad-code")
    client = rc.simulator.config.clients[0]
    rc.post(
        "/restapi/oauth/revoke",
        data={"token": tokens["access_token"]},
        auth=(client.client_id, client.client_secret),
    )
    counters = rc.counters()
    assert counters["grants"]["authorization_code"] == 1
    assert counters["api_calls"] == 2
    assert counters["token_errors"] == 1
    assert counters["revokes"] == 1


def test_fail_next_json_429_then_recovers(rc):
    tokens = rc.login()
    queued = rc.control("fail-next", {"status": 429, "count": 2, "path": "/restapi/v1.0"})
    assert queued.status_code == 200
    assert queued.json()["queued"]["retry_after"] == 60
    for _ in range(2):
        response = rc.get(ME, tokens["access_token"])
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "60"
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.json()["errorCode"] == "CMN-301"
        assert response.headers["X-Rate-Limit-Group"] == "Light"
    assert rc.get(ME, tokens["access_token"]).status_code == 200
    counters = rc.counters()
    assert counters["rate_limited"] == 2
    assert counters["api_calls"] == 1  # failed requests did no work


def test_fail_next_on_the_token_path_does_no_work(rc):
    code = rc.code()
    rc.control("fail-next", {"status": 503, "path": TOKEN, "retry_after": 5})
    failed = rc.exchange(code)
    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "5"
    assert failed.json()["error"] == "service_unavailable"
    # The code was not consumed by the failed request.
    assert rc.exchange(code).status_code == 200
    # Other paths were never affected.
    assert rc.get("/restapi").status_code == 200


DIRECTORY = "/restapi/v1.0/account/~/extension"


def test_fail_next_exact_leaves_the_paths_under_it_alone(rc):
    tokens = rc.login()
    queued = rc.control("fail-next", {"status": 503, "path": DIRECTORY, "exact": True})
    assert queued.json()["queued"]["exact"] is True
    # A request under the path (the signed-in person's own extension) does not take it...
    assert rc.get(ME, tokens["access_token"]).status_code == 200
    # ...the path itself does, once.
    assert rc.get(DIRECTORY, tokens["access_token"]).status_code == 503
    assert rc.get(DIRECTORY, tokens["access_token"]).status_code == 200


def test_fail_next_by_prefix_is_still_the_default(rc):
    tokens = rc.login()
    queued = rc.control("fail-next", {"status": 503, "path": DIRECTORY})
    assert queued.json()["queued"]["exact"] is False
    assert rc.get(ME, tokens["access_token"]).status_code == 503
    assert rc.get(DIRECTORY, tokens["access_token"]).status_code == 200


def test_the_controls_client_passes_exact(rc):
    tokens = rc.login()
    queued = rc.running.fail_next(500, path=DIRECTORY, exact=True, count=2)
    assert (queued["path"], queued["exact"], queued["count"]) == (DIRECTORY, True, 2)
    assert rc.get(ME, tokens["access_token"]).status_code == 200
    assert rc.get(DIRECTORY, tokens["access_token"]).status_code == 500
    assert rc.get(DIRECTORY + "?page=2", tokens["access_token"]).status_code == 500
    assert rc.get(DIRECTORY, tokens["access_token"]).status_code == 200


def test_fail_next_html_answers_text_html(rc):
    rc.control("fail-next", {"status": 502, "content": "html"})
    response = rc.get("/restapi")
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<h1>502" in response.text
    rc.control("fail-next", {"status": 500})
    response = rc.get("/restapi")
    assert response.status_code == 500
    assert response.json()["errors"][0]["message"]


def test_fail_next_validation(rc):
    assert rc.control("fail-next", {"status": 404}).status_code == 400
    assert rc.control("fail-next", {"status": 429, "count": 0}).status_code == 400
    assert rc.control("fail-next", {"status": 429, "content": "xml"}).status_code == 400
    assert rc.control("fail-next", {"status": 429, "path": "restapi"}).status_code == 400
    assert rc.control("fail-next", {"status": 429, "exact": "yes"}).status_code == 400
    bad_json = rc.post(
        "/simulator/fail-next", data="{", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400
    form = rc.post("/simulator/fail-next", data={"status": "429"})
    assert form.status_code == 415


class HeldSleep:
    """Stands in for the simulator's ``time.sleep``: records each delay, holds until released.

    The latency checks assert which request was delayed and in what order things
    finished, never how long anything took (a busy CI machine stretches every request).
    """

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.release = threading.Event()

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        assert self.release.wait(30), "the test never released the held request"

    def wait_for_delays(self, count: int) -> None:
        deadline = time.monotonic() + 10
        while len(self.delays) < count:
            assert time.monotonic() < deadline, f"{count} delayed request(s) never arrived"
            time.sleep(0.01)


@pytest.fixture
def held_sleep(monkeypatch: pytest.MonkeyPatch) -> HeldSleep:
    held = HeldSleep()
    monkeypatch.setattr(simulator_app, "time", SimpleNamespace(sleep=held.sleep))
    return held


def test_latency_delays_matching_requests_for_count(rc, held_sleep):
    assert rc.control("latency", {"seconds": 0.4, "path": "/restapi/v1.0", "count": 1}).ok
    held_sleep.release.set()
    rc.get("/restapi/v1.0")
    rc.get("/restapi/v1.0")
    rc.get("/restapi")  # another path: never delayed
    # The first matching request slept the 0.4 s; the rule was then used up.
    assert held_sleep.delays == [0.4]


def test_latency_is_slept_outside_the_lock_and_can_be_cleared(rc, held_sleep):
    rc.control("latency", {"seconds": 1.0, "path": "/restapi/v1.0"})
    url = rc.url + "/restapi/v1.0"
    slow = requests.Session()
    finished: list[str] = []

    def slow_request() -> None:
        slow.get(url, timeout=30)
        finished.append("slow")

    worker = threading.Thread(target=slow_request)
    worker.start()
    held_sleep.wait_for_delays(1)
    # Control endpoints and other paths answer while the slow request is still asleep.
    assert rc.get("/restapi").status_code == 200
    assert rc.counters()["api_calls"] == 0
    finished.append("fast")
    held_sleep.release.set()
    worker.join(30)
    assert finished == ["fast", "slow"]
    assert rc.control("latency", {"seconds": 0}).json() == {"latency": None}
    rc.get("/restapi/v1.0")
    assert held_sleep.delays == [1.0]  # cleared: the last request was not delayed


def test_expire_access_tokens_for_one_user_or_all(rc):
    alice = rc.login("alice")
    bob = rc.login("bob")
    assert rc.control("expire-access-tokens", {"username": "alice"}).json() == {"expired": 1}
    assert rc.get(ME, alice["access_token"]).json()["errors"][0]["errorCode"] == "OAU-128"
    assert rc.get(ME, bob["access_token"]).status_code == 200
    assert rc.control("expire-access-tokens").json() == {"expired": 1}
    assert rc.get(ME, bob["access_token"]).status_code == 401
    assert rc.control("expire-access-tokens", {"username": "zed"}).status_code == 400
    # Refresh still works and gives a fresh access token.
    fresh = rc.refresh(alice["refresh_token"]).json()
    assert rc.get(ME, fresh["access_token"]).status_code == 200


def test_advance_clock_moves_time_for_every_rule(rc):
    tokens = rc.login()
    code = rc.code()
    before = rc.simulator.clock.now()
    response = rc.control("advance-clock", {"seconds": 120})
    assert response.status_code == 200
    assert rc.simulator.clock.now() - before == timedelta(seconds=120)
    assert rc.exchange(code).json()["errors"][0]["errorCode"] == "OAU-108"
    rc.advance(3600)
    assert rc.get(ME, tokens["access_token"]).json()["errors"][0]["errorCode"] == "OAU-128"
    assert rc.control("advance-clock", {"seconds": -1}).status_code == 400
    assert rc.control("advance-clock", {"seconds": "10"}).status_code == 400


def test_reset_forgets_everything(rc):
    tokens = rc.login()
    rc.control("fail-next", {"status": 500, "path": "/restapi/v1.0/account"})
    rc.control("latency", {"seconds": 5, "path": "/restapi/v1.0/account"})
    rc.advance(120)
    assert rc.control("reset").json() == {"reset": True}
    assert rc.simulator.clock.now() == rc.simulator.config.clock()
    response = rc.get(ME, tokens["access_token"])
    assert response.status_code == 401  # no 500, no delay: sessions are gone
    assert rc.counters()["grants"]["authorization_code"] == 0
    assert rc.counters()["api_calls"] == 1


def test_controls_are_404_when_disabled(make_rc):
    rc = make_rc(test_controls=False)
    for name in (
        "counters",
        "reset",
        "fail-next",
        "latency",
        "advance-clock",
        "expire-access-tokens",
    ):
        assert rc.get(f"/simulator/{name}").status_code == 404
        assert rc.post(f"/simulator/{name}", json={}).status_code == 404
    # The flow itself still works.
    assert rc.login()["token_type"] == "bearer"
