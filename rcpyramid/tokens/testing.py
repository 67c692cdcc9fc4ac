"""The behavioural suite every :class:`TokenRepository` backend passes.

Longer than the package's other modules because it is the contract's executable half,
one test per promise, shipped so that a backend written elsewhere runs the same suite.

A backend's tests subclass :class:`TokenRepositoryTests` and say how to open a fresh,
empty repository on a clock the tests move::

    from contextlib import contextmanager
    from rcpyramid.tokens.testing import TokenRepositoryTests

    class TestMyBackend(TokenRepositoryTests):
        @contextmanager
        def open_repository(self, clock, tmp_path):
            repo = MyTokenRepository(clock=clock)
            yield repo
            repo.close()

pytest collects the subclass (name it ``Test...``); every test here then runs on
the backend. The suite reads only the contract's verbs, never a backend's state.
"""

# ruff: noqa: S105, S106 - the suite's token values are made-up strings, not secrets

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest

from rcpyramid.tokens.interfaces import (
    AddressPendingLimitError,
    FailureReason,
    PendingLimitError,
    PendingLimits,
    PendingSignIn,
    RefreshFailure,
    Token,
    TokenRepository,
    state_digest,
)


class MovingClock:
    """Real time plus an offset the tests advance; thread-safe, aware UTC."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += timedelta(seconds=seconds)


def make_token(now: datetime, suffix: str = "1", **fields: object) -> Token:
    """A complete token pair whose values end in ``suffix``."""
    values: dict[str, object] = {
        "access_token": f"access-{suffix}",
        "access_expires_at": now + timedelta(hours=1),
        "refresh_token": f"refresh-{suffix}",
        "refresh_expires_at": now + timedelta(days=7),
        "token_type": "bearer",
        "scope": "ReadAccounts ReadCallLog",
        "owner_id": "101",
        "endpoint_id": "endpoint-1",
        "owner_name": "Alice Smith",
        **fields,
    }
    return Token(**values)  # type: ignore[arg-type]


def make_pending(
    state: str, expires_at: datetime, browser: str = "browser-1", **fields: object
) -> PendingSignIn:
    """A pending sign-in for ``state`` from the browser named ``browser``."""
    values: dict[str, object] = {
        "state_hash": state_digest(state),
        "code_verifier": "v" * 43,
        "browser_id": f"id-of-{browser}",
        "expires_at": expires_at,
        "browser_key": f"key-of-{browser}",
        **fields,
    }
    return PendingSignIn(**values)  # type: ignore[arg-type]


#: Caps large enough not to matter in the tests that are not about them.
ROOMY = PendingLimits(per_browser=100, total=1000)


def start_sign_in(
    repo: TokenRepository,
    state: str,
    now: datetime,
    *,
    minutes: int = 10,
    browser: str = "browser-1",
    limits: PendingLimits = ROOMY,
    **fields: object,
) -> PendingSignIn:
    """Add :func:`make_pending`'s sign-in at ``now``, expiring ``minutes`` later; return it."""
    pending = make_pending(state, now + timedelta(minutes=minutes), browser, **fields)
    repo.add_pending(pending, now=now, limits=limits)
    return pending


