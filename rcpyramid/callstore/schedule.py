"""What keeps a call history live, beside the records: due marks, leases, subscriptions, logins.

The docstrings of :class:`LiveSchedule` are the contract; one suite
(``rcpyramid.callstore.schedule_testing``) checks it against every backend: one
process's memory (:mod:`.schedule_memory`) and SQL (:mod:`.schedule_sqla`). Owners are
opaque keys the app makes (:class:`rcpyramid.livehistory.keys.HistoryKeys`): a keyed
hash of a RingCentral extension or account id, never the id itself. Every datetime in
and out is aware UTC.

Unlike the token repository, every verb commits on its own: a delivery's due mark,
a lease and a subscription must be seen at once by every process (another worker,
another instance), and hold whatever the request that wrote them does next.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

PERSON = "person"
COMPANY = "company"

#: A subscription RingCentral says is working; the others are replaced.
ACTIVE = "Active"
BLACKLISTED = "Blacklisted"


@dataclass(frozen=True)
class OwnerState:
    """One history's scheduling and sync state (a person's, or an account's)."""

    owner: str
    kind: str = PERSON
    #: When the next sync is due (None: not due).
    due_at: datetime | None = None
    #: Bumped by every :meth:`LiveSchedule.mark_due`; a release clears the mark only if unchanged.
    due_seq: int = 0
    #: ISyncs still owed after one that found no new record ("one more later").
    retries: int = 0
    lease_holder: str = ""
    lease_until: datetime | None = None
    #: ``due_seq`` when the current lease was taken.
    claimed_seq: int = 0
    #: Call records that came in through syncs so far; the live pages poll it.
    counter: int = 0
    #: The poll's copy of the history's ``SyncState.covers_from`` (None: nothing synced yet).
    history_from: datetime | None = None
    #: The poll's copy of ``SyncState.backfilling``: older records are still being fetched.
    filling: bool = False
    last_sync_at: datetime | None = None
    #: When the owner's subscriptions were last checked at RingCentral.
    checked_at: datetime | None = None


@dataclass(frozen=True)
class LoginLink:
    """A signed-in login of a history's owner: what a worker signs in with."""

    #: A keyed hash of the login id (the id itself is a credential).
    login_key: str
    owner: str
    #: The account's history key, for administrators; empty otherwise.
    company: str = ""
    #: The login id, as the backend keeps it (sealed at rest by the SQL one).
    login_id: str = field(default="", repr=False)
    created_at: datetime | None = None


@dataclass(frozen=True)
class SubscriptionRow:
    """A webhook subscription this app created at RingCentral for one owner."""

    id: str
    owner: str
    #: The account's history key when the subscription also listens to the company.
    company: str = ""
    #: Keyed hash of the verification token (the token itself is never kept).
    token_hash: str = field(default="", repr=False)
    expires_at: datetime | None = None
    status: str = ACTIVE
    #: The login (its key) that created it.
    login_key: str = ""
    created_at: datetime | None = None
    checked_at: datetime | None = None
    #: A reminder came: renew at the next chance.
    renew: bool = False


class LiveSchedule(abc.ABC):
    """The contract. Every verb is atomic and durable when it returns; none does HTTP."""

    shared_across_processes: ClassVar[bool]

    # -- logins ------------------------------------------------------------------

    @abc.abstractmethod
    def add_login(self, link: LoginLink) -> None:
        """Remember a signed-in login of ``link.owner`` (replacing one with the same key)."""

    @abc.abstractmethod
    def remove_login(self, login_key: str) -> LoginLink | None:
        """Forget a login; the link it was, or None when unknown."""

    @abc.abstractmethod
    def logins_of(self, owner: str) -> list[LoginLink]:
        """The logins whose person owns ``owner``, or (a company key) its administrators'."""

    # -- owners: due marks, leases, sync state --------------------------------------

    @abc.abstractmethod
    def ensure_owner(self, owner: str, kind: str, now: datetime) -> OwnerState:
        """The owner's state, created (due now) if it did not exist."""

    @abc.abstractmethod
    def owner(self, owner: str) -> OwnerState | None:
        """The owner's state, or None."""

    @abc.abstractmethod
    def mark_due(self, owner: str, at: datetime, *, retries: int | None = None) -> bool:
        """Due at ``at``, or earlier if already due earlier; False when the owner is unknown.

        Bumps ``due_seq`` so that a sync running now does not clear this mark. The
        first mark while a sync holds the lease replaces the mark that sync is
        serving (a call that ended during the sync wants a sync after it, not now).
        ``retries`` (when given) replaces the owed retries.
        """

    @abc.abstractmethod
    def claim_due(
        self, now: datetime, holder: str, until: datetime, limit: int
    ) -> list[OwnerState]:
        """Lease up to ``limit`` owners due by ``now`` and not leased (or lease expired).

        One holder per owner across every process sharing the store; each state
        returned is as claimed (its ``due_seq`` is what :meth:`release` compares).
        """

    @abc.abstractmethod
    def save_sync(self, owner: str, holder: str, **changes: Any) -> bool:
        """Write what a sync did (``history_from``, ``filling``, ``last_sync_at``, ``checked_at``;
        ``add``: records that came in, added to ``counter``) under the lease.

        False (and nothing written) when ``holder`` no longer holds the lease.
        """

    @abc.abstractmethod
    def release(
        self, owner: str, holder: str, due_seq: int, next_due: datetime | None, retries: int
    ) -> None:
        """End the lease. The due mark becomes ``next_due`` only if no mark came meanwhile."""

    @abc.abstractmethod
    def forget_owner(self, owner: str) -> None:
        """Delete the owner's state, subscriptions and logins."""

    @abc.abstractmethod
    def owners(self) -> list[str]:
        """Every owner with a state (for trimming)."""

    # -- subscriptions --------------------------------------------------------------------

    @abc.abstractmethod
    def save_subscription(self, row: SubscriptionRow) -> None:
        """Insert or replace the subscription ``row.id``."""

    @abc.abstractmethod
    def subscription(self, subscription_id: str) -> SubscriptionRow | None:
        """The subscription by RingCentral's id (one indexed read; the receiver's)."""

    @abc.abstractmethod
    def subscriptions_of(self, owner: str) -> list[SubscriptionRow]:
        """The owner's subscriptions."""

    @abc.abstractmethod
    def delete_subscription(self, subscription_id: str) -> None:
        """Forget a subscription (deleting what is not there is not an error)."""

    @abc.abstractmethod
    def flag_renewal(self, subscription_id: str) -> None:
        """A reminder came: the next check renews it."""

    @abc.abstractmethod
    def subscriptions_to_check(
        self, checked_before: datetime, expiring_before: datetime, limit: int
    ) -> list[SubscriptionRow]:
        """Flagged ones, those not checked since ``checked_before`` or expiring soon."""

    def ping(self) -> None:  # noqa: B027 - nothing to check in memory
        """Raise when the store cannot answer."""
