"""The refresh protocol: a login's refresh token spent at most once, whoever asks at once.

Every refresh goes through the token repository's protocol, so concurrent requests
of one login (threads, or processes sharing a database) spend the refresh token once;
within a process, one thread per login goes to the repository's lock and the others
wait for its outcome (:mod:`rcpyramid.ringcentral.flights`). A failed refresh is
remembered with the login for a moment, and is the answer for those who come next.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from rcpyramid.clock import Clock
from rcpyramid.ops import metrics
from rcpyramid.ringcentral import timing
from rcpyramid.ringcentral.client import RingCentralClient
from rcpyramid.ringcentral.endpoints import AUTH
from rcpyramid.ringcentral.errors import (
    RateLimitedError,
    RingCentralError,
    RingCentralTimeoutError,
    RingCentralUnavailableError,
    SignedOutError,
    TokenRequestError,
)
from rcpyramid.ringcentral.flights import RefreshFlights
from rcpyramid.ringcentral.ratelimit import RateLimitBudget
from rcpyramid.tokens.interfaces import (
    FailureReason,
    RefreshFailure,
    RefreshLease,
    Token,
    TokenRepository,
    TokenStoreError,
)

log = logging.getLogger(__name__)

#: Refresh this long before the access token expires, as RingCentral's SDKs do.
REFRESH_MARGIN = timedelta(seconds=60)
#: How long a failed refresh is the answer for the requests queued behind it (and, with a
#: shared store, other processes) when RingCentral did not say how long to wait.
FAILURE_MEMORY = timedelta(seconds=10)
#: The longest a remembered failure holds, whatever Retry-After said.
LONGEST_FAILURE_MEMORY = timedelta(seconds=120)

#: What a refresh's failure to reach RingCentral is; the request's token may still work.
REFRESH_FAILURES = (RateLimitedError, RingCentralUnavailableError, TokenRequestError)


class LoginKeeper(Protocol):
    """What a refresh needs of the signed-in client it serves (:class:`SignedInRingCentral`)."""

    @property
    def repo(self) -> TokenRepository: ...

    def remember(self, login_id: str, token: Token) -> None:
        """The store holds ``token`` for the login now: this process uses it next."""

    def forget(self, login_id: str) -> None:
        """The login is gone from the store: this process forgets its copy."""

    def forget_login(self, login_id: str, token: Token) -> None:
        """The login's tokens died: forget what it left behind, and say it ended."""


class TokensDiedError(SignedOutError):
    """Signed out because RingCentral will never take these tokens again (refused, expired)."""

    def __init__(self, reason: str, token: Token | None = None) -> None:
        super().__init__(reason)
        #: The tokens read under the lock (optional only so that copy.copy rebuilds it).
        self.token = token