class TokenRepositoryTests:
    """The contract of :class:`TokenRepository`, one test per promise."""

    #: False for a backend whose refresh lock covers every login at once (SQLite).
    locks_each_login_alone: ClassVar[bool] = True

    def open_repository(
        self, clock: MovingClock, tmp_path: Path
    ) -> AbstractContextManager[TokenRepository]:
        """A fresh, empty repository on ``clock``, cleaned up when the block ends."""
        raise NotImplementedError("a backend's test class says how to open its repository")

    @pytest.fixture
    def clock(self) -> MovingClock:
        return MovingClock()

    @pytest.fixture
    def repo(self, clock: MovingClock, tmp_path: Path) -> Iterator[TokenRepository]:
        with self.open_repository(clock, tmp_path) as repository:
            yield repository

    # -- get, save, delete -----------------------------------------------------------------

    def test_says_whether_it_is_shared_across_processes(self, repo: TokenRepository) -> None:
        assert isinstance(type(repo).shared_across_processes, bool)

    def test_missing_login_is_none(self, repo: TokenRepository) -> None:
        assert repo.get("nobody") is None

    def test_round_trip_keeps_every_field_in_utc(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        token = make_token(clock())
        stored = repo.save("login-a", token)
        got = repo.get("login-a")
        assert got == stored
        assert got is not None
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
        moments = (got.access_expires_at, got.refresh_expires_at, got.created_at, got.updated_at)
        for moment in moments:
            assert moment is not None and moment.utcoffset() == timedelta(0)

    def test_overwrite_rotates_and_keeps_created_at(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        first = repo.save("login-a", make_token(clock(), "1"))
        clock.advance(30)
        second = repo.save("login-a", make_token(clock(), "2"))
        got = repo.get("login-a")
        assert got is not None
        assert got.access_token == "access-2" and got.refresh_token == "refresh-2"
        assert got.created_at == first.created_at
        assert second.updated_at is not None and first.updated_at is not None
        assert second.updated_at > first.updated_at

    def test_keys_are_isolated(self, repo: TokenRepository, clock: MovingClock) -> None:
        repo.save("login-a", make_token(clock(), "a"))
        repo.save("login-b", make_token(clock(), "b"))
        repo.delete("login-a")
        assert repo.get("login-a") is None
        got = repo.get("login-b")
        assert got is not None and got.access_token == "access-b"

    def test_delete_is_idempotent(self, repo: TokenRepository, clock: MovingClock) -> None:
        repo.save("login-a", make_token(clock()))
        repo.delete("login-a")
        repo.delete("login-a")
        assert repo.get("login-a") is None

    def test_token_repr_hides_the_tokens(self, clock: MovingClock) -> None:
        token = make_token(clock())
        assert "access-1" not in repr(token) and "refresh-1" not in repr(token)

    # -- touch and idle logins -------------------------------------------------------------

    def test_touch_moves_last_seen_forward_only_and_leaves_updated_at(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        saved = repo.save("login-a", make_token(clock()))
        assert saved.last_seen_at is None
        seen = clock() + timedelta(minutes=5)
        repo.touch("login-a", seen)
        repo.touch("login-a", seen - timedelta(minutes=1))
        got = repo.get("login-a")
        assert got is not None
        assert got.last_seen_at == seen and got.updated_at == saved.updated_at
        assert got.last_seen_at.utcoffset() == timedelta(0)

    def test_touch_of_a_missing_login_stores_nothing(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        repo.touch("nobody", clock())
        assert repo.get("nobody") is None

    def test_save_keeps_the_later_last_seen_time(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        seen = clock() + timedelta(minutes=5)
        repo.save("login-a", make_token(clock(), last_seen_at=seen))
        # A refresh that rebuilt the token without the time keeps the stored one.
        stored = repo.save("login-a", make_token(clock(), "2"))
        assert stored.last_seen_at == seen
        later = seen + timedelta(minutes=1)
        assert repo.save("login-a", make_token(clock(), "3", last_seen_at=later)).last_seen_at == (
            later
        )
        got = repo.get("login-a")
        assert got is not None and got.last_seen_at == later

    def test_idle_logins_are_the_least_recently_seen_first_up_to_the_limit(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        start = clock()
        repo.save("never-touched", make_token(start, "n"))
        clock.advance(60)
        for name, minutes in (("seen-10", 10), ("seen-30", 30), ("seen-90", 90)):
            repo.save(name, make_token(clock(), name))
            repo.touch(name, start + timedelta(minutes=minutes))
        cutoff = start + timedelta(minutes=60)
        idle = repo.idle_logins(cutoff, limit=10)
        assert [login_id for login_id, _ in idle] == ["never-touched", "seen-10", "seen-30"]
        assert idle[1][1].access_token == "access-seen-10"
        assert [login_id for login_id, _ in repo.idle_logins(cutoff, limit=2)] == [
            "never-touched",
            "seen-10",
        ]
        assert repo.idle_logins(start, limit=10) == []

    # -- pending sign-ins ------------------------------------------------------------------

    def test_pending_sign_ins_are_single_use(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        pending = start_sign_in(repo, "state-1", clock())
        assert repo.take_pending(state_digest("state-1"), clock()) == pending
        assert repo.take_pending(state_digest("state-1"), clock()) is None

    def test_pending_sign_ins_expire(self, repo: TokenRepository, clock: MovingClock) -> None:
        start_sign_in(repo, "s", clock())
        clock.advance(601)
        assert repo.take_pending(state_digest("s"), clock()) is None

    def test_pending_sign_ins_keep_every_field(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        pending = start_sign_in(
            repo,
            "state-x",
            clock(),
            code_verifier="verifier-" + "x" * 40,
            return_to="/test?api=extension",
        )
        taken = repo.take_pending(pending.state_hash, clock())
        assert taken == pending
        assert taken is not None and taken.expires_at.utcoffset() == timedelta(0)

    def test_a_browser_over_its_cap_loses_its_oldest_sign_in_only(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        start = clock()
        start_sign_in(repo, "other", start, minutes=5, browser="b")
        limits = PendingLimits(per_browser=3, total=10)
        for n in range(4):
            start_sign_in(repo, f"a{n}", start, minutes=10 + n, browser="a", limits=limits)
        assert repo.take_pending(state_digest("a0"), start) is None
        for state in ("a1", "a2", "a3", "other"):
            assert repo.take_pending(state_digest(state), start) is not None, state

    def test_over_the_total_cap_a_new_sign_in_is_refused_and_nobody_is_evicted(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        start = clock()
        limits = PendingLimits(per_browser=2, total=3)
        for n in range(3):
            start_sign_in(repo, f"s{n}", start, browser=f"b{n}", limits=limits)
        with pytest.raises(PendingLimitError):
            start_sign_in(repo, "late", start, browser="new", limits=limits)
        # A browser that already has one may still replace it by a newer one.
        start_sign_in(repo, "again", start, browser="b0", limits=replace(limits, per_browser=1))
        assert repo.take_pending(state_digest("late"), start) is None
        assert repo.take_pending(state_digest("s0"), start) is None
        for state in ("again", "s1", "s2"):
            assert repo.take_pending(state_digest(state), start) is not None, state

    def test_an_address_over_its_cap_is_refused_until_its_oldest_sign_in_expires(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        start = clock()
        limits = PendingLimits(per_browser=2, total=100, per_address=3)
        for n in range(3):
            start_sign_in(
                repo,
                f"s{n}",
                start,
                minutes=5 + n,
                browser=f"b{n}",
                limits=limits,
                address_key="net-a",
            )
        with pytest.raises(AddressPendingLimitError) as refused:
            start_sign_in(repo, "late", start, browser="new", limits=limits, address_key="net-a")
        assert refused.value.retry_after == 300  # when the oldest of the three expires
        # Another address is not held back; a browser of the full address may still
        # replace its own sign-in by a newer one.
        start_sign_in(repo, "elsewhere", start, browser="c", limits=limits, address_key="net-b")
        start_sign_in(
            repo,
            "again",
            start,
            browser="b0",
            limits=replace(limits, per_browser=1),
            address_key="net-a",
        )
        assert repo.take_pending(state_digest("late"), start) is None
        for state in ("elsewhere", "again", "s1", "s2"):
            taken = repo.take_pending(state_digest(state), start)
            assert taken is not None, state
        assert taken is not None and taken.address_key == "net-a"
        # Once the address's sign-ins are done (or expired), it may start more.
        start_sign_in(repo, "later", start, browser="new", limits=limits, address_key="net-a")

    def test_expired_sign_ins_make_room_without_a_purge(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        start = clock()
        limits = PendingLimits(per_browser=2, total=3)
        for n in range(3):
            start_sign_in(repo, f"s{n}", start, minutes=1, browser=f"b{n}", limits=limits)
        clock.advance(120)
        later = clock()
        fresh = start_sign_in(repo, "fresh", later, browser="new", limits=limits)
        assert repo.take_pending(fresh.state_hash, later) == fresh

    # -- refreshing ------------------------------------------------------------------------

    def test_refreshing_serialises_concurrent_callers(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        repo.save("login-a", make_token(clock(), "0"))
        inside = 0
        most_inside = 0
        spent: list[str | None] = []
        guard = threading.Lock()

        def refresh_once() -> None:
            nonlocal inside, most_inside
            with repo.refreshing("login-a") as lease:
                with guard:
                    inside += 1
                    most_inside = max(most_inside, inside)
                # Re-read under the lock: only the first caller finds the old token.
                assert lease.token is not None
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
            thread.join(30)
        assert most_inside == 1
        assert spent == ["refresh-0"]
        got = repo.get("login-a")
        assert got is not None and got.access_token == "access-1"

    def test_refreshing_of_different_logins_does_not_wait_for_long(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        # A backend with one lock for all logins (SQLite's write lock) makes the other
        # login take its turn instead; it must still go ahead once the first ends.
        repo.save("login-a", make_token(clock(), "a"))
        repo.save("login-b", make_token(clock(), "b"))
        done = threading.Event()

        def other() -> None:
            with repo.refreshing("login-b") as lease:
                assert lease.token is not None and lease.token.access_token == "access-b"
                lease.save(make_token(clock(), "b2"))
            done.set()

        thread = threading.Thread(target=other)
        with repo.refreshing("login-a") as lease:
            thread.start()
            if self.locks_each_login_alone:
                assert done.wait(10)
            else:
                assert not done.wait(0.3)
            lease.save(make_token(clock(), "a2"))
        assert done.wait(10)
        thread.join(10)
        got_a, got_b = repo.get("login-a"), repo.get("login-b")
        assert got_a is not None and got_a.access_token == "access-a2"
        assert got_b is not None and got_b.access_token == "access-b2"

    def test_refreshing_lease_delete_forgets_the_login(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        repo.save("login-a", make_token(clock()))
        with repo.refreshing("login-a") as lease:
            lease.delete()
            assert lease.token is None
        assert repo.get("login-a") is None

    def test_refreshing_releases_the_lock_on_error(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        repo.save("login-a", make_token(clock()))
        with pytest.raises(RuntimeError), repo.refreshing("login-a"):
            raise RuntimeError("refresh failed")
        with repo.refreshing("login-a") as lease:
            assert lease.token is not None

    def test_refreshing_keeps_what_the_lease_saved_when_the_block_then_fails(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        # RingCentral rotated the pair once the lease saved it: an error after that must
        # not lose the new pair (the old refresh token is spent).
        repo.save("login-a", make_token(clock(), "0"))
        with pytest.raises(RuntimeError), repo.refreshing("login-a") as lease:
            lease.save(make_token(clock(), "1"))
            raise RuntimeError("the API call after the refresh failed")
        got = repo.get("login-a")
        assert got is not None and got.refresh_token == "refresh-1"

    def test_refreshing_a_missing_login_finds_none(self, repo: TokenRepository) -> None:
        with repo.refreshing("nobody") as lease:
            assert lease.token is None and lease.failure is None
        assert repo.get("nobody") is None

    def test_a_failed_refresh_is_remembered_for_later_holders_until_it_lapses(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        repo.save("login-a", make_token(clock(), "0"))
        failure = RefreshFailure(
            reason=FailureReason.UNAVAILABLE,
            until=clock() + timedelta(seconds=30),
            retry_after=30,
            status=503,
        )
        with repo.refreshing("login-a") as lease:
            assert lease.failure is None
            lease.fail(failure)
            assert lease.failure == failure
        with repo.refreshing("login-a") as lease:
            assert lease.failure == failure
            assert lease.token is not None and lease.token.refresh_token == "refresh-0"
        clock.advance(31)
        with repo.refreshing("login-a") as lease:
            assert lease.failure is None

    def test_a_remembered_failure_reaches_every_waiter_and_a_save_clears_it(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        repo.save("login-a", make_token(clock(), "0"))
        seen: list[str] = []
        guard = threading.Lock()

        def refresh_once() -> None:
            with repo.refreshing("login-a") as lease:
                if lease.failure is not None:
                    outcome = f"shared {lease.failure.reason}"
                else:
                    outcome = "asked RingCentral"
                    until = clock() + timedelta(seconds=60)
                    lease.fail(RefreshFailure(FailureReason.TIMEOUT, until))
                with guard:
                    seen.append(outcome)

        threads = [threading.Thread(target=refresh_once) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(seen) == ["asked RingCentral"] + ["shared timeout"] * 7
        with repo.refreshing("login-a") as lease:
            lease.save(make_token(clock(), "1"))
        with repo.refreshing("login-a") as lease:
            assert lease.failure is None

    def test_a_failure_for_a_missing_login_is_not_kept(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        with repo.refreshing("nobody") as lease:
            lease.fail(RefreshFailure(FailureReason.UNAVAILABLE, clock() + timedelta(seconds=30)))
        repo.save("nobody", make_token(clock()))
        with repo.refreshing("nobody") as lease:
            assert lease.failure is None

    # -- purge -----------------------------------------------------------------------------

    def test_purge_removes_logins_whose_refresh_token_expired(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        now = clock()
        repo.save("fresh", make_token(now, "f"))
        repo.save("dead", make_token(now, "d", refresh_expires_at=now - timedelta(seconds=1)))
        assert repo.purge(clock()) == 1
        assert repo.get("dead") is None
        assert repo.get("fresh") is not None

    def test_purge_removes_logins_without_refresh_token_once_access_expired(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        now = clock()
        repo.save(
            "access-only", Token(access_token="a", access_expires_at=now + timedelta(hours=1))
        )
        assert repo.purge(now) == 0
        clock.advance(3601)
        assert repo.purge(clock()) == 1
        assert repo.get("access-only") is None

    def test_purge_names_the_owners_of_exactly_the_logins_it_deleted(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        now = clock()
        # Alice's access token still works for an hour: her login stays, and so do her answers.
        repo.save(
            "alice",
            Token(access_token="a", access_expires_at=now + timedelta(hours=1), owner_id="alice"),
        )
        repo.save(
            "bob",
            make_token(now, "b", owner_id="bob", refresh_expires_at=now - timedelta(seconds=1)),
        )
        owners: list[str] = []
        assert repo.purge(now, owners) == 1
        assert owners == ["bob"]
        assert repo.get("alice") is not None

    def test_purge_names_the_cache_identity_of_every_login_it_deleted_of_every_kind(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        """Removed set == set whose cache is forgotten, owner id or not."""
        now = clock()
        past = now - timedelta(seconds=1)
        kinds = {
            "valid-with-refresh": make_token(now, "1", owner_id="o1"),
            "valid-access-only": Token(
                access_token="a2", access_expires_at=now + timedelta(hours=1), owner_id="o2"
            ),
            "expired-refresh": make_token(now, "3", owner_id="o3", refresh_expires_at=past),
            "expired-refresh-no-owner": make_token(now, "4", owner_id="", refresh_expires_at=past),
            "expired-access-only": Token(access_token="a5", access_expires_at=past),
            "idle-but-valid": make_token(
                now, "6", owner_id="o6", last_seen_at=now - timedelta(days=30)
            ),
        }
        for login_id, token in kinds.items():
            repo.save(login_id, token)
        owners: list[str] = []
        assert repo.purge(now, owners) == 3
        removed = {login_id for login_id in kinds if repo.get(login_id) is None}
        assert removed == {"expired-refresh", "expired-refresh-no-owner", "expired-access-only"}
        assert sorted(owners) == sorted(
            ["o3", "login:expired-refresh-no-owner", "login:expired-access-only"]
        )

    def test_purge_removes_expired_pending_sign_ins_and_keeps_live_ones(
        self, repo: TokenRepository, clock: MovingClock
    ) -> None:
        start = clock()
        start_sign_in(repo, "old", start, minutes=1, browser="b")
        start_sign_in(repo, "new", start, minutes=20, browser="c", code_verifier="w" * 43)
        clock.advance(120)
        repo.purge(clock())
        # Taken "as of" the start, the old one would still be valid: only a purge removes it.
        assert repo.take_pending(state_digest("old"), start) is None
        taken = repo.take_pending(state_digest("new"), start)
        assert taken is not None and taken.code_verifier == "w" * 43

    def test_ping_answers_when_the_store_is_up(self, repo: TokenRepository) -> None:
        repo.ping()
