"""The rows that keep call histories live: per history, per login, per webhook subscription.

Keys are keyed hashes (:class:`rcpyramid.livehistory.keys.HistoryKeys`), never RingCentral
ids; the login id a worker signs in with is sealed with the token key ring.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from rcpyramid.models.meta import Base, UTCDateTime


class LiveOwner(Base):
    """One history's due mark, lease and change counter (its sync token is the call store's)."""

    __tablename__ = "live_owners"

    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Indexed: every worker round asks for what is due.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    due_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    lease_holder: Mapped[str] = mapped_column(String(128), default="")
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    counter: Mapped[int] = mapped_column(BigInteger, default=0)
    # The poll's copies of the call history's sync state (one read per poll).
    history_from: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    filling: Mapped[bool] = mapped_column(Boolean, default=False)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LiveLogin(Base):
    """A signed-in login of a history's person (and of the company's, for administrators)."""

    __tablename__ = "live_logins"

    login_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    company: Mapped[str] = mapped_column(String(64), index=True, default="")
    key_id: Mapped[str] = mapped_column(String(32))
    #: The login id, AES-GCM sealed, bound to ``login_key``.
    login_id: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LiveSubscription(Base):
    """A webhook subscription at RingCentral, by RingCentral's id (the receiver's one read)."""

    __tablename__ = "live_subscriptions"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    company: Mapped[str] = mapped_column(String(64), default="")
    token_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(32))
    login_key: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    renew: Mapped[bool] = mapped_column(Boolean, default=False)
