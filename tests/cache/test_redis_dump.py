"""Everything the app writes to Redis: no name, phone number, owner id or token in it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import redis
import webtest

from tests.journeys import SimulatorHandle, sign_in
from tests.stores import stored_logins

PAGES = (
    "/test?api=extension",
    "/test?api=extension-call-log",
    "/test?api=account-call-log",
    "/test?api=extension-call-log&from=2026-01-01&to=2026-03-01",
)
PRIVATE_FIELDS = {"name", "phoneNumber", "email", "firstName", "lastName", "businessPhone"}


def private_values(data: Any) -> Iterator[str]:
    """Names, numbers and addresses anywhere in a RingCentral answer."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in PRIVATE_FIELDS and isinstance(value, str) and len(value) >= 4:
                yield value
            elif key == "extensionNumber" and isinstance(value, str):
                yield json.dumps(value)  # as it would sit in JSON: "101"
            else:
                yield from private_values(value)
    elif isinstance(data, list):
        for item in data:
            yield from private_values(item)


def dump(client: redis.Redis) -> list[bytes]:
    """Every key, and every value under it, of the whole database."""
    blobs: list[bytes] = []
    for key in client.scan_iter(count=1000):
        blobs.append(key)
        kind = client.type(key)
        if kind == b"string":
            blobs.append(client.get(key) or b"")
        elif kind == b"hash":
            for field, value in client.hgetall(key).items():
                blobs += [field, value]
    return blobs


def test_a_dump_of_redis_holds_nothing_personal(
    make_app: Callable[..., webtest.TestApp],
    redis_settings: dict[str, str],
    redis_client: redis.Redis,
    simulator: SimulatorHandle,
) -> None:
    testapp = make_app(**redis_settings)
    bob = webtest.TestApp(testapp.app, extra_environ=testapp.extra_environ)
    secrets: set[str] = set()
    for browser, username in ((testapp, "alice"), (bob, "bob")):
        sign_in(browser, username)
        for path in PAGES:
            # Bob is no administrator: the account's call log is refused to him (403).
            if browser.get(path, status=[200, 403]).status_int == 200:
                secrets.update(private_values(browser.get(path + "&format=json").json))
    for _, token in stored_logins(testapp).items():
        secrets.update({token.access_token, token.refresh_token or "", token.owner_id})
        secrets.add(token.owner_name)
    secrets.discard("")
    assert any("Alice" in value for value in secrets)  # the answers held such values
    blobs = dump(redis_client)
    assert len(blobs) > 10, "the app wrote nothing to Redis"
    for blob in blobs:
        for value in secrets:
            assert value.encode() not in blob, f"{value!r} is readable in Redis"
