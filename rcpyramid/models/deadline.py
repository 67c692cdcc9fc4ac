"""Database calls that cannot hang a thread: a client-side deadline and a bound on waiters.

A server-side timeout is not enough: through a network path that still acknowledges at
TCP level but forwards nothing, the server's error never comes back. So each statement
(and each commit) runs under a :class:`~rcpyramid.watchdog.Deadline` on the connection's
socket: when it passes, the process's watchdog shuts the socket, the blocked read ends at
once and the call fails (the pool then discards the connection). New connections get the
same deadline as libpq's ``connect_timeout``.

And at most ``max_waiting`` threads may be inside a database call at once; one more
waits a moment for a place, then fails: the other threads stay free for the pages that
need no database (home signed out, static files, error pages).
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from rcpyramid.watchdog import Deadline

#: How long a thread waits for a place among those allowed inside the database.
PLACE_WAIT = 0.5

_state = threading.local()


class DatabaseBusyError(Exception):
    """More threads want the database than may wait on it at once."""


class DatabaseGuard:
    """The deadline and the bound for one engine's calls (see the module docstring)."""

    def __init__(self, timeout: float, max_waiting: int) -> None:
        self.timeout = timeout
        self.max_waiting = max_waiting
        self._places = threading.BoundedSemaphore(max_waiting)
        self._lock = threading.Lock()
        self._calls: dict[int, Deadline] = {}
        self._pid = os.getpid()

    def bound(self, max_waiting: int) -> None:
        """Set how many threads may wait on the database at once (before serving starts)."""
        self.max_waiting = max_waiting
        self._places = threading.BoundedSemaphore(max_waiting)

    # -- the deadline ------------------------------------------------------------------

    def arm(self, dbapi_connection: Any, seconds: float | None = None) -> None:
        fd = _fileno(dbapi_connection)
        if fd is None:
            return
        if self._pid != os.getpid():
            # A forked worker (gunicorn): the parent's lock and calls stayed behind.
            self._pid, self._lock, self._calls = os.getpid(), threading.Lock(), {}
        call = Deadline(seconds or self.timeout)
        call.watch_fd(fd)
        with self._lock:
            previous = self._calls.pop(id(dbapi_connection), None)
            self._calls[id(dbapi_connection)] = call
        if previous is not None:
            previous.end()
        call.start()
        _state.call = call

    def disarm(self, dbapi_connection: Any) -> None:
        with self._lock:
            call = self._calls.pop(id(dbapi_connection), None)
        if call is not None:
            call.end()

    # -- the bound ---------------------------------------------------------------------

    def enter(self) -> None:
        if getattr(_state, "inside", False):
            return
        if not self._places.acquire(timeout=PLACE_WAIT):
            raise DatabaseBusyError(
                f"{self.max_waiting} requests are already waiting for the database"
            )
        _state.inside = True

    def leave(self) -> None:
        if getattr(_state, "inside", False):
            _state.inside = False
            self._places.release()


def deadline_passed() -> bool:
    """True when this thread's last database call was cut by its deadline (then cleared)."""
    call = getattr(_state, "call", None)
    _state.call = None
    return call is not None and call.expired


def _fileno(dbapi_connection: Any) -> int | None:
    pgconn = getattr(dbapi_connection, "pgconn", None)  # psycopg 3
    if pgconn is not None:
        return int(pgconn.socket)
    fileno = getattr(dbapi_connection, "fileno", None)  # psycopg2
    return int(fileno()) if callable(fileno) else None


def guard_engine(engine: Engine, guard: DatabaseGuard) -> None:
    """Run every statement and commit of ``engine`` under ``guard``."""

    @event.listens_for(engine, "before_cursor_execute")
    def before(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        guard.enter()
        seconds = conn.get_execution_options().get("rcpyramid_deadline")
        guard.arm(conn.connection.dbapi_connection, seconds)

    @event.listens_for(engine, "after_cursor_execute")
    def after(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        guard.disarm(conn.connection.dbapi_connection)
        guard.leave()

    @event.listens_for(engine, "handle_error")
    def failed(context: Any) -> None:
        with contextlib.suppress(Exception):  # a connection already gone has nothing armed
            guard.disarm(context.connection.connection.dbapi_connection)
        guard.leave()

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def ending(conn: Any) -> None:
        # An invalidated connection has no socket left to wait on.
        if not conn.invalidated:
            with contextlib.suppress(Exception):
                guard.arm(conn.connection.dbapi_connection)

    @event.listens_for(engine, "checkin")
    def checked_in(dbapi_connection: Any, record: Any) -> None:
        guard.disarm(dbapi_connection)
