"""Liveness apart from readiness, the build's version, and the old /healthz unchanged."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import webtest

from rcpyramid.models.deadline import DatabaseBusyError
from rcpyramid.ops.version import package_version
from rcpyramid.tokens.interfaces import TokenStoreError
from rcpyramid.tokens.memory import MemoryTokenRepository
from tests.processes import free_port

#: Released at the end of the test that hangs the token store.
_RELEASE = threading.Event()


class DownTokenRepository(MemoryTokenRepository):
    """A token store that refuses every check (the memory backend's wiring, inherited)."""

    def ping(self) -> None:
        raise TokenStoreError("the database does not answer")


class BusyTokenRepository(MemoryTokenRepository):
    """A token store that answers, but this process's threads all wait on it already."""

    def ping(self) -> None:
        try:
            raise DatabaseBusyError("2 requests are already waiting for the database")
        except DatabaseBusyError as error:
            raise TokenStoreError("the token store is busy") from error


class HangingTokenRepository(MemoryTokenRepository):
    """A token store whose check never comes back (until the test ends)."""

    def ping(self) -> None:
        _RELEASE.wait(60)


@pytest.fixture
def released() -> Iterator[None]:
    _RELEASE.clear()
    yield
    _RELEASE.set()


def test_livez_answers_from_any_host_and_checks_nothing(make_testapp: Callable) -> None:
    testapp = make_testapp(**{"rcpyramid.tokens.backend": f"{__name__}.DownTokenRepository"})
    answer = testapp.get("/livez", headers={"Host": "10.0.0.5:5000"})
    assert answer.json == {"status": "ok"}
    assert answer.headers["Cache-Control"] == "no-store"


def test_readyz_is_ok_when_the_token_store_answers(testapp: webtest.TestApp) -> None:
    answer = testapp.get("/readyz", headers={"Host": "10.0.0.5:5000"})
    assert answer.json == {"status": "ok", "checks": {"token_store": "ok"}}


def test_readyz_names_a_token_store_that_fails(make_testapp: Callable) -> None:
    testapp = make_testapp(**{"rcpyramid.tokens.backend": f"{__name__}.DownTokenRepository"})
    answer = testapp.get("/readyz", status=503)
    assert answer.json["failed"] == ["token_store"]
    assert answer.json["checks"]["token_store"] == "TokenStoreError"
    # The old check keeps its own answer.
    assert testapp.get("/healthz", status=503).json["token_store"] == "down"


def test_a_busy_token_store_keeps_the_host_ready(make_testapp: Callable) -> None:
    testapp = make_testapp(**{"rcpyramid.tokens.backend": f"{__name__}.BusyTokenRepository"})
    answer = testapp.get("/readyz")
    assert answer.json == {"status": "ok", "checks": {"token_store": "busy"}}


def test_readyz_gives_up_on_a_hanging_token_store_after_its_timeout(
    make_testapp: Callable, released: None
) -> None:
    testapp = make_testapp(
        **{
            "rcpyramid.tokens.backend": f"{__name__}.HangingTokenRepository",
            "rcpyramid.health.timeout": "0.2",
        }
    )
    answer = testapp.get("/readyz", status=503)
    assert answer.json["checks"] == {"token_store": "timeout"}
    # Liveness does not wait on it at all.
    assert testapp.get("/livez").json == {"status": "ok"}


def test_readyz_names_redis_that_does_not_answer(make_testapp: Callable) -> None:
    testapp = make_testapp(
        **{
            "rcpyramid.cache.backend": "dogpile.cache.memory",
            "rcpyramid.cache.url": f"redis://127.0.0.1:{free_port()}/0",
            "rcpyramid.cache.socket_timeout": "0.2",
        }
    )
    answer = testapp.get("/readyz", status=503)
    assert answer.json["failed"] == ["redis"]
    assert answer.json["checks"] == {"token_store": "ok", "redis": "down"}
    # /healthz still calls it degraded, not down: the app works on per-process fallbacks.
    assert testapp.get("/healthz").json["status"] == "degraded"


def test_readyz_checks_redis_where_configured(make_testapp: Callable, redis_url: str) -> None:
    testapp = make_testapp(
        **{"rcpyramid.cache.backend": "dogpile.cache.memory", "rcpyramid.cache.url": redis_url}
    )
    assert testapp.get("/readyz").json["checks"] == {"token_store": "ok", "redis": "ok"}


def test_other_parts_add_their_own_readiness_checks(testapp: webtest.TestApp) -> None:
    def subscriptions(request: object) -> Callable[[], None]:
        def check() -> None:
            raise RuntimeError("no subscription is active")

        return check

    testapp.app.registry.readiness.add("subscriptions", subscriptions)
    answer = testapp.get("/readyz", status=503)
    assert answer.json["failed"] == ["subscriptions"]
    # Only the class name: an exception's text may hold an address or worse.
    assert answer.json["checks"]["subscriptions"] == "RuntimeError"


def test_version_says_unknown_commit_when_the_build_did_not_say(testapp: webtest.TestApp) -> None:
    answer = testapp.get("/version", headers={"Host": "10.0.0.5:5000"})
    assert answer.json["commit"] == "unknown"
    assert answer.json["version"] == package_version()


def test_version_reads_the_commit_from_the_environment(
    make_testapp: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RCPYRAMID_COMMIT", "0123abc")
    assert make_testapp().get("/version").json["commit"] == "0123abc"


def test_version_reads_the_file_the_build_wrote(make_testapp: Callable, tmp_path: Path) -> None:
    written = tmp_path / "version.json"
    written.write_text(json.dumps({"commit": "feedbeef", "build": "ci-42", "token": "no"}))
    answer = make_testapp(**{"rcpyramid.build.version_file": str(written)}).get("/version")
    assert answer.json == {"version": package_version(), "commit": "feedbeef", "build": "ci-42"}
