"""The token repository contract: what every backend promises.

The docstrings of :class:`TokenRepository` are the specification. One behavioural
suite (:mod:`rcpyramid.tokens.testing`) runs against every backend that ships, and a
third-party backend runs it by subclassing.

Longer than the package's other modules because it is the whole contract in one place,
as Kinto keeps its storage contract: the abstract classes, whose docstrings are the
specification, and the values their verbs take and return and the errors they raise,
which that specification names. A backend's author reads this one file.
"""

from __future__ import annotations

import abc
import enum
import hashlib
import hmac
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from rcpyramid.errors import PageError

#: ``factory(context, request)``: the request's repository (see ``service_factory``).
ServiceFactory = Callable[[Any, Any], "TokenRepository"]


class TokenStoreError(PageError):
    """The token store could not answer (a driver error, a lost connection)."""

    page_status: ClassVar[int] = 503
    title: ClassVar[str] = "Temporarily unavailable"

    @property
    def explanation(self) -> str:
        return (
            "The app cannot reach its database right now. Nothing was lost; please try "
            "again in a moment."
        )


@dataclass(frozen=True)
class Token:
    """One person's RingCentral tokens, with absolute (aware UTC) expiries."""

    access_token: str
    access_expires_at: datetime
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None
    token_type: str = "bearer"  # noqa: S105 - the scheme's name, not a secret
    scope: str = ""
    owner_id: str = ""
    endpoint_id: str = ""
    # Who signed in, for the page that greets them; not a credential.
    owner_name: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    #: When the person was last seen (:meth:`TokenRepository.touch`); None: not since sign-in.
    last_seen_at: datetime | None = None

    def access_valid(self, now: datetime, margin: timedelta = timedelta(0)) -> bool:
        return bool(self.access_token) and self.access_expires_at - margin > now

    def refresh_valid(self, now: datetime) -> bool:
        if not self.refresh_token:
            return False
        return self.refresh_expires_at is None or self.refresh_expires_at > now

    def __repr__(self) -> str:
        # Tokens end up in tracebacks and debug output; never let their values show.
        return (
            f"Token(owner_id={self.owner_id!r}, access_expires_at={self.access_expires_at!r}, "
            f"refresh_expires_at={self.refresh_expires_at!r}, scope={self.scope!r})"
        )


