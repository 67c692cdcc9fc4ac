"""A signed-in person's RingCentral: API calls that refresh safely when they must.

Every refresh goes through the token repository's protocol, so concurrent requests
of one login (threads, or processes sharing a database) spend the refresh token once;
within a process, one thread per login goes to the repository's lock and the others
wait for its outcome (:mod:`rcpyramid.ringcentral.flights`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from rcpyramid.cache import Cache
from rcpyramid.clock import Clock
from rcpyramid.ops import metrics
from rcpyramid.ringcentral import retries, timing
from rcpyramid.ringcentral.client import RingCentralClient
from rcpyramid.ringcentral.endpoints import AUTH, group_of
from rcpyramid.ringcentral.errors import (
    ApiUnauthorizedError,
    RateLimitedError,
    RingCentralError,
    RingCentralTimeoutError,
    RingCentralUnavailableError,
    SignedOutError,
    TokenRequestError,
)
from rcpyramid.ringcentral.flights import PROCESS_FLIGHTS, RefreshFlights
from rcpyramid.ringcentral.ratelimit import RateLimitBudget
from rcpyramid.ringcentral.recent import RecentLogins
from rcpyramid.ringcentral.rest import ApiResponse
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


class SignedInRingCentral:
    """Calls RingCentral for one login id, keeping its stored tokens current."""

    def __init__(  # noqa: PLR0913 - its collaborators, each injected so tests can vary one
        self,
        client: RingCentralClient,
        repo: TokenRepository | Callable[[], TokenRepository],
        clock: Clock,
        *,
        max_age: timedelta | None = None,
        budget: RateLimitBudget | None = None,
        cache: Cache | None = None,
        recent: RecentLogins | None = None,
        ended: Callable[[str, Token, bool], None] | None = None,
        flights: RefreshFlights | None = None,
    ) -> None:
        self.client = client
        # A callable is asked on first use: a cache hit of a login read a moment ago
        # opens no database session at all.
        self._repo = repo
        self.clock = clock
        self.max_age = max_age
        self.cache = cache
        self.budget = budget or RateLimitBudget()
        # None: every load reads the store (a bare object, as some tests build one).
        self.recent = recent
        #: Told ``(login_id, token, usable)`` when a login ends: before the revoke of a
        #: sign-out (``usable``: the token still works), after RingCentral killed the tokens.
        self.ended = ended
        self._told_ended: set[str] = set()
        #: While a refresh holds the login's lock: the endings to tell once it is released.
        self._ended_queue: list[tuple[str, Token, bool]] | None = None
        self.flights = flights or PROCESS_FLIGHTS

    @property
    def repo(self) -> TokenRepository:
        if not isinstance(self._repo, TokenRepository):
            self._repo = self._repo()
        return self._repo

    def load(self, login_id: str) -> Token:
        """The login's tokens; a login older than ``max_age`` is signed out on the server.

        Tokens read a moment ago in this process are used again (:class:`RecentLogins`),
        and a rotated pair the store could not take is used (and offered to it again).
        """
        kept = self.flights.unsaved(login_id)
        if kept is not None:
            return self._offer_kept(login_id, kept)
        if self.recent is not None:
            recent = self.recent.token(login_id)
            if recent is not None:
                return recent
        token = self.repo.get(login_id)
        if token is None:
            raise SignedOutError("not signed in")
        if (
            self.max_age is not None
            and token.created_at is not None
            and self.clock() - token.created_at > self.max_age
        ):
            self.end(login_id, revoke=True)
            raise SignedOutError("the sign-in reached its maximum age")
        self._remember(login_id, token)
        return token

    def _offer_kept(self, login_id: str, kept: Token) -> Token:
        """The kept pair, saved now if the store takes it (it is the newest there is)."""
        try:
            with self.repo.refreshing(login_id) as lease:
                if lease.token is None:
                    self.flights.saved(login_id)
                    raise SignedOutError("signed out while the store was away")
                if lease.token.access_token != kept.access_token:
                    lease.save(kept)
        except TokenStoreError as error:
            log.warning("the store still cannot take a refreshed pair; kept here: %s", error)
            return kept
        self.flights.saved(login_id, kept)
        log.info("the store took the refreshed pair it had refused")
        return kept

    def _remember(self, login_id: str, token: Token) -> None:
        if self.recent is not None:
            self.recent.note(login_id, token)

    def _forget_recent(self, login_id: str) -> None:
        if self.recent is not None:
            self.recent.forget(login_id)

    def whose(self, login_id: str) -> tuple[str, str]:
        """(person, owner id) of a signed-in login, read a moment ago or now (SignedOutError)."""
        token = self.load(login_id)
        return self.person(login_id, token), token.owner_id or ""

    def person(self, login_id: str, token: Token) -> str:
        """Whom RingCentral counts and the cache keys: the owner id (the login id if none)."""
        owner = token.owner_id or f"login:{login_id}"
        return self.cache.person(owner) if self.cache is not None else owner

    def get(self, login_id: str, path: str, params: dict[str, Any] | None = None) -> ApiResponse:
        """GET ``path``: refresh first when the token is about to expire, once more on a 401.

        While RingCentral's rate limit for this person and the path's group lasts (or
        its count is spent), the call is not made at all: :class:`RateLimitedError`
        says how long to wait.
        """
        token = self.load(login_id)
        return self.get_as(login_id, token, self.person(login_id, token), path, params)

    def call(
        self,
        login_id: str,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        group: str | None = None,
    ) -> ApiResponse:
        """Any method on ``path`` (webhook subscriptions), with :meth:`get`'s refresh and budget.

        ``group``: the rate-limit group when the path alone does not say (an id in it).
        """
        token = self.load(login_id)
        person = self.person(login_id, token)
        return self.get_as(
            login_id, token, person, path, params, method=method, json_body=json_body, group=group
        )

    def get_as(  # noqa: PLR0913 - get's five, and call's three keywords
        self,
        login_id: str,
        token: Token,
        person: str,
        path: str,
        params: dict[str, Any] | None,
        *,
        method: str = "GET",
        json_body: Any = None,
        group: str | None = None,
    ) -> ApiResponse:
        """:meth:`get` (or :meth:`call`) with the tokens and the person already read."""
        group = group or group_of(path)
        self.budget.check(person, group, self.clock())
        if not token.access_valid(self.clock(), REFRESH_MARGIN):
            # Due soon but maybe not yet: a failed refresh then falls back on this token.
            token = self.refresh(login_id, token, still_works=True)
        try:
            return self._call(person, group, path, token, params, method, json_body)
        except ApiUnauthorizedError:
            log.info("RingCentral refused an access token (401); refreshing once")
        token = self.refresh(login_id, token)
        try:
            return self._call(person, group, path, token, params, method, json_body)
        except ApiUnauthorizedError as error:
            # A token RingCentral issued a moment ago and refuses now belongs to a session
            # that was ended on RingCentral's side (revoked, password changed).
            self.end(login_id, revoke=False, token=token)
            raise SignedOutError("RingCentral refused the refreshed token") from error

    def _call(  # noqa: PLR0913 - a request's parts
        self,
        person: str,
        group: str,
        path: str,
        token: Token,
        params: dict[str, Any] | None,
        method: str = "GET",
        json_body: Any = None,
    ) -> ApiResponse:
        try:
            with (
                retries.spending(lambda: self.budget.check(person, group, self.clock())),
                timing.waiting_for_ringcentral(),
            ):
                if method == "GET":
                    response = self.client.get(path, token, params)
                else:
                    response = self.client.send(method, path, token, params, json_body)
        except RateLimitedError as error:
            self.budget.block(person, group, error, self.clock())
            raise
        self.budget.record(person, group, response.headers, self.clock())
        return response

    def refresh(self, login_id: str, stale: Token, *, still_works: bool = False) -> Token:
        """:meth:`_refresh`, unless RingCentral's Auth-group rate limit says to wait.

        ``still_works``: ``stale`` was not refused, only due soon; when the refresh
        fails while it has not expired yet, it is used and the refresh tried later.
        """
        # The Auth budget is taken under the lock by the one request that asks
        # RingCentral (:meth:`_refreshed`): a herd waiting for that refresh, or finding it
        # done, spends none of it.
        return self._refresh(login_id, stale, self.person(login_id, stale), still_works)

    def _refresh(self, login_id: str, stale: Token, person: str, still_works: bool) -> Token:
        """:meth:`_refresh_locked` once per login in this process; other threads share it."""
        try:
            fresh = self.flights.run(
                login_id, lambda: self._refresh_telling(login_id, stale, person, still_works)
            )
        except (RateLimitedError, RingCentralUnavailableError, TokenRequestError):
            # Another thread's refresh failed; this request's token may still work.
            if still_works and stale.access_valid(self.clock()):
                return stale
            raise
        if fresh.access_token == stale.access_token and not still_works:
            # Another thread's refresh failed and fell back on the token this one was
            # refused with: using it again would read as a session ended at RingCentral.
            raise RingCentralUnavailableError("RingCentral's token service did not answer")
        return fresh

    def _refresh_telling(
        self, login_id: str, stale: Token, person: str, still_works: bool
    ) -> Token:
        """:meth:`_refresh_locked`; the endings it meets are told once the lock is released."""
        queued: list[tuple[str, Token, bool]] = []
        self._ended_queue = queued
        try:
            return self._refresh_locked(login_id, stale, person, still_works)
        finally:
            self._ended_queue = None
            for ending in queued:
                self._tell_ended(*ending)

    def _refresh_locked(self, login_id: str, stale: Token, person: str, still_works: bool) -> Token:
        """Replace ``stale`` with a working token, spending the refresh token at most once.

        Under the login's lock the tokens are read again: when someone else already
        replaced ``stale`` with a valid token, that token is used and RingCentral is
        not asked at all. When the refresh before this one failed moments ago, its
        failure is the answer here too (:class:`RefreshFailure`), and RingCentral is
        not asked either: one refresh per expiry holds when refreshes fail.
        """
        with metrics.lock_wait(self.repo.refreshing(login_id)) as lease:
            current = lease.token
            now = self.clock()
            if current is None:
                self._forget_recent(login_id)
                raise SignedOutError("signed out while waiting for a refresh")
            # What the store holds now is what this process uses next.
            self._remember(login_id, current)
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
                fresh = self._refreshed(lease, login_id, current, person, now)
            except (RateLimitedError, RingCentralUnavailableError, TokenRequestError):
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
            self._remember(login_id, fresh)
            return fresh
        self._remember(login_id, saved)
        return saved

    def _refreshed(
        self, lease: RefreshLease, login_id: str, current: Token, person: str, now: datetime
    ) -> Token:
        """Under the lock: a new pair, unless a failure, the budget or an expiry says no."""
        if lease.failure is not None:
            metrics.refresh("remembered_failure")
            raise _error_of(lease.failure, now)
        # Checked again under the lock: a 429 may have come while this one waited.
        self.budget.check(person, AUTH, now)
        if not current.refresh_valid(now):
            lease.delete()
            self._forget_cache(login_id, current)
            metrics.refresh("expired")
            raise SignedOutError("the refresh token expired")
        return self._spend(lease, login_id, current, person, now)

    def _spend(
        self, lease: RefreshLease, login_id: str, current: Token, person: str, now: datetime
    ) -> Token:
        """Ask RingCentral for a new pair; remember a failure with the login for the waiters."""
        try:
            with timing.waiting_for_ringcentral():
                return self.client.refresh(current)
        except TokenRequestError as error:
            if error.tokens_dead:
                metrics.refresh("invalid_grant")
                lease.delete()
                self._forget_cache(login_id, current)
                raise SignedOutError(
                    f"RingCentral refused the refresh ({error.message})"
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

    def end(self, login_id: str, *, revoke: bool, token: Token | None = None) -> bool:
        """End a login: revoke at RingCentral (when asked), then forget it here whatever
        the revoke said: the stored tokens, this process's copy, the person's cached
        answers in every process. True if RingCentral confirmed the revoke.

        :func:`rcpyramid.logins.end_login` is how the rest of the app asks for this.
        """
        if token is None:
            token = self.repo.get(login_id)
        revoked = False
        if token is not None:
            # Before the revoke: what the login set up at RingCentral (a webhook
            # subscription) can still be deleted with its token.
            self._tell_ended(login_id, token, revoke)
        if token is not None and revoke:
            try:
                self.client.revoke(token)
                revoked = True
            except Exception as error:  # whatever it was, the login ends here
                log.warning("revoking at RingCentral failed: %s", type(error).__name__)
        self._forget_recent(login_id)
        self.flights.saved(login_id)
        self.repo.delete(login_id)
        if token is not None:
            self._forget_cache(login_id, token)
        return revoked

    def _forget_cache(self, login_id: str, token: Token) -> None:
        """The login ended (signed out, or its tokens died): forget what it left behind."""
        self._forget_recent(login_id)
        if self.cache is not None:
            self.cache.forget(token.owner_id or f"login:{login_id}")
        self._tell_ended(login_id, token, False)

    def _tell_ended(self, login_id: str, token: Token, usable: bool) -> None:
        """Tell ``ended`` once per login; inside a refresh's lock, once the lock is released.

        (Under the lock, a subscriber writing to the same SQLite file would wait for it.)
        """
        if self.ended is None or login_id in self._told_ended:
            return
        if self._ended_queue is not None:
            self._ended_queue.append((login_id, token, usable))
            return
        self._told_ended.add(login_id)
        self.ended(login_id, token, usable)


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
