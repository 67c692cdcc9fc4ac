"""The background worker: one daemon thread per process, syncing the histories that are due.

Each round claims due histories from the shared schedule with a lease (one sync
per person at a time across every process and host; a killed worker's lease ends
after ``rcpyramid.history.lease`` seconds), signs in as one of the owner's logins
through the same refresh protocol the pages use, makes sure the person's webhook
subscription works, syncs, and only then releases the lease and clears the due
mark (a delivery that came during the sync keeps its mark). Tests drive it with
:meth:`LiveWorker.run_due_once`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from rcpyramid.callstore.interfaces import CallHistory
from rcpyramid.callstore.schedule import COMPANY, PERSON, LiveSchedule, LoginLink, OwnerState
from rcpyramid.clock import Clock
from rcpyramid.config import HistorySettings
from rcpyramid.livehistory.subscriptions import CHECK_INTERVAL, Subscriptions, renew_margin
from rcpyramid.livehistory.sync import HistorySync, SyncResult
from rcpyramid.ringcentral.errors import (
    PermissionDeniedError,
    RateLimitedError,
    RingCentralError,
    SignedOutError,
)
from rcpyramid.ringcentral.signed_in import SignedInRingCentral
from rcpyramid.tokens.interfaces import TokenRepository, TokenStoreError

log = logging.getLogger(__name__)

#: After a failed sync, as RingCentral's own CallLog module does: just over the 60 s penalty.
RETRY_AFTER_FAILURE = timedelta(seconds=62)
#: Histories one round takes on.
CLAIM_BATCH = 8
#: How often a worker looks for histories whose logins all ended unseen (purge, a crash).
ORPHAN_SWEEP = timedelta(minutes=10)
#: How often a worker looks for subscriptions due a check (not read back for a while,
#: expiring soon, a reminder came): their people are synced, which checks them.
SUBSCRIPTION_SCAN = timedelta(minutes=1)

ApiMaker = Callable[[TokenRepository], SignedInRingCentral]
RepoOpener = Callable[[], AbstractContextManager[TokenRepository]]


def new_holder() -> str:
    """Who holds a lease: this host and process, and a random part (a fork gets its own)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(eq=False, repr=False)
