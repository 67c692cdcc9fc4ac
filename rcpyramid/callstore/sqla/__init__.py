"""The SQL call history: records in the token database, names and numbers encrypted.

The app uses it when tokens are kept in SQL (SQLite or PostgreSQL): same engine, same
key ring (``RCPYRAMID_TOKEN_KEYS``), same request transaction.

At rest. Each record's RingCentral JSON and its search text (names, digits of numbers
and extension numbers) are sealed with AES-GCM under the key ring's primary key; the
associated data binds each ciphertext to its field, owner and record id, so a
ciphertext copied onto another row fails to open. The plaintext columns are the
:class:`~rcpyramid.callstore.interfaces.CallEntry` index (times, direction, type,
result, duration, extension id), which names no one and lets the database filter,
sort, count and page without decrypting anything.

Search. Substring search over encrypted names and numbers cannot run in the database.
Each process keeps, per owner, a :class:`~rcpyramid.callstore.search.SearchIndex` of
the decrypted search text (about a hundred bytes a record), labelled with the owner's
revision: a random value every write of the owner's records replaces in the same
transaction. A search reads the revision (one primary-key lookup); when it matches the
memo's, the memo answers, otherwise the search texts are decrypted once into a new
one. Revisions are never reused, so a memo never answers for records that changed,
in this process or another, nor for a write that was rolled back. The memo is
bounded (:data:`MEMO_RECORDS` records per process, least recently used out first)
and forgets an owner after :data:`MEMO_SECONDS`, so decrypted names do not outlive
their use in a worker's memory for long. A blind index (HMACs of number digits and
name parts in the database) was the other way: it finds only whole values or
precomputed fragments, leaks which rows share a value, and grows the table; the
memo finds any substring and stores nothing new.

Transactions, as the token repository's: with a request's session, every verb joins
the request's transaction (``pyramid_tm``) and never commits; without one (a sync
worker, scripts, the benchmark) every verb is a transaction of its own. On SQLite a
write in the request's transaction holds the database's one write lock until the
request ends: a request that also signs out, touches or refreshes a login (token steps
in transactions of their own) does those first, or they raise ``LockOrderError``.
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from rcpyramid.callstore.interfaces import CallHistory
from rcpyramid.callstore.schedule_sqla import SqlLiveSchedule
from rcpyramid.callstore.sqla.history import SQLAlchemyCallHistory
from rcpyramid.callstore.sqla.pages import HITS_BY_ID
from rcpyramid.callstore.sqla.store import MEMO_RECORDS, MEMO_SECONDS, SearchMemo, SqlCallStore
from rcpyramid.callstore.sqla.tables import CHUNK, HISTORIES, RECORDS
from rcpyramid.tokens.crypto import load_keyring

__all__ = [
    "CHUNK",
    "HISTORIES",
    "HITS_BY_ID",
    "MEMO_RECORDS",
    "MEMO_SECONDS",
    "RECORDS",
    "SQLAlchemyCallHistory",
    "SearchMemo",
    "SqlCallStore",
    "includeme",
]


def includeme(config: Configurator) -> None:
    """The token store's engine and keys; a history per request on ``request.dbsession``."""
    registry = config.registry
    factory = registry.get("dbsession_factory")
    if factory is None:
        raise ConfigurationError(
            "rcpyramid.callstore.sqla needs the SQL token backend included first "
            "(rcpyramid.tokens with rcpyramid.tokens.sqla.SQLAlchemyTokenRepository)"
        )
    store = SqlCallStore(factory.kw["bind"], load_keyring(registry.app_settings.tokens))
    registry.call_history_outside_requests = SQLAlchemyCallHistory(store)
    registry.live_schedule = SqlLiveSchedule(store.engine, store.keyring)

    def history(context: object, request: Any) -> SQLAlchemyCallHistory:
        return SQLAlchemyCallHistory(store, request.dbsession)

    config.register_service_factory(history, CallHistory)
