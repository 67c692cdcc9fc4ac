"""The behavioural suite every :class:`LiveSchedule` backend passes.

A backend's tests subclass :class:`LiveScheduleTests` and say how to open a fresh,
empty schedule::

    class TestMySchedule(LiveScheduleTests):
        @contextmanager
        def open_schedule(self, tmp_path):
            yield MySchedule(...)

The suite reads only the contract's verbs.
"""

# ruff: noqa: S106 - made-up hashes, not secrets

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rcpyramid.callstore.schedule import (
    COMPANY,
    PERSON,
    LiveSchedule,
    LoginLink,
    SubscriptionRow,
)

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


class LiveScheduleTests:
    def open_schedule(self, tmp_path: Path) -> AbstractContextManager[LiveSchedule]:
        raise NotImplementedError("a backend's test class says how to open its schedule")

    @pytest.fixture
    def schedule(self, tmp_path: Path) -> Iterator[LiveSchedule]:
        with self.open_schedule(tmp_path) as schedule:
            yield schedule

    # -- owners, due marks and leases ----------------------------------------------

    def test_a_new_history_is_due_at_once(self, schedule: LiveSchedule) -> None:
        assert schedule.owner("p1") is None
        state = schedule.ensure_owner("p1", PERSON, T0)
        assert state.due_at == T0 and state.kind == PERSON and state.counter == 0
        again = schedule.ensure_owner("p1", PERSON, T0 + seconds(5))
        assert again.due_at == T0, "ensuring an existing history changes nothing"

    def test_marks_keep_the_earliest_time_and_unknown_owners_are_refused(
        self, schedule: LiveSchedule
    ) -> None:
        assert schedule.mark_due("nobody", T0) is False
        schedule.ensure_owner("p1", PERSON, T0)
        claimed = schedule.claim_due(T0, "w1", T0 + seconds(30), 5)
        schedule.release("p1", "w1", claimed[0].due_seq, None, 0)
        assert schedule.mark_due("p1", T0 + seconds(30), retries=1)
        assert schedule.mark_due("p1", T0 + seconds(60))
        state = schedule.owner("p1")
        assert state is not None and state.due_at == T0 + seconds(30) and state.retries == 1

    def test_one_holder_at_a_time_and_a_dead_holders_lease_expires(
        self, schedule: LiveSchedule
    ) -> None:
        schedule.ensure_owner("p1", PERSON, T0)
        first = schedule.claim_due(T0, "w1", T0 + seconds(30), 5)
        assert [s.owner for s in first] == ["p1"] and first[0].lease_holder == "w1"
        assert schedule.claim_due(T0 + seconds(1), "w2", T0 + seconds(31), 5) == []
        # w1 died: its lease runs out and w2 takes the history.
        later = schedule.claim_due(T0 + seconds(31), "w2", T0 + seconds(61), 5)
        assert [s.owner for s in later] == ["p1"]
        assert schedule.save_sync("p1", "w1", last_sync_at=T0) is False
        assert schedule.save_sync("p1", "w2", last_sync_at=T0 + seconds(31), add=3) is True
        state = schedule.owner("p1")
        assert state is not None and state.last_sync_at == T0 + seconds(31)
        assert state.counter == 3

    def test_claims_from_many_threads_take_each_history_once(self, schedule: LiveSchedule) -> None:
        for n in range(6):
            schedule.ensure_owner(f"p{n}", PERSON, T0)
        taken: list[str] = []
        lock = threading.Lock()

        def claim(holder: str) -> None:
            got = schedule.claim_due(T0, holder, T0 + seconds(30), 10)
            with lock:
                taken.extend(s.owner for s in got)

        threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(taken) == [f"p{n}" for n in range(6)]

    def test_release_clears_the_mark_unless_a_delivery_came_during_the_sync(
        self, schedule: LiveSchedule
    ) -> None:
        schedule.ensure_owner("p1", PERSON, T0)
        [claimed] = schedule.claim_due(T0, "w1", T0 + seconds(30), 5)
        schedule.release("p1", "w1", claimed.due_seq, None, 0)
        state = schedule.owner("p1")
        assert state is not None and state.due_at is None and state.lease_until is None
        schedule.mark_due("p1", T0 + seconds(1))
        [claimed] = schedule.claim_due(T0 + seconds(1), "w1", T0 + seconds(31), 5)
        # A call ends while the sync runs: its mark must survive the release.
        schedule.mark_due("p1", T0 + seconds(40), retries=1)
        schedule.release("p1", "w1", claimed.due_seq, None, 0)
        state = schedule.owner("p1")
        assert state is not None and state.due_at == T0 + seconds(40) and state.retries == 1
        assert schedule.claim_due(T0 + seconds(40), "w2", T0 + seconds(70), 5)

    def test_a_release_may_ask_for_a_later_round(self, schedule: LiveSchedule) -> None:
        schedule.ensure_owner("p1", PERSON, T0)
        [claimed] = schedule.claim_due(T0, "w1", T0 + seconds(30), 5)
        schedule.release("p1", "w1", claimed.due_seq, T0 + seconds(8), 0)
        assert schedule.claim_due(T0 + seconds(7), "w1", T0 + seconds(37), 5) == []
        assert schedule.claim_due(T0 + seconds(8), "w1", T0 + seconds(38), 5)

    def test_sync_state_round_trips_in_utc(self, schedule: LiveSchedule) -> None:
        schedule.ensure_owner("c1", COMPANY, T0)
        schedule.claim_due(T0, "w1", T0 + seconds(30), 5)
        assert schedule.save_sync(
            "c1",
            "w1",
            history_from=T0 - timedelta(days=30),
            filling=True,
            last_sync_at=T0,
            checked_at=T0,
        )
        state = schedule.owner("c1")
        assert state is not None and state.kind == COMPANY
        assert state.history_from == T0 - timedelta(days=30)
        assert state.history_from.tzinfo is not None and state.filling is True
        assert state.last_sync_at == T0 and state.checked_at == T0

    # -- logins ------------------------------------------------------------------------

    def test_logins_link_people_and_administrators(self, schedule: LiveSchedule) -> None:
        schedule.add_login(LoginLink("k1", "p1", "c1", "login-one", T0))
        schedule.add_login(LoginLink("k2", "p2", "", "login-two", T0))
        assert [link.login_id for link in schedule.logins_of("p1")] == ["login-one"]
        assert [link.login_id for link in schedule.logins_of("c1")] == ["login-one"]
        removed = schedule.remove_login("k1")
        assert removed is not None and removed.owner == "p1" and removed.company == "c1"
        assert schedule.remove_login("k1") is None
        assert schedule.logins_of("c1") == []

    def test_forgetting_a_history_forgets_its_subscriptions_and_logins(
        self, schedule: LiveSchedule
    ) -> None:
        schedule.ensure_owner("p1", PERSON, T0)
        schedule.add_login(LoginLink("k1", "p1", "", "login-one", T0))
        schedule.save_subscription(SubscriptionRow("s1", "p1", token_hash="h", created_at=T0))
        schedule.forget_owner("p1")
        assert schedule.owner("p1") is None and schedule.logins_of("p1") == []
        assert schedule.subscription("s1") is None and "p1" not in schedule.owners()

    # -- subscriptions -------------------------------------------------------------------

    def test_subscriptions_round_trip_and_are_found_for_checking(
        self, schedule: LiveSchedule
    ) -> None:
        row = SubscriptionRow(
            "s1",
            "p1",
            company="c1",
            token_hash="h" * 40,
            expires_at=T0 + timedelta(days=7),
            login_key="k1",
            created_at=T0,
            checked_at=T0,
        )
        schedule.save_subscription(row)
        assert schedule.subscription("s1") == row
        assert schedule.subscriptions_of("p1") == [row]
        assert schedule.subscriptions_to_check(T0, T0 + timedelta(days=1), 10) == []
        schedule.flag_renewal("s1")
        flagged = schedule.subscriptions_to_check(T0, T0 + timedelta(days=1), 10)
        assert [s.id for s in flagged] == ["s1"] and flagged[0].renew
        assert [s.id for s in schedule.subscriptions_to_check(T0, T0 + timedelta(days=8), 10)]
        schedule.delete_subscription("s1")
        schedule.delete_subscription("s1")
        assert schedule.subscription("s1") is None
