"""The token tables, and rows to tokens and back: encrypted, keyed, bound to their row.

Each secret is sealed with AES-GCM under the key ring's newest key, with associated
data naming its field and its row (:func:`rcpyramid.tokens.crypto.associated_data`),
so a ciphertext copied to another row or field does not open.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Table, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from rcpyramid.models import tokens as tables
from rcpyramid.models.meta import AnyRow
from rcpyramid.tokens.crypto import DecryptionError, Keyring, associated_data
from rcpyramid.tokens.interfaces import FailureReason, RefreshFailure, Token, TokenStoreError

log = logging.getLogger(__name__)

LOGINS: Table = tables.Login.__table__  # type: ignore[assignment]
PENDING: Table = tables.PendingSignIn.__table__  # type: ignore[assignment]

# The field names that go into each ciphertext's associated data.
ACCESS, REFRESH, VERIFIER, BROWSER = "access_token", "refresh_token", "code_verifier", "browser_id"

Executor = Connection | Session


def insert_for(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise TokenStoreError(f"the SQL token backend supports sqlite and postgresql, not {dialect}")


def upsert_login(
    executor: Executor, dialect: str, keyring: Keyring, now: datetime, login_id: str, token: Token
) -> Token:
    """Insert or replace a login's tokens, encrypted, in one statement; return them as stored."""
    values = {
        "login_id": login_id,
        "key_id": keyring.primary,
        "access_token": keyring.encrypt(token.access_token, associated_data(ACCESS, login_id)),
        "access_expires_at": token.access_expires_at,
        "refresh_token": keyring.encrypt_optional(
            token.refresh_token, associated_data(REFRESH, login_id)
        ),
        "refresh_expires_at": token.refresh_expires_at,
        "token_type": token.token_type,
        "scope": token.scope,
        "owner_id": token.owner_id,
        "owner_name": token.owner_name,
        "endpoint_id": token.endpoint_id,
        "created_at": now,
        "updated_at": now,
        "last_seen_at": token.last_seen_at,
        "refresh_failed_until": None,
        "refresh_failure": None,
    }
    statement = insert_for(dialect, LOGINS).values(**values)
    given_seen = statement.excluded.last_seen_at
    # One atomic statement: no window in which the login is missing, created_at is
    # kept from the first save, and last_seen_at never moves back.
    updates = {
        name: statement.excluded[name]
        for name in values
        if name not in {"login_id", "created_at", "last_seen_at"}
    }
    updates["last_seen_at"] = case(
        (given_seen.is_(None), LOGINS.c.last_seen_at),
        (LOGINS.c.last_seen_at.is_(None), given_seen),
        (given_seen > LOGINS.c.last_seen_at, given_seen),
        else_=LOGINS.c.last_seen_at,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[LOGINS.c.login_id], set_=updates
    ).returning(LOGINS.c.created_at, LOGINS.c.updated_at, LOGINS.c.last_seen_at)
    stored = executor.execute(statement).one()
    return replace(
        token,
        created_at=stored.created_at,
        updated_at=stored.updated_at,
        last_seen_at=stored.last_seen_at,
    )


def failure_json(failure: RefreshFailure) -> str:
    """What a failed refresh leaves with the login for the requests behind it."""
    return json.dumps(
        {
            "reason": failure.reason,
            "retry_after": failure.retry_after,
            "status": failure.status,
        }
    )


def failure_from_row(row: AnyRow | None, now: datetime) -> RefreshFailure | None:
    if row is None or row.refresh_failed_until is None or row.refresh_failed_until <= now:
        return None
    try:
        remembered = json.loads(row.refresh_failure or "{}")
        return RefreshFailure(
            reason=FailureReason.read(remembered.get("reason")),
            until=row.refresh_failed_until,
            retry_after=_int_or_none(remembered.get("retry_after")),
            status=_int_or_none(remembered.get("status")),
        )
    except (ValueError, AttributeError):
        return RefreshFailure(reason=FailureReason.UNAVAILABLE, until=row.refresh_failed_until)


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def token_from_row(keyring: Keyring, login_id: str, row: AnyRow | None) -> Token | None:
    """The tokens in ``row``, decrypted; None when there is no row or it does not decrypt."""
    if row is None:
        return None
    try:
        access = keyring.decrypt(row.key_id, row.access_token, associated_data(ACCESS, login_id))
        refresh = keyring.decrypt_optional(
            row.key_id, row.refresh_token, associated_data(REFRESH, login_id)
        )
    except DecryptionError:
        # Tampered with, or copied from another login: no usable tokens here. The
        # person is asked to sign in again; the row stays for someone to look at.
        log.warning(
            "a stored login failed to decrypt (key id %s): treated as signed out", row.key_id
        )
        return None
    return Token(
        access_token=access,
        access_expires_at=row.access_expires_at,
        refresh_token=refresh,
        refresh_expires_at=row.refresh_expires_at,
        token_type=row.token_type,
        scope=row.scope,
        owner_id=row.owner_id,
        endpoint_id=row.endpoint_id,
        owner_name=row.owner_name,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_seen_at=row.last_seen_at,
    )
