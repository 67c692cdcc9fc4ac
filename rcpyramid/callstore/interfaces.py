"""The call history contract: what every backend of the local call history promises.

The docstrings of :class:`CallHistory` are the specification. One behavioural suite
(:mod:`rcpyramid.callstore.testing`) runs against every backend that ships, and a
third-party backend runs it by subclassing.

A history belongs to an *owner*: an opaque key the app makes with
:func:`person_history` (one person's own call log) or :func:`company_history` (an
account's company call log, which its administrators read). Backends never parse it.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from rcpyramid.tokens.interfaces import TokenStoreError

#: The longest owner key and record id a backend must accept.
MAX_OWNER_LENGTH = 128
MAX_RECORD_ID_LENGTH = 64


class CallStoreError(TokenStoreError):
    """The call history could not answer (a driver error, a lost connection): a 503 page."""


def person_history(account_id: str, extension_id: str) -> str:
    """The owner key of one person's history: their own call log."""
    return f"person:{account_id}:{extension_id}"


def company_history(account_id: str) -> str:
    """The owner key of an account's company call log (what its administrators see)."""
    return f"company:{account_id}"


@dataclass(frozen=True)
class CallEntry:
    """The plaintext index of one stored record: what filters, sorting and charts need.

    Nothing here names a person or a number. ``extension_id`` is RingCentral's id of
    the extension the record belongs to (``record["extension"]["id"]``): in a company
    log, the colleague whose call it was.
    """

    record_id: str
    start_time: datetime
    direction: str = ""
    type: str = ""
    result: str = ""
    #: Seconds, never negative.
    duration: int = 0
    extension_id: str = ""
    #: RingCentral's ``lastModifiedTime`` (Detailed view only); None when the record had none.
    last_modified: datetime | None = None


@dataclass(frozen=True)
class HistoryQuery:
    """Which records :meth:`CallHistory.page` and :meth:`CallHistory.entries` return.

    Every filter left empty matches everything; filters combine with AND, the values
    within one filter with OR. Values are compared exactly as RingCentral writes them
    (``"Inbound"``, ``"Voice"``, ``"Missed"``): a result group such as "missed calls to
    return" is ``directions=("Inbound",), results=("Missed", "Voicemail")``.
    """

    #: Calls that started at or after this moment (aware UTC).
    date_from: datetime | None = None
    #: Calls that started before this moment (aware UTC), as RingCentral's ``dateTo``.
    date_to: datetime | None = None
    directions: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    results: tuple[str, ...] = ()
    #: One colleague's calls in a company log (RingCentral's extension id).
    extension_id: str | None = None
    #: What a person typed in a search box: see :meth:`CallHistory.page`.
    search: str = ""
    #: How many matching records to pass over, newest first.
    offset: int = 0
    #: How many records to return at most; None: all the rest.
    limit: int | None = 100

    def __post_init__(self) -> None:
        for name in ("date_from", "date_to"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} must be an aware datetime")
        if self.offset < 0 or (self.limit is not None and self.limit < 0):
            raise ValueError("offset and limit are never negative")


@dataclass(frozen=True)
class HistoryPage:
    """One page of a history: RingCentral's record JSON, newest first, and how many match."""

    records: list[dict[str, Any]]
    #: Every record the query's filters match, not only those on this page.
    total: int


@dataclass(frozen=True)
class Merged:
    """What :meth:`CallHistory.merge` changed, by RingCentral record id."""

    #: Records the history did not hold before (the "2 new calls" a live page announces).
    added: tuple[str, ...] = ()
    #: Records whose stored version was replaced by a newer one.
    updated: tuple[str, ...] = ()
    #: Records removed because RingCentral marked them ``deleted``.
    deleted: tuple[str, ...] = ()
    #: Records refused as malformed (no string ``id``, no readable ``startTime``, too long an id).
    skipped: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)


@dataclass(frozen=True)
class SyncState:
    """Where a history's synchronisation with RingCentral stands.

    The sync engine reads it, decides, and writes it back with
    :meth:`CallHistory.save_sync_state`; the store only keeps it. (When a sync is due
    lives in the live schedule, :mod:`rcpyramid.callstore.schedule`.)
    """

    #: RingCentral's ``syncInfo.syncToken`` for the next ISync; None: the next sync is an FSync.
    sync_token: str | None = field(default=None, repr=False)
    #: RingCentral's ``syncInfo.syncTime`` of the last sync that succeeded: the history is
    #: current up to this moment.
    synced_at: datetime | None = None
    #: The history holds every call from this moment up to ``synced_at`` (None: nothing yet).
    #: Pages say "your history goes back to ..." from it while a backfill runs.
    covers_from: datetime | None = None
    #: How far back a backfill in progress is going (the start of the history window);
    #: None when no backfill is in progress.
    backfill_until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("synced_at", "covers_from", "backfill_until"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} must be an aware datetime")

    @property
    def backfilling(self) -> bool:
        """True while the history is still being extended back towards ``backfill_until``."""
        if self.backfill_until is None:
            return False
        return self.covers_from is None or self.covers_from > self.backfill_until


