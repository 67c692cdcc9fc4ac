"""A signed-in person's RingCentral: API calls that refresh safely when they must.

A login's tokens are read (a moment's copy kept, :mod:`~rcpyramid.ringcentral.recent`),
each call spends the person's rate-limit budget, and a token about to expire or refused
once is replaced through the refresh protocol (:mod:`~rcpyramid.ringcentral.refresh`).
Ending a login (sign-out, maximum age, dead tokens) forgets it everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from rcpyramid.cache import Cache
from rcpyramid.clock import Clock
from rcpyramid.ringcentral import retries, timing
from rcpyramid.ringcentral.client import RingCentralClient
from rcpyramid.ringcentral.endpoints import group_of
from rcpyramid.ringcentral.errors import ApiUnauthorizedError, RateLimitedError, SignedOutError
from rcpyramid.ringcentral.flights import PROCESS_FLIGHTS, RefreshFlights
from rcpyramid.ringcentral.ratelimit import RateLimitBudget
from rcpyramid.ringcentral.recent import RecentLogins
from rcpyramid.ringcentral.refresh import REFRESH_MARGIN, Refresher
from rcpyramid.ringcentral.rest import ApiCall, ApiResponse
from rcpyramid.tokens.interfaces import Token, TokenRepository, TokenStoreError

log = logging.getLogger(__name__)


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
        self.flights = flights or PROCESS_FLIGHTS
        self.refresher = Refresher(self, client, clock, self.budget, self.flights)

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
        self.remember(login_id, token)
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

    def remember(self, login_id: str, token: Token) -> None:
        """The store holds ``token`` for the login now: this process uses it next."""
        if self.recent is not None:
            self.recent.note(login_id, token)

    def forget(self, login_id: str) -> None:
        """The login is gone from the store: this process forgets its copy."""
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
        return self.get_as(login_id, token, self.person(login_id, token), ApiCall(path, params))

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
        call = ApiCall(path, params, method, json_body)
        return self.get_as(login_id, token, person, call, group=group)

    def get_as(
        self, login_id: str, token: Token, person: str, call: ApiCall, group: str | None = None
    ) -> ApiResponse:
        """:meth:`get` (or :meth:`call`) with the tokens and the person already read."""
        group = group or group_of(call.path)
        self.budget.check(person, group, self.clock())
        if not token.access_valid(self.clock(), REFRESH_MARGIN):
            # Due soon but maybe not yet: a failed refresh then falls back on this token.
            token = self.refresh(login_id, token, still_works=True)
        try:
            return self._call(person, group, call, token)
        except ApiUnauthorizedError:
            log.info("RingCentral refused an access token (401); refreshing once")
        token = self.refresh(login_id, token)
        try:
            return self._call(person, group, call, token)
        except ApiUnauthorizedError as error:
            # A token RingCentral issued a moment ago and refuses now belongs to a session
            # that was ended on RingCentral's side (revoked, password changed).
            self.end(login_id, revoke=False, token=token)
            raise SignedOutError("RingCentral refused the refreshed token") from error

    def _call(self, person: str, group: str, call: ApiCall, token: Token) -> ApiResponse:
        try:
            with (
                retries.spending(lambda: self.budget.check(person, group, self.clock())),
                timing.waiting_for_ringcentral(),
            ):
                response = self.client.send(call, token)
        except RateLimitedError as error:
            self.budget.block(person, group, error, self.clock())
            raise
        self.budget.record(person, group, response.headers, self.clock())
        return response

    def refresh(self, login_id: str, stale: Token, *, still_works: bool = False) -> Token:
        """A working token for ``stale``, through the refresh protocol (:class:`Refresher`).

        ``still_works``: ``stale`` was not refused, only due soon; when the refresh
        fails while it has not expired yet, it is used and the refresh tried later.
        The Auth budget is taken under the lock by the one request that asks RingCentral:
        a herd waiting for that refresh, or finding it done, spends none of it.
        """
        return self.refresher.refresh(login_id, stale, self.person(login_id, stale), still_works)

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
        self.forget(login_id)
        self.flights.saved(login_id)
        self.repo.delete(login_id)
        if token is not None:
            self.forget_login(login_id, token)
        return revoked

    def forget_login(self, login_id: str, token: Token) -> None:
        """The login ended (signed out, or its tokens died): forget what it left behind."""
        self.forget(login_id)
        if self.cache is not None:
            self.cache.forget(token.owner_id or f"login:{login_id}")
        self._tell_ended(login_id, token, False)

    def _tell_ended(self, login_id: str, token: Token, usable: bool) -> None:
        """Tell ``ended`` once per login (never under a refresh's lock: see :class:`Refresher`)."""
        if self.ended is None or login_id in self._told_ended:
            return
        self._told_ended.add(login_id)
        self.ended(login_id, token, usable)