class LiveWorker:
    """The process's worker thread and its rounds; collaborators injected so tests vary one."""

    schedule: LiveSchedule
    history: CallHistory
    settings: HistorySettings
    clock: Clock
    make_api: ApiMaker
    open_repository: RepoOpener
    subscriptions: Subscriptions

    def __post_init__(self) -> None:
        self.sync = HistorySync(self.schedule, self.history, self.settings, self.clock)
        self.holder = new_holder()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Seconds between two rounds when nothing wakes the thread.
        self.tick = min(1.0, max(0.1, self.settings.record_delay / 4))
        self._swept_at: datetime | None = None
        self._scanned_at: datetime | None = None

    # -- the thread --------------------------------------------------------------------

    def start(self) -> None:
        """Start the daemon thread (again in a forked worker: threads do not survive a fork)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="rcpyramid-history", daemon=True)
        self._thread.start()

    def after_fork(self) -> None:
        """In a new worker process: its own lease name and its own thread."""
        self.holder = new_holder()
        self._thread = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Something became due in this process: run a round now rather than at the tick."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due_once()
            except Exception:  # the thread must outlive any one failure
                log.exception("a round of the history worker failed")
            self._wake.wait(self.tick)
            self._wake.clear()

    # -- one round ----------------------------------------------------------------------

    def run_due_once(self) -> int:
        """Sync every history due now (the ones no other worker holds); how many were synced."""
        now = self.clock()
        if self._swept_at is None or now - self._swept_at >= ORPHAN_SWEEP:
            self._swept_at = now
            try:
                with self.open_repository() as repo:
                    forget_orphans(self.schedule, self.history, repo)
            except TokenStoreError as error:
                log.warning("the history worker cannot reach its store: %s", error)
        if self._scanned_at is None or now - self._scanned_at >= SUBSCRIPTION_SCAN:
            self._scanned_at = now
            self._subscriptions_due(now)
        done = 0
        while True:
            now = self.clock()
            until = now + timedelta(seconds=self.settings.lease)
            try:
                claimed = self.schedule.claim_due(now, self.holder, until, CLAIM_BATCH)
            except TokenStoreError as error:
                log.warning("the history worker cannot reach its store: %s", error)
                return done
            if not claimed:
                return done
            for state in claimed:
                self.work(state)
                done += 1

    def _subscriptions_due(self, now: datetime) -> None:
        """Mark due the people whose subscription wants a check: a blacklisting says nothing.

        RingCentral stops delivering to a blacklisted subscription without telling; the
        sync that follows the check also fetches whatever it missed meanwhile.
        """
        if not self.subscriptions.enabled:
            return
        margin = renew_margin(self.settings.subscription_lifetime)
        try:
            rows = self.schedule.subscriptions_to_check(now - CHECK_INTERVAL, now + margin, 100)
            for row in rows:
                self.schedule.mark_due(row.owner, now)
        except TokenStoreError as error:
            log.warning("the history worker cannot reach its store: %s", error)

    def links(self, state: OwnerState) -> list[LoginLink]:
        return self.links_of(state.owner, state.kind)

    def links_of(self, owner: str, kind: str) -> list[LoginLink]:
        """The logins that may read ``owner``'s history: its person's, or the administrators'."""
        links = self.schedule.logins_of(owner)
        if kind == COMPANY:
            return [link for link in links if link.company == owner]
        return [link for link in links if link.owner == owner]

    def work(self, state: OwnerState) -> None:
        """Sync one claimed history; release it whatever happens."""
        next_due: datetime | None = None
        retries = 0
        try:
            links = self.links(state)
            if not links:
                # Nobody who may read it is signed in any more.
                self.forget(state.owner)
                return
            result = self._sync_with(links, state)
            now = self.clock()
            if result is None:
                next_due = now + RETRY_AFTER_FAILURE
                retries = state.retries
            else:
                next_due = result.next_due
                if result.kind == "ISync" and result.new == 0 and state.retries > 0:
                    # The record was not there yet: one more ISync later.
                    next_due = _earliest(next_due, now + self._delay())
                    retries = state.retries - 1
        except RateLimitedError as error:
            next_due = self.clock() + timedelta(seconds=error.retry_after or 60)
            retries = state.retries
        except (RingCentralError, TokenStoreError) as error:
            log.warning("a history sync failed: %s", type(error).__name__)
            next_due = self.clock() + RETRY_AFTER_FAILURE
            retries = state.retries
        finally:
            self.schedule.release(state.owner, self.holder, state.due_seq, next_due, retries)

    def _delay(self) -> timedelta:
        return timedelta(seconds=self.settings.record_delay)

    def _sync_with(self, links: list[LoginLink], state: OwnerState) -> SyncResult | None:
        """Try the owner's logins in turn until one may call RingCentral."""
        for link in links:
            with self.open_repository() as repo:
                api = self.make_api(repo)
                try:
                    if state.kind == PERSON and self.subscriptions.enabled:
                        self._ensure_subscription(api, link, state)
                    return self.sync.run(api, link.login_id, state, self.holder)
                except SignedOutError:
                    # That login is gone (purged, tokens dead): try the next one.
                    self.schedule.remove_login(link.login_key)
                    continue
        if not self.links(state):
            self.forget(state.owner)
        return None

    def _ensure_subscription(
        self, api: SignedInRingCentral, link: LoginLink, state: OwnerState
    ) -> None:
        """Subscribe the person (or check their subscription); a refusal waits a while.

        ``checked_at`` on the history remembers the last failure, so an app RingCentral
        refuses subscriptions (ReadPresence missing) does not ask again on every sync.
        """
        now = self.clock()
        if state.checked_at is not None and now - state.checked_at < CHECK_INTERVAL:
            return
        try:
            self.subscriptions.ensure(api, link)
        except SignedOutError:
            raise
        except PermissionDeniedError as error:
            log.warning(
                "RingCentral refused the webhook subscription (%s): the app needs the "
                "ReadPresence permission; syncing without webhooks meanwhile",
                error.message,
            )
            self.schedule.save_sync(state.owner, self.holder, checked_at=now)
        except RingCentralError as error:
            # The history still syncs; the check on next use tries again.
            log.warning("the webhook subscription could not be made or checked: %s", error.message)
            self.schedule.save_sync(state.owner, self.holder, checked_at=now)

    def forget(self, owner: str) -> None:
        self.history.forget(owner)
        self.schedule.forget_owner(owner)


def _earliest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None else min(a, b)


def forget_orphans(schedule: LiveSchedule, history: CallHistory, repo: TokenRepository) -> int:
    """Delete the histories whose logins all ended unseen (purged, a crash); how many.

    Logins end through :class:`~rcpyramid.events.LoginEnded` in the app; a login the
    purge script deleted, or one whose end was cut short, is found here instead.
    """
    forgotten = 0
    for owner in schedule.owners():
        state = schedule.owner(owner)
        if state is None:
            continue
        alive = 0
        for link in schedule.logins_of(owner):
            if (link.company if state.kind == COMPANY else link.owner) != owner:
                continue
            if repo.get(link.login_id) is None:
                schedule.remove_login(link.login_key)
            else:
                alive += 1
        if not alive:
            history.forget(owner)
            schedule.forget_owner(owner)
            forgotten += 1
    known = set(schedule.owners())
    for owner in history.owners():
        if owner not in known:
            history.forget(owner)
            forgotten += 1
    return forgotten