class CallHistory(abc.ABC):
    """Each owner's call records as RingCentral sent them, and where their sync stands.

    The contract every backend keeps (``rcpyramid.callstore.testing`` checks it):

    * Owners are opaque keys (:func:`person_history`, :func:`company_history`), at most
      :data:`MAX_OWNER_LENGTH` characters. Every verb reads and writes one owner's data
      only: one person never sees another's records or sync state.
    * Records go in and come out as RingCentral's call-log record JSON (``dict``), kept
      whole and unchanged (``uri``, ``legs``, anything RingCentral adds), so that
      ``format=json`` can answer with them as they came. They are keyed by their ``id``
      (a string of at most :data:`MAX_RECORD_ID_LENGTH` characters) within the owner.
    * Names and phone numbers are never stored in the clear by a backend that persists
      (the SQL backend encrypts each record with the token key ring, its associated data
      binding the ciphertext to its owner and record id). What may be stored in the clear
      is the index of :class:`CallEntry`, which names no one.
    * Stores do no HTTP: RingCentral is the sync engine's business.
    * Every datetime going in and coming out is timezone-aware UTC.
    * Backends that take part in a request transaction (SQL) join it and never commit on
      their own; without a request (a sync worker, scripts) each call is its own
      transaction. Callers that need one sync per owner at a time take a lock elsewhere:
      the store stays correct (never loses a newer record) without one.
    * A failure of the store itself raises :class:`CallStoreError`.
    """

    #: True when every process using the same configuration sees the same data (SQL);
    #: False when each process has its own (memory).
    shared_across_processes: ClassVar[bool]

    # -- records -------------------------------------------------------------------------

    @abc.abstractmethod
    def merge(self, owner: str, records: Iterable[Mapping[str, Any]]) -> Merged:
        """Insert or update ``records`` by their ``id``, as one FSync, ISync or call-log page.

        * A record not held yet is added.
        * A record already held is replaced unless it would go back in time: when both the
          stored and the incoming version carry ``lastModifiedTime``, the incoming one
          replaces the stored one only if it is strictly newer. Duplicate and out-of-order
          deliveries are therefore harmless. Without ``lastModifiedTime`` on either side
          (the Simple view), the incoming version wins.
        * A record with ``"deleted": true`` (an ISync with ``showDeleted``) is removed, as
          :meth:`delete_records` does, and never stored.
        * A malformed record (no string ``id``, an id too long, no readable ``startTime``)
          is skipped and counted, never an error: one bad record from upstream must not
          stop a sync.

        Returns what changed. Any change changes :meth:`revision`.
        """

    @abc.abstractmethod
    def delete_records(self, owner: str, record_ids: Iterable[str]) -> int:
        """Remove the owner's records with these ids; return how many were there."""

    @abc.abstractmethod
    def get(self, owner: str, record_id: str) -> dict[str, Any] | None:
        """The owner's record with this id as it was merged, or None."""

    @abc.abstractmethod
    def page(self, owner: str, query: HistoryQuery) -> HistoryPage:
        """The owner's records that match ``query``, newest first, and how many match.

        Order: ``startTime`` descending, ties by record id descending, so paging with
        ``offset`` and ``limit`` never shows a record twice or skips one while nothing
        changes.

        ``query.search`` (surrounding white space ignored, empty: no search) matches a
        record when either

        * the text, case-insensitively (Unicode case folding, runs of white space as one
          space), is part of the ``name`` of its ``from`` or ``to``; or
        * the text is written like a phone number (only digits, spaces and ``+-().``) and
          its digits are part of the digits of the ``phoneNumber`` or ``extensionNumber``
          of its ``from`` or ``to``: ``+1 650-555-0199``, ``(650) 555-0199`` and
          ``6505550199`` all find ``+16505550199``, and ``101`` finds extension 101.
        """

    @abc.abstractmethod
    def entries(self, owner: str, query: HistoryQuery) -> list[CallEntry]:
        """The index of the records :meth:`page` would return, in the same order.

        For charts, counts and summaries: nothing is decrypted but what the search
        needs, so a month of calls is cheap to count.
        """

    @abc.abstractmethod
    def revision(self, owner: str) -> str | None:
        """A short opaque value that changes whenever the owner's records change.

        None when the owner has never held anything. Values are never reused (not a
        counter), so a value seen once stands for one state of the records, also across
        processes and rolled-back transactions; a live page or a per-process memo
        compares it to know whether anything changed, without reading the records.
        """

    # -- sync state ------------------------------------------------------------------------

    @abc.abstractmethod
    def sync_state(self, owner: str) -> SyncState:
        """Where the owner's sync stands; an empty :class:`SyncState` for a new owner."""

    @abc.abstractmethod
    def save_sync_state(self, owner: str, state: SyncState) -> None:
        """Store every field of ``state``, replacing what was kept."""

    # -- housekeeping ------------------------------------------------------------------------

    @abc.abstractmethod
    def trim(self, owner: str, older_than: datetime) -> int:
        """Remove the owner's records that started before ``older_than``; return how many.

        The history window moves forward: a stored ``covers_from`` earlier than
        ``older_than`` becomes ``older_than``.
        """

    @abc.abstractmethod
    def forget(self, owner: str) -> None:
        """Remove everything of the owner: records and sync state.

        For the end of a person's last login and for a company history no administrator
        is signed in to any more. Forgetting an unknown owner is not an error.
        """

    @abc.abstractmethod
    def owners(self) -> list[str]:
        """Every owner holding records or a sync state, sorted: what a purge walks."""

    def ping(self) -> None:  # noqa: B027 - a working default for stores with nothing to check
        """Raise :class:`CallStoreError` when the store cannot answer right now."""
