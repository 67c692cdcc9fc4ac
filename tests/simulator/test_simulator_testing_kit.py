"""The test kit, `rcpyramid.simulator.testing`: opt-in plugin, fixture, controls client."""

from __future__ import annotations

import importlib.metadata
import re
from datetime import timedelta

import pytest
import requests

from rcpyramid.simulator.testing import DemoUser, RegisteredClient, start_simulator
from tests.processes import ROOT

pytest_plugins = ["pytester"]
ME = "/restapi/v1.0/account/~/extension/~"


def _readme_example() -> str:
    """The documented test of another app (docs/simulator.md), exactly as a reader copies it."""
    for page in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))):
        text = page.read_text(encoding="utf-8")
        found = re.search(r"<!-- test-kit-example -->\n```python\n(.*?)```", text, re.DOTALL)
        if found:
            return found.group(1)
    raise AssertionError("the docs lost their test-kit example (<!-- test-kit-example -->)")


def _access_token(sim, username: str) -> str:
    """Sign in at the simulator and redeem the code as the first client would."""
    code = re.search(r"code=([^&]+)", sim.sign_in(sim.authorize_url(), username)).group(1)
    client = sim.client
    answer = requests.post(
        sim.url + "/restapi/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": client.redirect_uris[0],
        },
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


@pytest.mark.subprocess
def test_the_readme_example_passes_with_the_plugin_and_needs_opting_in(pytester):
    pytester.makepyfile(test_other_app=_readme_example())
    opted_in = pytester.runpytest_subprocess("-p", "rcpyramid.simulator.testing", "-q")
    opted_in.assert_outcomes(passed=1)
    # Installing rcpyramid adds nothing to anyone's pytest run without that -p.
    left_out = pytester.runpytest_subprocess("-q")
    left_out.assert_outcomes(errors=1)
    left_out.stdout.fnmatch_lines(["*fixture 'ringcentral_simulator' not found*"])


def test_the_plugin_is_no_pytest11_entry_point():
    plugins = importlib.metadata.entry_points(group="pytest11")
    assert not [e for e in plugins if e.value.startswith("rcpyramid")]


@pytest.mark.subprocess
def test_a_conftest_opts_in_and_chooses_clients_and_users(pytester):
    pytester.makeconftest(
        """
        import pytest
        from rcpyramid.simulator.testing import DemoUser, RegisteredClient

        pytest_plugins = ["rcpyramid.simulator.testing"]

        @pytest.fixture
        def ringcentral_simulator_clients():
            return (RegisteredClient("my-app", "my-secret", ("http://localhost:8000/cb",)),)

        @pytest.fixture
        def ringcentral_simulator_users():
            return (DemoUser("dana", "dana-pw", "Dana Scully", "170", admin=True),)
        """
    )
    pytester.makepyfile(
        """
        from urllib.parse import parse_qs, urlsplit

        def test_dana_signs_in_to_my_app(ringcentral_simulator):
            sim = ringcentral_simulator
            assert sim.client.client_id == "my-app"
            landed = sim.sign_in(sim.authorize_url(state="s"), "dana")
            assert landed.startswith("http://localhost:8000/cb?code=")
            assert parse_qs(urlsplit(landed).query)["state"] == ["s"]
        """
    )
    pytester.runpytest_subprocess("-q").assert_outcomes(passed=1)


def test_the_controls_client_drives_every_control():
    with start_simulator() as sim:
        me = {"Authorization": f"bearer {_access_token(sim, 'alice')}"}

        def read() -> requests.Response:
            return requests.get(sim.url + ME, headers=me, timeout=10)

        assert sim.counters()["grants"]["authorization_code"] == 1
        assert sim.fail_next(503, retry_after=5)["retry_after"] == 5
        failed = read()
        assert (failed.status_code, failed.headers["Retry-After"]) == (503, "5")
        assert sim.latency(0.2, count=1) == {"seconds": 0.2, "path": "/restapi", "count": 1}
        assert read().status_code == 200
        before = sim.simulator.clock.now()
        assert sim.advance_clock(30) - before >= timedelta(seconds=30)
        assert sim.expire_access_tokens("alice") == 1
        assert read().json()["errors"][0]["errorCode"] == "OAU-128"
        sim.reset()
        assert sim.counters()["api_calls"] == 0
        assert read().status_code == 401  # the session is forgotten
    with pytest.raises(requests.ConnectionError):
        read()  # stopped on leaving the block


def test_users_and_clients_of_ones_own(start_ringcentral_simulator):
    client = RegisteredClient("mine", "s3cret", ("http://app.test/cb",))
    dave = DemoUser(
        "dave", "dave-pw", "Dave Lister", "170", timezone="Asia/Tokyo", department="Mining"
    )
    sim = start_ringcentral_simulator(clients=(client,), users=(dave,), rate_limits="default")
    headers = {"Authorization": f"bearer {_access_token(sim, 'dave')}"}
    me = requests.get(sim.url + ME, headers=headers, timeout=10)
    assert me.headers["X-Rate-Limit-Limit"] == "50"  # "default" enforces RingCentral's
    body = me.json()
    assert (body["name"], body["extensionNumber"]) == ("Dave Lister", "170")
    assert body["contact"]["email"] == "dave@example.com"
    assert body["contact"]["department"] == "Mining"
    assert body["regionalSettings"]["timezone"]["name"] == "Asia/Tokyo"
    calls = requests.get(sim.url + ME + "/call-log", headers=headers, timeout=10).json()
    assert len(calls["records"]) >= 60  # the first user gets the busiest log
    with pytest.raises(AssertionError, match="401"):
        sim.sign_in(sim.authorize_url(), "alice")  # not one of this simulator's users


@pytest.mark.parametrize(
    "users, problem",
    [
        ((), "at least one user"),
        ((DemoUser("a", "p", "A", "170"), DemoUser("a", "q", "B", "171")), "unique"),
        ((DemoUser("a", "p", "A", "104"),), "extension numbers"),
        ((DemoUser("a", "p", "A", "170", timezone="Mars/Olympus"),), "unknown time zones"),
    ],
)
def test_users_the_directory_cannot_hold_are_refused(users, problem):
    with pytest.raises(ValueError, match=problem):
        start_simulator(users=users)
