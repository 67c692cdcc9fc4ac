"""The SQLAlchemy token repository: tokens that survive restarts and are shared by processes.

Select it with ``rcpyramid.tokens.backend = rcpyramid.tokens.sqla.SQLAlchemyTokenRepository``.
SQLite (one machine) and PostgreSQL (any number of processes and machines) are
supported; tokens are encrypted at rest (:mod:`rcpyramid.tokens.crypto`).

Transactions, and why each operation runs where it does:

* ``get``, ``save`` and ``add_pending`` of a request join the request's transaction
  (``pyramid_tm`` + ``zope.sqlalchemy``): they commit or abort with the request and
  never commit on their own.
* ``touch`` writes one row in its own short transaction, so the last-seen time never
  holds a lock the rest of the request would wait for.
* ``refreshing`` locks the login's row in a transaction of its own, on a second
  connection (``SELECT ... FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite,
  which has one write lock for the whole file), re-reads, lets the caller save or
  delete, and commits. RingCentral rotates the refresh token when it is spent, so
  the new pair must be stored even if the request fails afterwards: pyramid_tm
  aborts the request's transaction whenever an error view renders.
* ``take_pending`` and ``delete`` commit in a transaction of their own too: a state
  must stay spent when the callback then fails (single use), and forgotten tokens
  (logout, tokens RingCentral declared dead) must stay forgotten when the rest of
  the request fails.
* The request's session never locks rows itself (no ``FOR UPDATE``), so a lock taken
  on the second connection never waits for its own request. A write by the request
  does hold a lock until the request ends (the row on PostgreSQL, the file on
  SQLite); an own-transaction operation that would wait for it raises
  :class:`LockOrderError` at once instead of hanging.

The modules, by job: :mod:`.store` (one per process: engine, keys, clock, the
database guard), :mod:`.transactions` (where each statement runs, the lock order),
:mod:`.rows` (rows to tokens and back, encrypted), :mod:`.lease` (refresh locking),
:mod:`.pending` (pending sign-ins), :mod:`.repository` (the contract's verbs and the
app's wiring: :meth:`SQLAlchemyTokenRepository.service_factory` builds one store per
process and a repository per request on ``request.dbsession``), :mod:`.rotation` (key
rotation), :mod:`.errors`. A repository built without a session (the contract suite,
benchmarks) runs every call as its own transaction.
"""

from rcpyramid.tokens.sqla.errors import LockOrderError, SchemaError
from rcpyramid.tokens.sqla.repository import SQLAlchemyTokenRepository
from rcpyramid.tokens.sqla.rows import LOGINS, PENDING
from rcpyramid.tokens.sqla.store import SqlTokenStore

__all__ = [
    "LOGINS",
    "PENDING",
    "LockOrderError",
    "SQLAlchemyTokenRepository",
    "SchemaError",
    "SqlTokenStore",
]
