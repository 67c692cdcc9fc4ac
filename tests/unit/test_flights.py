"""The refresh protocol in one process: one thread per login refreshes; no rotated pair lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

from rcpyramid.clock import utcnow
from rcpyramid.ringcentral.flights import RefreshFlights
from rcpyramid.ringcentral.signed_in import SignedInRingCentral
from rcpyramid.tokens.interfaces import RefreshLease, Token, TokenStoreError
from rcpyramid.tokens.memory import MemoryTokenRepository
from rcpyramid.tokens.testing import make_token


class CountingClient:
    """Stands in for RingCentral's token endpoint: each refresh a new pair, counted."""

    def __init__(self) -> None:
        self.refreshes = 0
        self.lock = threading.Lock()

    def refresh(self, token: Token) -> Token:
        with self.lock:
            self.refreshes += 1
            number = self.refreshes
        return make_token(utcnow(), f"new-{number}")


class StoreAway(MemoryTokenRepository):
    """A store whose saves under the refresh lock fail while ``away`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.away = True

    def save(self, login_id: str, token: Token) -> Token:
        if self.away:
            raise TokenStoreError("the token store did not answer in time")
        return super().save(login_id, token)


def expired(suffix: str = "1") -> Token:
    past = utcnow() - timedelta(minutes=5)
    return replace(make_token(utcnow(), suffix), access_expires_at=past)


def test_a_herd_in_one_process_sends_one_thread_to_the_store() -> None:
    repo = MemoryTokenRepository()
    repo.save("login-1", expired())
    client = CountingClient()
    inside = 0
    most = 0
    count_lock = threading.Lock()
    original = repo.refreshing

    def counted(login_id: str) -> Iterator[RefreshLease]:
        nonlocal inside, most
        with count_lock:
            inside += 1
            most = max(most, inside)
        try:
            with original(login_id) as lease:
                yield lease
        finally:
            with count_lock:
                inside -= 1

    repo.refreshing = contextmanager(counted)  # type: ignore[method-assign]
    api = SignedInRingCentral(client, repo, utcnow, flights=RefreshFlights())  # type: ignore[arg-type]
    stale = repo.get("login-1")
    assert stale is not None
    with ThreadPoolExecutor(max_workers=16) as pool:
        tokens = list(pool.map(lambda _: api.refresh("login-1", stale), range(16)))
    assert {token.access_token for token in tokens} == {"access-new-1"}
    assert client.refreshes == 1
    assert most == 1, "more than one thread of the process waited on the store's lock"


def test_a_rotated_pair_the_store_refuses_is_kept_and_saved_when_it_returns() -> None:
    repo = StoreAway()
    repo.away = False
    repo.save("login-1", expired())
    repo.away = True
    client = CountingClient()
    api = SignedInRingCentral(client, repo, utcnow, flights=RefreshFlights())  # type: ignore[arg-type]
    stale = repo.get("login-1")
    assert stale is not None
    fresh = api.refresh("login-1", stale)
    assert fresh.access_token == "access-new-1"
    # The next request uses the rotated pair, not the spent one the store still has.
    assert api.load("login-1").refresh_token == "refresh-new-1"
    assert api.flights.unsaved_count == 1
    repo.away = False
    assert api.load("login-1").refresh_token == "refresh-new-1"
    stored = repo.get("login-1")
    assert stored is not None and stored.refresh_token == "refresh-new-1"
    assert api.flights.unsaved("login-1") is None
    assert client.refreshes == 1
