"""The rows the SQL token repository keeps: one per login, one per pending sign-in.

Token values, the PKCE verifier and the browser id are stored encrypted (AES-GCM,
see :mod:`rcpyramid.tokens.crypto`); ``key_id`` names the key that sealed the row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rcpyramid.models.meta import Base, UTCDateTime


class Login(Base):
    """One signed-in person's RingCentral tokens, under an opaque login id."""

    __tablename__ = "logins"
    # Not the login id: it is what a session cookie points at, as good as a credential.
    repr_columns = ("key_id", "owner_id")

    login_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32))
    access_token: Mapped[bytes] = mapped_column(LargeBinary)
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_token: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # Indexed for rcpyramid-purge, which deletes the logins whose refresh token expired.
    refresh_expires_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, nullable=True, index=True
    )
    token_type: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[str] = mapped_column(String(64))
    owner_name: Mapped[str] = mapped_column(Text)
    endpoint_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Indexed for rcpyramid-purge, which revokes and deletes logins idle too long.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    # A failed refresh remembered for the requests that queued behind it (see
    # rcpyramid.tokens.interfaces.RefreshFailure): until when, and JSON of its details.
    refresh_failed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refresh_failure: Mapped[str | None] = mapped_column(Text, nullable=True)


class PendingSignIn(Base):
    """A sign-in that left for RingCentral, under the SHA-256 of its ``state``."""

    __tablename__ = "pending_sign_ins"
    repr_columns = ("expires_at",)

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32))
    code_verifier: Mapped[bytes] = mapped_column(LargeBinary)
    browser_id: Mapped[bytes] = mapped_column(LargeBinary)
    # HMAC of the browser id: counts one browser's sign-ins without the id in the clear.
    browser_key: Mapped[str] = mapped_column(String(64), index=True)
    # HMAC of the client's address (its /64 for IPv6): counts one address's sign-ins.
    address_key: Mapped[str] = mapped_column(String(64), index=True)
    return_to: Mapped[str] = mapped_column(Text)
    # Indexed for rcpyramid-purge.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
