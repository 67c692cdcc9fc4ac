"""The answer cache: shared where it should be, never between people, gone at sign-out."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import webtest

from tests.clocks import MovableClock
from tests.journeys import SimulatorHandle, api_calls, sign_in

CALL_LOG = "/test?api=extension-call-log"


def own_extension_uri(page: webtest.TestResponse) -> str:
    """The call log's own address names whose log it is (RingCentral's numeric ids)."""
    return json.loads(page.body)["uri"].split("/call-log")[0]


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_two_people_never_see_each_others_answers(
    make_app: Callable[..., webtest.TestApp],
    redis_settings: dict[str, str],
    simulator: SimulatorHandle,
    backend: str,
) -> None:
    settings = redis_settings if backend == "redis" else {}
    app = make_app(**settings)
    alice = app
    bob = webtest.TestApp(app.app, extra_environ=app.extra_environ)
    sign_in(alice, "alice")
    sign_in(bob, "bob")
    seen = {}
    for _ in range(2):
        for name, browser in (("alice", alice), ("bob", bob)):
            page = browser.get(CALL_LOG + "&format=json")
            seen.setdefault(name, set()).add(own_extension_uri(page))
    assert len(seen["alice"]) == len(seen["bob"]) == 1
    assert seen["alice"] != seen["bob"]
    for browser in (alice, bob):
        html = browser.get(CALL_LOG)
        assert "Data as of" in html.text


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_repeated_views_share_one_call_and_json_is_byte_for_byte(
    make_app: Callable[..., webtest.TestApp],
    redis_settings: dict[str, str],
    simulator: SimulatorHandle,
    backend: str,
) -> None:
    testapp = make_app(**(redis_settings if backend == "redis" else {}))
    sign_in(testapp)
    before = api_calls(simulator)
    first = testapp.get(CALL_LOG + "&format=json")
    again = testapp.get(CALL_LOG + "&format=json")
    testapp.get(CALL_LOG)
    assert api_calls(simulator) == before + 1
    assert again.body == first.body
    assert again.headers["Cache-Control"] == "no-store"


def test_the_default_window_is_one_key_and_a_chosen_range_another(
    make_app: Callable[..., webtest.TestApp], simulator: SimulatorHandle, clock: MovableClock
) -> None:
    testapp = make_app()
    sign_in(testapp)
    before = api_calls(simulator)
    testapp.get(CALL_LOG)
    clock.advance(5)  # the default window's end moved on; it is still the default window
    testapp.get(CALL_LOG)
    assert api_calls(simulator) == before + 1
    testapp.get(CALL_LOG + "&from=2026-01-01&to=2026-01-31")
    testapp.get(CALL_LOG + "&from=2026-01-01&to=2026-01-31&page=1")
    assert api_calls(simulator) == before + 2
    testapp.get(CALL_LOG + "&page=2")
    assert api_calls(simulator) == before + 3


def test_refresh_skips_the_cache_and_the_page_says_how_old_its_data_is(
    make_app: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    testapp = make_app()
    sign_in(testapp)
    before = api_calls(simulator)
    page = testapp.get(CALL_LOG)
    freshness = page.html.select_one(".freshness")
    assert freshness.select_one("time").text.count(":") == 2  # "12:03:41"
    refresh = freshness.select_one("a")
    assert refresh.text.strip() == "Refresh"
    testapp.get(refresh["href"])
    assert api_calls(simulator) == before + 2
    testapp.get(CALL_LOG)
    assert api_calls(simulator) == before + 2


def test_the_null_backend_caches_nothing(
    make_app: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    testapp = make_app(**{"rcpyramid.cache.backend": "dogpile.cache.null"})
    sign_in(testapp)
    before = api_calls(simulator)
    testapp.get(CALL_LOG)
    testapp.get(CALL_LOG)
    assert api_calls(simulator) == before + 2


def test_entries_expire_after_their_groups_lifetime(
    make_app: Callable[..., webtest.TestApp],
    redis_settings: dict[str, str],
    simulator: SimulatorHandle,
) -> None:
    import time

    testapp = make_app(**redis_settings, **{"rcpyramid.cache.lifetimes": "Heavy=1"})
    sign_in(testapp)
    before = api_calls(simulator)
    testapp.get(CALL_LOG)
    deadline = time.monotonic() + 15
    while api_calls(simulator) == before + 1:
        assert time.monotonic() < deadline, "a one-second lifetime never ran out"
        testapp.get(CALL_LOG)
        time.sleep(0.2)
    # Lifetimes are per group: the extension list (Medium) is still cached meanwhile.
    testapp.get("/test?api=extension")
    calls = api_calls(simulator)
    testapp.get("/test?api=extension")
    assert api_calls(simulator) == calls


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("rcpyramid.cache.backend", "dogpile.cache.memcached", "rcpyramid.cache.backend"),
        ("rcpyramid.cache.backend", "dogpile.cache.redis", "rcpyramid.cache.url"),
        ("rcpyramid.cache.lifetimes", "Heavy=soon", "rcpyramid.cache.lifetimes"),
        ("rcpyramid.cache.url", "http://127.0.0.1:6379", "rcpyramid.cache.url"),
    ],
)
def test_a_bad_cache_setting_refuses_to_start_and_names_it(
    make_app: Callable[..., webtest.TestApp], key: str, value: str, named: str
) -> None:
    from rcpyramid.config import SettingsError

    with pytest.raises(SettingsError, match=named.replace(".", r"\.")):
        make_app(**{key: value})


def test_an_entry_sealed_under_another_key_is_a_miss_not_an_error(
    make_app: Callable[..., webtest.TestApp],
    redis_settings: dict[str, str],
    simulator: SimulatorHandle,
) -> None:
    from rcpyramid.tokens.crypto import new_key_text

    old, new = new_key_text("old"), new_key_text("new")
    same_id_other_bytes = new_key_text("old")
    first = make_app(**redis_settings, **{"rcpyramid.tokens.keys": old})
    sign_in(first)
    first.get(CALL_LOG)
    for keys in (new, same_id_other_bytes):  # a rotation that dropped the old key; a wrong key
        later = make_app(**redis_settings, **{"rcpyramid.tokens.keys": keys})
        sign_in(later)
        calls = api_calls(simulator)
        assert later.get(CALL_LOG).status_int == 200
        assert api_calls(simulator) == calls + 1
        # The new entry opens under the new key, so the next view is a hit again.
        later.get(CALL_LOG)
        assert api_calls(simulator) == calls + 1
