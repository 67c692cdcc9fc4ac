"""One behavioural suite for every TokenRepository backend (the contract in interfaces.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from rcpyramid.tokens.interfaces import PendingSignIn, Token, TokenRepository, state_digest
from rcpyramid.tokens.memory import MemoryTokenRepository
from tests.clocks import MovableClock

BACKENDS: dict[str, Callable[[MovableClock], TokenRepository]] = {
    "memory": lambda clock: MemoryTokenRepository(clock=clock),
}


@pytest.fixture(params=sorted(BACKENDS))
def repo(request: pytest.FixtureRequest, clock: MovableClock) -> TokenRepository:
    return BACKENDS[request.param](clock)


def make_token(now: datetime, suffix: str = "1") -> Token:
    return Token(
        access_token=f"access-{suffix}",
        access_expires_at=now + timedelta(hours=1),
        refresh_token=f"refresh-{suffix}",
        refresh_expires_at=now + timedelta(days=7),
        token_type="bearer",
        scope="ReadAccounts ReadCallLog",
        owner_id="101",
        endpoint_id="endpoint-1",
        owner_name="Alice Smith",
    )


def test_missing_login_is_none(repo: TokenRepository) -> None:
    assert repo.get("nobody") is None


def test_round_trip_keeps_every_field_in_utc(repo: TokenRepository, clock: MovableClock) -> None:
    token = make_token(clock())
    stored = repo.save("login-a", token)
    got = repo.get("login-a")
    assert got == stored
    for name in (
        "access_token",
        "refresh_token",
        "token_type",
        "scope",
        "owner_id",
        "endpoint_id",
        "owner_name",
        "access_expires_at",
        "refresh_expires_at",
    ):
        assert getattr(got, name) == getattr(token, name)
    for moment in (got.access_expires_at, got.refresh_expires_at, got.created_at, got.updated_at):
        assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)


def test_overwrite_rotates_and_keeps_created_at(repo: TokenRepository, clock: MovableClock) -> None:
    first = repo.save("login-a", make_token(clock(), "1"))
    clock.advance(30)
    second = repo.save("login-a", make_token(clock(), "2"))
    got = repo.get("login-a")
    assert got.access_token == "access-2" and got.refresh_token == "refresh-2"
    assert got.created_at == first.created_at
    assert second.updated_at > first.updated_at


def test_keys_are_isolated(repo: TokenRepository, clock: MovableClock) -> None:
    repo.save("login-a", make_token(clock(), "a"))
    repo.save("login-b", make_token(clock(), "b"))
    repo.delete("login-a")
    assert repo.get("login-a") is None
    assert repo.get("login-b").access_token == "access-b"


def test_delete_is_idempotent(repo: TokenRepository, clock: MovableClock) -> None:
    repo.save("login-a", make_token(clock()))
    repo.delete("login-a")
    repo.delete("login-a")
    assert repo.get("login-a") is None


def test_pending_sign_ins_are_single_use(repo: TokenRepository, clock: MovableClock) -> None:
    pending = PendingSignIn(
        state_hash=state_digest("state-1"),
        code_verifier="v" * 43,
        browser_id="browser-1",
        expires_at=clock() + timedelta(minutes=10),
    )
    repo.add_pending(pending)
    assert repo.take_pending(state_digest("state-1"), clock()) == pending
    assert repo.take_pending(state_digest("state-1"), clock()) is None


def test_pending_sign_ins_expire(repo: TokenRepository, clock: MovableClock) -> None:
    repo.add_pending(
        PendingSignIn(state_digest("s"), "v" * 43, "b", expires_at=clock() + timedelta(minutes=10))
    )
    clock.advance(601)
    assert repo.take_pending(state_digest("s"), clock()) is None


def test_refreshing_serialises_concurrent_callers(
    repo: TokenRepository, clock: MovableClock
) -> None:
    repo.save("login-a", make_token(clock(), "0"))
    inside = 0
    most_inside = 0
    spent: list[str] = []
    guard = threading.Lock()

    def refresh_once() -> None:
        nonlocal inside, most_inside
        with repo.refreshing("login-a") as lease:
            with guard:
                inside += 1
                most_inside = max(most_inside, inside)
            # Re-read under the lock: only the first caller finds the old token.
            if lease.token.access_token == "access-0":
                time.sleep(0.05)
                spent.append(lease.token.refresh_token)
                lease.save(make_token(clock(), "1"))
            with guard:
                inside -= 1

    threads = [threading.Thread(target=refresh_once) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most_inside == 1
    assert spent == ["refresh-0"]
    assert repo.get("login-a").access_token == "access-1"


def test_refreshing_of_different_logins_does_not_wait(
    repo: TokenRepository, clock: MovableClock
) -> None:
    repo.save("login-a", make_token(clock(), "a"))
    repo.save("login-b", make_token(clock(), "b"))
    with repo.refreshing("login-a"):
        done = threading.Event()

        def other() -> None:
            with repo.refreshing("login-b") as lease:
                assert lease.token.access_token == "access-b"
            done.set()

        threading.Thread(target=other).start()
        assert done.wait(5)


def test_refreshing_lease_delete_forgets_the_login(
    repo: TokenRepository, clock: MovableClock
) -> None:
    repo.save("login-a", make_token(clock()))
    with repo.refreshing("login-a") as lease:
        lease.delete()
        assert lease.token is None
    assert repo.get("login-a") is None


def test_refreshing_releases_the_lock_on_error(repo: TokenRepository, clock: MovableClock) -> None:
    repo.save("login-a", make_token(clock()))
    with pytest.raises(RuntimeError), repo.refreshing("login-a"):
        raise RuntimeError("refresh failed")
    with repo.refreshing("login-a") as lease:
        assert lease.token is not None


def test_purge_removes_logins_whose_refresh_token_expired(
    repo: TokenRepository, clock: MovableClock
) -> None:
    now = clock()
    repo.save("fresh", make_token(now, "f"))
    dead = make_token(now, "d")
    repo.save(
        "dead",
        Token(
            **{
                **dead.__dict__,
                "refresh_expires_at": now - timedelta(seconds=1),
                "created_at": None,
                "updated_at": None,
            }
        ),
    )
    assert repo.purge(clock()) == 1
    assert repo.get("dead") is None
    assert repo.get("fresh") is not None


def test_token_repr_hides_the_tokens(clock: MovableClock) -> None:
    token = make_token(datetime.now(UTC))
    assert "access-1" not in repr(token) and "refresh-1" not in repr(token)
