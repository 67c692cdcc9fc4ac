"""The answer cache: shared where it should be, never between people, gone at sign-out."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest
import redis
import webtest

from rcpyramid.cache import Cache
from rcpyramid.cache.keys import PREFIX
from rcpyramid.services import process_service
from tests.clocks import MovableClock
from tests.journeys import SimulatorHandle, api_calls, sign_in, signed_in_app
from tests.stores import only_token

#: A page from a cached RingCentral answer (the call logs read the local history).
EXTENSIONS = "/test?api=extension"


def test_two_people_never_see_each_others_answers(
    make_app: Callable[..., webtest.TestApp], cache_settings: dict[str, str]
) -> None:
    app = make_app(**cache_settings)
    alice = app
    bob = webtest.TestApp(app.app, extra_environ=app.extra_environ)
    sign_in(alice, "alice")
    sign_in(bob, "bob")
    seen: dict[str, set[str]] = {}
    for _ in range(2):
        for name, browser in (("alice", alice), ("bob", bob)):
            # The dashboard names the person from their own extension info (cached, Light).
            page = browser.get("/")
            seen.setdefault(name, set()).add(page.html.select_one("h1").text)
    assert seen == {"alice": {"Signed in as Alice Smith"}, "bob": {"Signed in as Bob Johnson"}}
    for browser in (alice, bob):
        html = browser.get(EXTENSIONS)
        assert "Data as of" in html.text


def test_repeated_views_share_one_call_and_json_is_byte_for_byte(
    make_app: Callable[..., webtest.TestApp],
    cache_settings: dict[str, str],
    simulator: SimulatorHandle,
) -> None:
    testapp = signed_in_app(make_app, **cache_settings)
    before = api_calls(simulator)
    first = testapp.get(EXTENSIONS + "&format=json")
    again = testapp.get(EXTENSIONS + "&format=json")
    testapp.get(EXTENSIONS)
    assert api_calls(simulator) == before + 1
    assert again.body == first.body
    assert again.headers["Cache-Control"] == "no-store"


def test_each_page_of_a_list_is_a_key_of_its_own(
    make_app: Callable[..., webtest.TestApp], simulator: SimulatorHandle, clock: MovableClock
) -> None:
    testapp = signed_in_app(make_app)
    before = api_calls(simulator)
    testapp.get(EXTENSIONS)
    clock.advance(5)
    testapp.get(EXTENSIONS + "&page=1")
    assert api_calls(simulator) == before + 1
    testapp.get(EXTENSIONS + "&page=2")
    assert api_calls(simulator) == before + 2


def test_refresh_skips_the_cache_and_the_page_says_how_old_its_data_is(
    make_app: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    testapp = signed_in_app(make_app)
    before = api_calls(simulator)
    page = testapp.get(EXTENSIONS)
    freshness = page.html.select_one(".freshness")
    assert freshness.select_one("time").text.count(":") == 2  # "12:03:41"
    refresh = freshness.select_one("a")
    assert refresh.text.strip() == "Refresh"
    testapp.get(refresh["href"])
    assert api_calls(simulator) == before + 2
    testapp.get(EXTENSIONS)
    assert api_calls(simulator) == before + 2


def test_the_null_backend_caches_nothing(
    make_app: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    testapp = signed_in_app(make_app, **{"rcpyramid.cache.backend": "dogpile.cache.null"})
    before = api_calls(simulator)
    testapp.get(EXTENSIONS)
    testapp.get(EXTENSIONS)
    assert api_calls(simulator) == before + 2


def test_entries_expire_after_their_groups_lifetime(
    signed_in_on_redis: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    import time

    testapp = signed_in_on_redis(**{"rcpyramid.cache.lifetimes": "Medium=1"})
    before = api_calls(simulator)
    testapp.get(EXTENSIONS)
    deadline = time.monotonic() + 15
    while api_calls(simulator) == before + 1:
        assert time.monotonic() < deadline, "a one-second lifetime never ran out"
        testapp.get(EXTENSIONS)
        time.sleep(0.2)
    # Lifetimes are per group: the person's details (Light) are still cached meanwhile.
    testapp.get("/")
    calls = api_calls(simulator)
    testapp.get("/")
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
    signed_in_on_redis: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    from rcpyramid.tokens.crypto import new_key_text

    old, new = new_key_text("old"), new_key_text("new")
    same_id_other_bytes = new_key_text("old")
    first = signed_in_on_redis(**{"rcpyramid.tokens.keys": old})
    first.get(EXTENSIONS)
    for keys in (new, same_id_other_bytes):  # a rotation that dropped the old key; a wrong key
        later = signed_in_on_redis(**{"rcpyramid.tokens.keys": keys})
        calls = api_calls(simulator)
        assert later.get(EXTENSIONS).status_int == 200
        assert api_calls(simulator) == calls + 1
        # The new entry opens under the new key, so the next view is a hit again.
        later.get(EXTENSIONS)
        assert api_calls(simulator) == calls + 1


def our_answer_keys(app: webtest.TestApp, client: redis.Redis) -> list[bytes]:
    """The answer keys in Redis that this app's cache opens (other tests share Redis)."""
    cache = process_service(app.app.registry, Cache)
    ours = []
    for key in client.scan_iter(match=PREFIX + "a:*", count=1000):
        value = client.get(key)
        _, _, sealed = (value or b"").partition(b"|")
        if cache.answers.open(key.decode(), sealed) is not None:
            ours.append(key)
    return ours


@pytest.mark.parametrize(
    "junk",
    [
        b'{"records": []}',
        pickle.dumps({"ct": 1.0, "v": 1}),
        b"\xff\xfe junk",
        b'{"v": 1}|payload',
        b"not json|payload",
    ],
)
def test_an_unreadable_answer_entry_is_a_miss_not_an_error(
    signed_in_on_redis: Callable[..., webtest.TestApp],
    redis_client: redis.Redis,
    simulator: SimulatorHandle,
    junk: bytes,
) -> None:
    app = signed_in_on_redis()
    app.get(EXTENSIONS)
    keys = our_answer_keys(app, redis_client)
    assert keys
    for key in keys:
        redis_client.set(key, junk, ex=60)
    calls = api_calls(simulator)
    assert app.get(EXTENSIONS).status_int == 200
    assert api_calls(simulator) == calls + 1


def test_an_unreadable_generation_is_a_miss_not_an_error(
    signed_in_on_redis: Callable[..., webtest.TestApp],
    redis_client: redis.Redis,
    simulator: SimulatorHandle,
) -> None:
    app = signed_in_on_redis()
    app.get(EXTENSIONS)
    cache = process_service(app.app.registry, Cache)
    person = cache.person(only_token(app).owner_id)
    redis_client.set(cache.keys.generation_key(person), "gén\xff".encode("latin-1"), ex=60)
    calls = api_calls(simulator)
    assert app.get(EXTENSIONS).status_int == 200
    assert api_calls(simulator) == calls + 1
    # The odd generation is still a generation: the next view is a hit.
    assert app.get(EXTENSIONS).status_int == 200
    assert api_calls(simulator) == calls + 1
