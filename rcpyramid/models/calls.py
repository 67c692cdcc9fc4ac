"""The rows of the SQL call history: one per stored call record, one per history.

Each record's RingCentral JSON and its search text (names, numbers) are stored
encrypted (AES-GCM with the token key ring, see :mod:`rcpyramid.callstore.sqla`);
``key_id`` names the key that sealed them. The plaintext columns are the index the
pages filter and sort on, which names no one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from rcpyramid.models.meta import Base, UTCDateTime


class HistoryOwner(Base):
    """One owner's history: its revision and where its sync stands."""

    __tablename__ = "call_histories"
    repr_columns = ("owner", "revision")

    #: ``person:<account>:<extension>`` or ``company:<account>`` (rcpyramid.callstore).
    owner: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: Random, new at every change of the owner's records (CallHistory.revision).
    revision: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: The key that sealed ``sync_token``.
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sync_token: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    covers_from: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    backfill_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CallRecord(Base):
    """One call-log record of one owner, under RingCentral's record id."""

    __tablename__ = "call_records"
    repr_columns = ("owner", "record_id")
    __table_args__ = (
        # A page of a history is the newest calls of one owner in a range.
        Index("ix_call_records_owner_start_time", "owner", "start_time"),
    )

    owner: Mapped[str] = mapped_column(String(128), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    start_time: Mapped[datetime] = mapped_column(UTCDateTime)
    direction: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(64))
    duration: Mapped[int] = mapped_column(Integer)
    #: RingCentral's id of the extension the call belongs to (a colleague, in a company log).
    extension_id: Mapped[str] = mapped_column(String(64))
    last_modified: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    key_id: Mapped[str] = mapped_column(String(32))
    #: The record's JSON, sealed.
    record: Mapped[bytes] = mapped_column(LargeBinary)
    #: Its names and digits for search (rcpyramid.callstore.records.search_text), sealed.
    search: Mapped[bytes] = mapped_column(LargeBinary)