def browser_key(secret: bytes, browser_id: str) -> str:
    """The key a browser's pending sign-ins are counted under: HMAC-SHA256 of its id."""
    return hmac.new(secret, browser_id.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def state_digest(state: str) -> str:
    """The key a pending sign-in is stored under: never the raw ``state``.

    Looking a state up by its SHA-256 leaks nothing usable through timing, and a
    dump of the store holds no value an attacker could paste into a callback.
    """
    return hashlib.sha256(state.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in that left for RingCentral and has not come back yet."""

    state_hash: str
    code_verifier: str = field(repr=False)
    browser_id: str = field(repr=False)
    expires_at: datetime
    #: HMAC-SHA256 of the browser id (:func:`browser_key`): finds a browser's sign-ins
    #: without storing the id itself in the clear.
    browser_key: str = ""
    return_to: str = "/"
    #: HMAC-SHA256 of the client's address (its /64 for IPv6, :func:`address_key`):
    #: counts one address's sign-ins without storing the address.
    address_key: str = ""


@dataclass(frozen=True)
class PendingLimits:
    """How many sign-ins may be in progress at once: per browser, in all, per address.

    ``per_address`` None: addresses are not counted.
    """

    per_browser: int
    total: int
    per_address: int | None = None


class FailureReason(enum.StrEnum):
    """Why a refresh failed; the signed-in client raises the matching error for the waiters."""

    REFUSED = "refused"
    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"

    @classmethod
    def read(cls, value: object) -> FailureReason:
        """The reason a stored value names; one this version does not know is "unavailable"."""
        try:
            return cls(str(value))
        except ValueError:
            return cls.UNAVAILABLE


@dataclass(frozen=True)
class RefreshFailure:
    """Why the last refresh of a login failed, and until when waiters take that answer.

    Remembered through :meth:`RefreshLease.fail`, so that the requests queued behind a
    failed refresh (in this process or, with a shared store, in others) answer with the
    same failure instead of each asking RingCentral again.
    """

    #: What went wrong, as a short machine word (stored as its value), no secret.
    reason: FailureReason
    #: Aware UTC; after this, the next holder of the lock may try again.
    until: datetime
    retry_after: int | None = None
    #: RingCentral's HTTP status, when it answered.
    status: int | None = None


class RefreshLease(abc.ABC):
    """What :meth:`TokenRepository.refreshing` hands its caller while the lock is held."""

    #: The login's tokens as re-read after the lock was taken (None: signed out).
    token: Token | None
    #: A failure a previous holder remembered that is still in force (``until`` in the future).
    failure: RefreshFailure | None

    @abc.abstractmethod
    def save(self, token: Token) -> Token:
        """Store the rotated pair durably before the caller uses it; return it as stored.

        Clears any remembered failure.
        """

    @abc.abstractmethod
    def delete(self) -> None:
        """Forget the login durably (RingCentral said its tokens are dead)."""

    @abc.abstractmethod
    def fail(self, failure: RefreshFailure) -> None:
        """Remember ``failure`` with the login until ``failure.until``, durably.

        Later holders of the lock see it as ``lease.failure`` and answer with it without
        calling RingCentral. The tokens themselves are kept. A missing login is left alone.
        """


class PendingLimitError(PageError):
    """Too many sign-ins are in progress; a new one is refused (others are never evicted)."""

    page_status: ClassVar[int] = 503
    title: ClassVar[str] = "Too many sign-ins right now"
    #: Sign-ins in progress expire within minutes (``rcpyramid.sign_in_timeout``).
    retry_after = 60

    @property
    def explanation(self) -> str:
        return (
            "More people than this app can keep track of are signing in at this moment. "
            "Nothing is wrong with your account: please try again in a minute."
        )


class AddressPendingLimitError(PageError):
    """Too many sign-ins in progress from one client address; its next one is refused.

    ``retry_after``: seconds until the address's oldest sign-in expires and makes room
    (sooner if one of them completes).
    """

    page_status: ClassVar[int] = 429
    title: ClassVar[str] = "Too many sign-ins from your network"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)

    @property
    def explanation(self) -> str:
        return (
            "Many sign-ins were started from your network in the last few minutes and not "
            "finished. Nothing is wrong with your account: please try again later, or "
            "finish a sign-in you already started."
        )


class TokenRepository(abc.ABC):
    """Where the app keeps tokens and pending sign-ins, keyed by opaque login ids.

    The contract every backend keeps (``rcpyramid.tokens.testing`` checks it):

    * Keys are login ids: unguessable strings the app makes (at least 128 random
      bits). Backends never derive keys from anything a person could guess.
    * Repositories do no HTTP. They store, lock and forget; RingCentral is the
      caller's business. A backend wires itself into the app with
      :meth:`service_factory` (or an ``includeme`` in its module, see
      :mod:`rcpyramid.tokens`); the rest of the class carries storage only.
    * Every datetime going in and coming out is timezone-aware UTC.
    * ``get`` after ``save`` returns an equal :class:`Token` (every field kept),
      with ``created_at`` kept from the first save, ``updated_at`` set to the time
      of the latest save, and ``last_seen_at`` the later of the stored and the saved
      one (None counts as never).
    * Backends that take part in a request transaction (SQL) never commit on their
      own, except inside :meth:`refreshing`, whose save must outlive the request, and
      in :meth:`take_pending` and :meth:`delete`, whose effect must hold even when
      the request fails afterwards (a spent state, forgotten tokens).
    * A failure of the store itself raises :class:`TokenStoreError`.
    """

    #: True when every process using the same configuration sees the same data and
    #: locks (SQL); False when each process has its own (memory).
    shared_across_processes: ClassVar[bool]

    @classmethod
    def service_factory(cls, config: Any) -> ServiceFactory | None:
        """How the app makes this backend's repositories: ``factory(context, request)``.

        Called once, while the app is configured (warehouse's ``create_service``). None,
        the default: the backend's module wires it with an ``includeme(config)`` instead.
        """
        return None

    @abc.abstractmethod
    def get(self, login_id: str) -> Token | None:
        """The login's tokens, or None when there are none."""

    @abc.abstractmethod
    def save(self, login_id: str, token: Token) -> Token:
        """Insert or replace the login's tokens atomically; return them as stored."""

    @abc.abstractmethod
    def delete(self, login_id: str) -> None:
        """Forget the login. Deleting what is not there is not an error."""

    @abc.abstractmethod
    def refreshing(self, login_id: str) -> AbstractContextManager[RefreshLease]:
        """Serialise refreshes of one login, across threads and (shared stores) processes.

        ``with repo.refreshing(login_id) as lease:`` waits for the login's lock, then
        re-reads the tokens into ``lease.token`` and any failure still in force into
        ``lease.failure``. The caller decides: when another caller refreshed while
        this one waited, it uses ``lease.token`` as it is; when a failure is in
        force, it answers with it; otherwise it spends the refresh token and calls
        ``lease.save(new)`` (``lease.delete()`` when RingCentral says the tokens are
        dead, ``lease.fail(failure)`` when the refresh failed otherwise) before using
        the new access token. Whatever the lease saved, deleted or remembered is
        durable when the ``with`` block ends, even when the surrounding request later
        fails. The lock is released when the block ends, normally or by an exception.
        """

    @abc.abstractmethod
    def touch(self, login_id: str, seen_at: datetime) -> None:
        """Record that the login's person was seen at ``seen_at`` (a missing login: no-op).

        Callers write this at most once per resolution period, not on every request.
        It changes ``last_seen_at`` only, never ``updated_at``.
        """

    @abc.abstractmethod
    def add_pending(self, pending: PendingSignIn, *, now: datetime, limits: PendingLimits) -> None:
        """Remember a sign-in that went to RingCentral, under ``pending.state_hash``.

        Expired entries (``expires_at <= now``) go first. The browser
        ``pending.browser_key`` keeps at most ``limits.per_browser`` entries: its oldest
        (earliest ``expires_at``) give way. When ``limits.total`` live entries of other
        sign-ins would remain, :class:`PendingLimitError` is raised and nothing
        changes: other people's sign-ins are never evicted. When ``limits.per_address``
        is given and the address ``pending.address_key`` keeps that many live entries
        (besides those giving way), :class:`AddressPendingLimitError` is raised, its
        ``retry_after`` the seconds until the earliest of them expires, and nothing
        changes either.
        """

    @abc.abstractmethod
    def take_pending(self, state_hash: str, now: datetime) -> PendingSignIn | None:
        """Remove and return the pending sign-in stored under ``state_hash``.

        Single use: a second take of the same hash returns None. An expired entry
        (``expires_at <= now``) is removed and None is returned.
        """

    @abc.abstractmethod
    def idle_logins(self, seen_before: datetime, limit: int) -> list[tuple[str, Token]]:
        """Up to ``limit`` logins last seen before ``seen_before``, least recent first.

        A login never touched counts as seen at its latest save (``updated_at``).
        For ``rcpyramid-purge``, which revokes them at RingCentral and deletes them.
        """

    @abc.abstractmethod
    def purge(self, now: datetime, owners: list[str] | None = None) -> int:
        """Delete logins whose refresh token expired and expired pending sign-ins.

        Returns how many logins were deleted; for each, exactly the name its cached
        answers are kept under (its owner id, else ``login:<login id>``, as
        :meth:`rcpyramid.ringcentral.signed_in.SignedInRingCentral.person` names it) is
        appended to ``owners`` when given, so those, and only those, are forgotten.
        """

    def ping(self) -> None:  # noqa: B027 - a working default for stores with nothing to check
        """Raise :class:`TokenStoreError` when the store cannot answer right now."""


def iter_subclass_problems(cls: type) -> Iterator[str]:
    """Why ``cls`` cannot serve as a token repository (nothing when it can)."""
    if not isinstance(cls, type) or not issubclass(cls, TokenRepository):
        yield f"{cls!r} is not a subclass of rcpyramid.tokens.interfaces.TokenRepository"
        return
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing:
        yield f"{cls.__module__}.{cls.__qualname__} does not implement {', '.join(missing)}"
