"""Pending sign-ins: the state and PKCE verifier of a sign-in until RingCentral sends it back."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select

from rcpyramid.clock import as_utc
from rcpyramid.tokens.crypto import DecryptionError, associated_data
from rcpyramid.tokens.interfaces import (
    AddressPendingLimitError,
    PendingLimitError,
    PendingLimits,
    PendingSignIn,
)
from rcpyramid.tokens.sqla.rows import BROWSER, PENDING, VERIFIER, Executor, insert_for
from rcpyramid.tokens.sqla.transactions import Transactions

log = logging.getLogger(__name__)


def add_pending(
    transactions: Transactions, pending: PendingSignIn, *, now: datetime, limits: PendingLimits
) -> None:
    """Remember a sign-in in the request's transaction, within the limits."""
    store = transactions.store
    keyring = store.keyring
    values = {
        "state_hash": pending.state_hash,
        "key_id": keyring.primary,
        "code_verifier": keyring.encrypt(
            pending.code_verifier, associated_data(VERIFIER, pending.state_hash)
        ),
        "browser_id": keyring.encrypt(
            pending.browser_id, associated_data(BROWSER, pending.state_hash)
        ),
        "browser_key": pending.browser_key,
        "address_key": pending.address_key,
        "return_to": pending.return_to,
        "expires_at": pending.expires_at,
        "created_at": store.clock(),
    }
    insert = insert_for(store.dialect, PENDING).values(**values)
    insert = insert.on_conflict_do_update(
        index_elements=[PENDING.c.state_hash],
        set_={name: insert.excluded[name] for name in values if name != "state_hash"},
    )

    def run(ex: Executor) -> None:
        # Expired sign-ins go now, not at the next purge.
        ex.execute(delete(PENDING).where(PENDING.c.expires_at <= now))
        same_browser = (
            ex.execute(
                select(PENDING.c.state_hash)
                .where(
                    PENDING.c.browser_key == pending.browser_key,
                    PENDING.c.state_hash != pending.state_hash,
                )
                .order_by(PENDING.c.expires_at.desc())
            )
            .scalars()
            .all()
        )
        give_way = same_browser[max(0, limits.per_browser - 1) :]
        others = ex.execute(
            select(func.count())
            .select_from(PENDING)
            .where(PENDING.c.state_hash != pending.state_hash)
        ).scalar_one()
        # Concurrent sign-ins in other transactions may each see room for one more:
        # the cap holds up to the number of sign-ins started at the same moment.
        if others - len(give_way) >= limits.total:
            raise PendingLimitError("too many sign-ins are in progress")
        if limits.per_address is not None:
            _within_address_cap(ex, pending, give_way, now, limits.per_address)
        if give_way:
            ex.execute(delete(PENDING).where(PENDING.c.state_hash.in_(give_way)))
        ex.execute(insert)

    transactions.write_in_request(run, "remembering a sign-in", statements=5)


def _within_address_cap(
    ex: Executor, pending: PendingSignIn, give_way: Sequence[str], now: datetime, cap: int
) -> None:
    """Refuse a sign-in whose address already has ``cap`` in progress (besides those going)."""
    count, earliest = ex.execute(
        select(func.count(), func.min(PENDING.c.expires_at)).where(
            PENDING.c.address_key == pending.address_key,
            PENDING.c.state_hash != pending.state_hash,
            PENDING.c.state_hash.not_in(give_way),
        )
    ).one()
    if count >= cap:
        raise AddressPendingLimitError(
            "too many sign-ins are in progress from one address",
            math.ceil((as_utc(earliest) - now).total_seconds()),
        )


def take_pending(
    transactions: Transactions, state_hash: str, now: datetime
) -> PendingSignIn | None:
    """Spend a sign-in's state: its row is deleted and returned at once, then decrypted."""
    keyring = transactions.store.keyring
    # Its own transaction: the state is spent even when the callback then fails and
    # pyramid_tm aborts the request's transaction, so a replayed callback finds nothing.
    # DELETE ... RETURNING makes the take atomic: two takes cannot both get the row.
    row = transactions.write_own(
        lambda conn: conn.execute(
            delete(PENDING).where(PENDING.c.state_hash == state_hash).returning(*PENDING.c)
        ).first(),
        "taking a pending sign-in",
        None,
    )
    if row is None or row.expires_at <= now:
        return None
    try:
        return PendingSignIn(
            state_hash=state_hash,
            code_verifier=keyring.decrypt(
                row.key_id, row.code_verifier, associated_data(VERIFIER, state_hash)
            ),
            browser_id=keyring.decrypt(
                row.key_id, row.browser_id, associated_data(BROWSER, state_hash)
            ),
            expires_at=row.expires_at,
            browser_key=row.browser_key,
            return_to=row.return_to,
            address_key=row.address_key,
        )
    except DecryptionError:
        log.warning(
            "a pending sign-in failed to decrypt (key id %s): treated as unknown", row.key_id
        )
        return None
