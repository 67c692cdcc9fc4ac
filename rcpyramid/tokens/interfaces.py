"""The token repository contract: what every backend promises.

The docstrings of :class:`TokenRepository` are the specification. One behavioural
suite (``tests/contract``) runs against every backend that ships.
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from rcpyramid.clock import Clock


class TokenStoreError(Exception):
    """The token store could not answer (a driver error, a lost connection)."""


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

    def access_valid(self, now: datetime, margin: timedelta = timedelta(0)) -> bool:
        return bool(self.access_token) and self.access_expires_at - margin > now

    def refresh_valid(self, now: datetime) -> bool:
        if not self.refresh_token:
            return False
        return self.refresh_expires_at is None or self.refresh_expires_at > now

    def with_times(self, created_at: datetime, updated_at: datetime) -> Token:
        return replace(self, created_at=created_at, updated_at=updated_at)

    def __repr__(self) -> str:
        # Tokens end up in tracebacks and debug output; never let their values show.
        return (
            f"Token(owner_id={self.owner_id!r}, access_expires_at={self.access_expires_at!r}, "
            f"refresh_expires_at={self.refresh_expires_at!r}, scope={self.scope!r})"
        )


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
    return_to: str = "/"


class RefreshLease(abc.ABC):
    """What :meth:`TokenRepository.refreshing` hands its caller while the lock is held."""

    #: The login's tokens as re-read after the lock was taken (None: signed out).
    token: Token | None

    @abc.abstractmethod
    def save(self, token: Token) -> Token:
        """Store the rotated pair durably before the caller uses it; return it as stored."""

    @abc.abstractmethod
    def delete(self) -> None:
        """Forget the login durably (RingCentral said its tokens are dead)."""


class TokenRepository(abc.ABC):
    """Where the app keeps tokens and pending sign-ins, keyed by opaque login ids.

    The contract every backend keeps:

    * Keys are login ids: unguessable strings the app makes (at least 128 random
      bits). Backends never derive keys from anything a person could guess.
    * Repositories do no HTTP. They store, lock and forget; RingCentral is the
      caller's business.
    * Every datetime going in and coming out is timezone-aware UTC.
    * ``get`` after ``save`` returns an equal :class:`Token` (every field kept),
      with ``created_at`` kept from the first save and ``updated_at`` set to the
      time of the latest save.
    * Backends that take part in a request transaction (SQL) never commit on their
      own, except inside :meth:`refreshing`, whose save must outlive the request, and
      in :meth:`take_pending` and :meth:`delete`, whose effect must hold even when
      the request fails afterwards (a spent state, forgotten tokens).
    * A failure of the store itself raises :class:`TokenStoreError`.
    """

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Any, clock: Clock) -> TokenRepository:
        """Build the repository from the app's settings sections (``tokens``, ``database``)."""

    def for_request(self, request: Any) -> TokenRepository:
        """The repository one request uses: ``self`` unless the backend joins the request.

        A SQL backend returns a view bound to the request's transaction here; the
        object ``from_settings`` built is then the process-wide part (engine, keys).
        """
        return self

    def configure(self, config: Any) -> None:  # noqa: B027 - most backends need nothing
        """Wire what the backend needs into the app's Configurator (SQL: pyramid_tm, retry)."""

    def close(self) -> None:  # noqa: B027 - nothing to release for stores that hold nothing
        """Release what the backend holds (connection pools); called when the app stops."""

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
        """Serialise refreshes of one login, across threads and (SQL) processes.

        ``with repo.refreshing(login_id) as lease:`` waits for the login's lock, then
        re-reads the tokens into ``lease.token``. The caller decides: when another
        caller refreshed while this one waited, it uses ``lease.token`` as it is;
        otherwise it spends the refresh token and calls ``lease.save(new)`` (or
        ``lease.delete()`` when RingCentral says the tokens are dead) before using
        the new access token. Whatever the lease saved or deleted is durable when
        the ``with`` block ends, even when the surrounding request later fails.
        The lock is released when the block ends, normally or by an exception.
        """

    @abc.abstractmethod
    def add_pending(self, pending: PendingSignIn) -> None:
        """Remember a sign-in that went to RingCentral, under ``pending.state_hash``."""

    @abc.abstractmethod
    def take_pending(self, state_hash: str, now: datetime) -> PendingSignIn | None:
        """Remove and return the pending sign-in stored under ``state_hash``.

        Single use: a second take of the same hash returns None. An expired entry
        (``expires_at <= now``) is removed and None is returned.
        """

    @abc.abstractmethod
    def purge(self, now: datetime) -> int:
        """Delete logins whose refresh token expired and expired pending sign-ins.

        Returns how many logins were deleted.
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