@dataclass(eq=False, repr=False)
class Refresher:
    """A signed-in client's refreshes: one per login in this process, one per expiry."""

    keeper: LoginKeeper
    client: RingCentralClient
    clock: Clock
    budget: RateLimitBudget
    flights: RefreshFlights

    def refresh(self, login_id: str, stale: Token, person: str, still_works: bool) -> Token:
        """:meth:`_locked` once per login in this process; other threads share its outcome.

        ``still_works``: ``stale`` was not refused, only due soon; when the refresh
        fails while it has not expired yet, it is used and the refresh tried later.
        """
        try:
            fresh = self.flights.run(
                login_id, lambda: self._lead(login_id, stale, person, still_works)
            )
        except REFRESH_FAILURES:
            # Another thread's refresh failed; this request's token may still work.
            if still_works and stale.access_valid(self.clock()):
                return stale
            raise
        if fresh.access_token == stale.access_token and not still_works:
            # Another thread's refresh failed and fell back on the token this one was
            # refused with: using it again would read as a session ended at RingCentral.
            raise RingCentralUnavailableError("RingCentral's token service did not answer")
        return fresh

    def _lead(self, login_id: str, stale: Token, person: str, still_works: bool) -> Token:
        """:meth:`_locked`; tokens that died in it are told once the lock is released.

        (Under the lock, a subscriber writing to the same SQLite file would wait for it.)
        """
        try:
            return self._locked(login_id, stale, person, still_works)
        except TokensDiedError as died:
            if died.token is not None:
                self.keeper.forget_login(login_id, died.token)
            raise

    def _locked(self, login_id: str, stale: Token, person: str, still_works: bool) -> Token:
        """Replace ``stale`` with a working token, spending the refresh token at most once.

        Under the login's lock the tokens are read again: when someone else already
        replaced ``stale`` with a valid token, that token is used and RingCentral is
        not asked at all. When the refresh before this one failed moments ago, its
        failure is the answer here too (:class:`RefreshFailure`), and RingCentral is
        not asked either: one refresh per expiry holds when refreshes fail.
        """
        with metrics.lock_wait(self.keeper.repo.refreshing(login_id)) as lease:
            current = lease.token
            now = self.clock()
            if current is None:
                self.keeper.forget(login_id)
                raise SignedOutError("signed out while waiting for a refresh")
            # What the store holds now is what this process uses next.
            self.keeper.remember(login_id, current)
            if current.access_token != stale.access_token and current.access_valid(
                now, REFRESH_MARGIN
            ):
                metrics.refresh("reused")
                return current
            # A token not refused and not yet expired is still good for this request.
            usable = (still_works or current.access_token != stale.access_token) and (
                current.access_valid(now)
            )
            try:
                fresh = self._refreshed(lease, current, person, now)
            except REFRESH_FAILURES:
                if usable:
                    log.info("the refresh failed; the access token still works until it expires")
                    return current
                raise
            log.info("refreshed the tokens of a login")
            metrics.refresh("ok")
            return self._save(lease, login_id, fresh)

    def _save(self, lease: RefreshLease, login_id: str, fresh: Token) -> Token:
        """Save a rotated pair; if the store cannot take it, keep it (never drop it).

        RingCentral spent the old refresh token when it answered: without the new pair
        the person is signed out at the next expiry (or the spent one stays stored).
        """
        try:
            saved = lease.save(fresh)
        except TokenStoreError as error:
            self.flights.keep_unsaved(login_id, fresh)
            log.error(
                "the store could not take a refreshed pair; this process keeps it until "
                "it can (%d kept so far): %s",
                self.flights.unsaved_count,
                error,
            )
            self.keeper.remember(login_id, fresh)
            return fresh
        self.keeper.remember(login_id, saved)
        return saved

    def _refreshed(self, lease: RefreshLease, current: Token, person: str, now: datetime) -> Token:
        """Under the lock: a new pair, unless a failure, the budget or an expiry says no."""
        if lease.failure is not None:
            metrics.refresh("remembered_failure")
            raise _error_of(lease.failure, now)
        # Checked again under the lock: a 429 may have come while this one waited.
        self.budget.check(person, AUTH, now)
        if not current.refresh_valid(now):
            lease.delete()
            metrics.refresh("expired")
            raise TokensDiedError("the refresh token expired", current)
        return self._spend(lease, current, person, now)

    def _spend(self, lease: RefreshLease, current: Token, person: str, now: datetime) -> Token:
        """Ask RingCentral for a new pair; remember a failure with the login for the waiters."""
        try:
            with timing.waiting_for_ringcentral():
                return self.client.refresh(current)
        except TokenRequestError as error:
            if error.tokens_dead:
                metrics.refresh("invalid_grant")
                lease.delete()
                raise TokensDiedError(
                    f"RingCentral refused the refresh ({error.message})", current
                ) from error
            lease.fail(_failure_of(error, FailureReason.REFUSED, now))
            raise
        except RateLimitedError as error:
            self.budget.block(person, AUTH, error, now)
            lease.fail(_failure_of(error, FailureReason.RATE_LIMITED, now))
            raise
        except RingCentralTimeoutError as error:
            lease.fail(_failure_of(error, FailureReason.TIMEOUT, now))
            raise
        except RingCentralUnavailableError as error:
            lease.fail(_failure_of(error, FailureReason.UNAVAILABLE, now))
            raise


def _failure_of(error: RingCentralError, reason: FailureReason, now: datetime) -> RefreshFailure:
    """What the waiters are told of ``error``: for as long as RingCentral asked, or a moment."""
    metrics.refresh(str(reason.value))
    hold = FAILURE_MEMORY
    if error.retry_after is not None:
        hold = min(timedelta(seconds=max(1, error.retry_after)), LONGEST_FAILURE_MEMORY)
    return RefreshFailure(
        reason=reason, until=now + hold, retry_after=error.retry_after, status=error.status
    )


def _error_of(failure: RefreshFailure, now: datetime) -> RingCentralError:
    """The error a remembered failure stands for, as the refresh that failed raised it."""
    left = max(1, int((failure.until - now).total_seconds() + 0.999))
    said = "the refresh just before this one failed"
    match failure.reason:
        case FailureReason.RATE_LIMITED:
            return RateLimitedError(
                f"{said}: rate limited", status=failure.status, retry_after=left
            )
        case FailureReason.TIMEOUT:
            return RingCentralTimeoutError(f"{said}: RingCentral did not answer")
        case FailureReason.REFUSED:
            return TokenRequestError(f"{said}: RingCentral refused it", status=failure.status)
        case _:
            return RingCentralUnavailableError(
                "RingCentral's token service is not answering right now",
                status=failure.status,
                retry_after=failure.retry_after and left,
            )
