"""What the fast path of a signed-in page keeps true: writes bounded, pages per session."""

from __future__ import annotations

import re
from collections.abc import Callable

import webtest

from rcpyramid.security import SEEN_AT_RESOLUTION
from tests.clocks import MovableClock
from tests.journeys import SimulatorHandle, sign_in
from tests.stores import only_token

EXTENSIONS = "/test?api=extension"


def test_a_client_replaying_an_old_cookie_writes_last_seen_once_per_resolution(
    make_testapp: Callable[..., webtest.TestApp], clock: MovableClock, simulator: SimulatorHandle
) -> None:
    testapp = make_testapp(**{"rcpyramid.cache.backend": "dogpile.cache.memory"})
    sign_in(testapp)
    # A script (or a load generator) that never stores the cookies it is sent.
    old_cookie = "; ".join(f"{c.name}={c.value}" for c in testapp.cookiejar)
    testapp.cookiejar.clear()

    clock.advance(SEEN_AT_RESOLUTION + 1)
    testapp.get(EXTENSIONS, headers={"Cookie": old_cookie}, status=200)
    first_write = only_token(testapp).last_seen_at
    assert first_write is not None

    clock.advance(SEEN_AT_RESOLUTION / 2)
    for _ in range(3):
        testapp.get(EXTENSIONS, headers={"Cookie": old_cookie}, status=200)
    assert only_token(testapp).last_seen_at == first_write, "written on every request"

    clock.advance(SEEN_AT_RESOLUTION)
    testapp.get(EXTENSIONS, headers={"Cookie": old_cookie}, status=200)
    later = only_token(testapp).last_seen_at
    assert later is not None and later > first_write


def csrf_tokens(page: webtest.TestResponse) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', page.text))


def test_two_sessions_of_one_person_each_get_their_own_page(
    make_testapp: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    """One cached answer, two sign-ins of alice: each page carries its own session's form."""
    app = make_testapp(**{"rcpyramid.cache.backend": "dogpile.cache.memory"})
    phone = webtest.TestApp(app.app, extra_environ=app.extra_environ)
    sign_in(app, "alice")
    sign_in(phone, "alice")
    calls = simulator.counters()["api_calls"]
    pages = {name: [b.get(EXTENSIONS) for _ in range(2)] for name, b in (("a", app), ("p", phone))}
    assert simulator.counters()["api_calls"] == calls + 1, "one answer for both sessions"
    tokens = {name: csrf_tokens(seen[0]) for name, seen in pages.items()}
    assert len(tokens["a"]) == len(tokens["p"]) == 1
    assert tokens["a"] != tokens["p"]
    for name, seen in pages.items():
        assert csrf_tokens(seen[1]) == tokens[name]
    # Each session's own form signs out that session only.
    logout = next(f for f in pages["p"][1].forms.values() if f.action == "/logout")
    logout.submit(status=303)
    assert "Sign in with RingCentral" in phone.get("/").text
    assert "Data as of" in app.get(EXTENSIONS).text
