"""Key rotation for the SQL backend: seal every stored row under the newest key.

``rcpyramid-reencrypt`` runs :func:`reencrypt`. Each row is re-encrypted under its
row lock, the lock a refresh takes, so a refresh running meanwhile cannot have its
new pair overwritten with the spent one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, select, update

from rcpyramid.tokens.crypto import DecryptionError, RotationReport, UnknownKeyError
from rcpyramid.tokens.sqla.errors import translated
from rcpyramid.tokens.sqla.repository import SQLAlchemyTokenRepository
from rcpyramid.tokens.sqla.rows import ACCESS, BROWSER, LOGINS, PENDING, REFRESH, VERIFIER


@dataclass(frozen=True, kw_only=True)
class ReencryptReport(RotationReport):
    """What ``rcpyramid-reencrypt`` did to the token tables."""

    logins: int = 0
    pending: int = 0


def reencrypt(repo: SQLAlchemyTokenRepository, batch: int = 500) -> ReencryptReport:
    """Seal every row under the newest key, each under its row lock (as a refresh takes).

    The lock keeps a refresh from saving a new pair between this re-read and this
    write, which would otherwise put the spent pair back.
    """
    primary = repo.keyring.primary
    counts = {"logins": 0, "pending": 0, "undecryptable": 0, "unknown_key": 0}
    for table, kind in ((LOGINS, "logins"), (PENDING, "pending")):
        key_column = table.primary_key.columns.values()[0]
        last = ""
        while True:
            with translated("listing rows to re-encrypt"), repo.engine.connect() as conn:
                keys = (
                    conn.execute(
                        select(key_column)
                        .where(table.c.key_id != primary, key_column > last)
                        .order_by(key_column)
                        .limit(batch)
                    )
                    .scalars()
                    .all()
                )
            if not keys:
                break
            for key in keys:
                last = key
                outcome = _reencrypt_row(repo, table, key)
                if outcome == "done":
                    counts[kind] += 1
                elif outcome in counts:
                    counts[outcome] += 1
    return ReencryptReport(key_id=primary, **counts)


def _reencrypt_row(repo: SQLAlchemyTokenRepository, table: Table, key: str) -> str:
    """Re-encrypt one row under its lock: "done", "skipped", "undecryptable" or "unknown_key"."""
    keyring = repo.keyring
    fields = (ACCESS, REFRESH) if table is LOGINS else (VERIFIER, BROWSER)
    key_column = table.primary_key.columns.values()[0]
    with repo.transactions.locked_row(table, key, "re-encrypting a row") as (conn, row):
        if row is None or row.key_id == keyring.primary:
            outcome = "skipped"
        else:
            try:
                values = keyring.reseal_fields(
                    row.key_id, key, {name: getattr(row, name) for name in fields}
                )
            except DecryptionError:
                outcome = "undecryptable"
            except UnknownKeyError:
                outcome = "unknown_key"
            else:
                with translated("re-encrypting a row"):
                    conn.execute(
                        update(table)
                        .where(key_column == key)
                        .values(key_id=keyring.primary, **values)
                    )
                outcome = "done"
        repo.transactions.finish_locked(conn, commit=outcome == "done")
        return outcome
