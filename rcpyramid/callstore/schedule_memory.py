"""The live schedule in one process's memory: the memory configuration's, and the tests'."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime
from typing import Any

from rcpyramid.callstore.schedule import LiveSchedule, LoginLink, OwnerState, SubscriptionRow


class MemoryLiveSchedule(LiveSchedule):
    """One process's schedule, for the memory configuration and the tests."""

    shared_across_processes = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: dict[str, OwnerState] = {}
        self._logins: dict[str, LoginLink] = {}
        self._subs: dict[str, SubscriptionRow] = {}

    def add_login(self, link: LoginLink) -> None:
        with self._lock:
            self._logins[link.login_key] = link

    def remove_login(self, login_key: str) -> LoginLink | None:
        with self._lock:
            return self._logins.pop(login_key, None)

    def logins_of(self, owner: str) -> list[LoginLink]:
        with self._lock:
            return [
                link
                for link in self._logins.values()
                if link.owner == owner or link.company == owner
            ]

    def ensure_owner(self, owner: str, kind: str, now: datetime) -> OwnerState:
        with self._lock:
            state = self._owners.get(owner)
            if state is None:
                state = self._owners[owner] = OwnerState(owner, kind, due_at=now, due_seq=1)
            return state

    def owner(self, owner: str) -> OwnerState | None:
        with self._lock:
            return self._owners.get(owner)

    def mark_due(self, owner: str, at: datetime, *, retries: int | None = None) -> bool:
        with self._lock:
            state = self._owners.get(owner)
            if state is None:
                return False
            serving = state.lease_holder and state.due_seq == state.claimed_seq
            due = at if state.due_at is None or serving else min(state.due_at, at)
            self._owners[owner] = replace(
                state,
                due_at=due,
                due_seq=state.due_seq + 1,
                retries=state.retries if retries is None else retries,
            )
            return True

    def claim_due(
        self, now: datetime, holder: str, until: datetime, limit: int
    ) -> list[OwnerState]:
        claimed: list[OwnerState] = []
        with self._lock:
            due = sorted(
                (s for s in self._owners.values() if s.due_at is not None and s.due_at <= now),
                key=lambda s: s.due_at or now,
            )
            for state in due:
                if len(claimed) >= limit:
                    break
                if state.lease_until is not None and state.lease_until > now:
                    continue
                state = replace(
                    state, lease_holder=holder, lease_until=until, claimed_seq=state.due_seq
                )
                self._owners[state.owner] = state
                claimed.append(state)
        return claimed

    def save_sync(self, owner: str, holder: str, **changes: Any) -> bool:
        with self._lock:
            state = self._owners.get(owner)
            if state is None or state.lease_holder != holder:
                return False
            add = int(changes.pop("add", 0))
            self._owners[owner] = replace(state, counter=state.counter + add, **changes)
            return True

    def release(
        self, owner: str, holder: str, due_seq: int, next_due: datetime | None, retries: int
    ) -> None:
        with self._lock:
            state = self._owners.get(owner)
            if state is None or state.lease_holder != holder:
                return
            if state.due_seq == due_seq:
                state = replace(state, due_at=next_due, retries=retries)
            elif next_due is not None and (state.due_at is None or next_due < state.due_at):
                state = replace(state, due_at=next_due)
            self._owners[owner] = replace(state, lease_holder="", lease_until=None)

    def forget_owner(self, owner: str) -> None:
        with self._lock:
            self._owners.pop(owner, None)
            for key in [k for k, s in self._subs.items() if s.owner == owner]:
                del self._subs[key]
            for key in [k for k, link in self._logins.items() if link.owner == owner]:
                del self._logins[key]

    def owners(self) -> list[str]:
        with self._lock:
            return list(self._owners)

    def save_subscription(self, row: SubscriptionRow) -> None:
        with self._lock:
            self._subs[row.id] = row

    def subscription(self, subscription_id: str) -> SubscriptionRow | None:
        with self._lock:
            return self._subs.get(subscription_id)

    def subscriptions_of(self, owner: str) -> list[SubscriptionRow]:
        with self._lock:
            return [s for s in self._subs.values() if s.owner == owner]

    def delete_subscription(self, subscription_id: str) -> None:
        with self._lock:
            self._subs.pop(subscription_id, None)

    def flag_renewal(self, subscription_id: str) -> None:
        with self._lock:
            row = self._subs.get(subscription_id)
            if row is not None:
                self._subs[subscription_id] = replace(row, renew=True)

    def subscriptions_to_check(
        self, checked_before: datetime, expiring_before: datetime, limit: int
    ) -> list[SubscriptionRow]:
        with self._lock:
            rows = [
                s
                for s in self._subs.values()
                if s.renew
                or s.checked_at is None
                or s.checked_at < checked_before
                or (s.expires_at is not None and s.expires_at < expiring_before)
            ]
        return rows[:limit]
