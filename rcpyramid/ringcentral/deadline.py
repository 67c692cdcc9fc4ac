"""A total deadline per call to RingCentral, kept by a watchdog that cuts the connection.

requests' read timeout bounds each socket read, so an answer that drips one byte a
second never times out; and requests-oauthlib reads the token answer itself, where no
check between reads can run. So each call runs under a :class:`Deadline`: the
connection pool's connection class registers the socket of every connection the calling
thread uses with it, and when the deadline passes the watchdog shuts those sockets
down, which ends a blocked read at once. The caller then sees :attr:`Deadline.expired`.
One watchdog thread per process keeps every deadline.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from types import TracebackType
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_active = threading.local()


class Deadline:
    """``with Deadline(seconds):`` the connections used inside are cut when it passes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.due = 0.0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._expired = False
        self._over = False

    @property
    def expired(self) -> bool:
        return self._expired

    @property
    def over(self) -> bool:
        return self._over

    def __enter__(self) -> Deadline:
        _active.deadline = self
        self.due = time.monotonic() + self.seconds
        _watchdog().watch(self)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._lock:
            # From here on the connections are back in the pool, serving other calls.
            self._over = True
            self._sockets.clear()
        _active.deadline = None

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self._over:
                return
            self._sockets.append(sock)
            if self._expired:
                _shut(sock)

    def cut(self) -> None:
        """The deadline passed: shut down every connection the call is using."""
        with self._lock:
            if self._over:
                return
            self._expired = True
            for sock in self._sockets:
                _shut(sock)


class _Watchdog:
    """One thread per process that cuts the calls whose deadline passed.

    A thread per call (a ``threading.Timer``) cost a thread start on every call to
    RingCentral. Here calls wait in a heap by due time; ended ones are dropped from
    it as the heap grows, so it holds about as many entries as calls in flight.
    """

    #: Past this size, ended calls are swept out of the heap when the next one comes.
    SWEEP_AT = 64

    def __init__(self) -> None:
        self._wake = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread = threading.Thread(target=self._run, name="rcpyramid-deadlines", daemon=True)
        self._thread.start()

    def watch(self, deadline: Deadline) -> None:
        with self._wake:
            if len(self._heap) >= self.SWEEP_AT:
                self._heap = [entry for entry in self._heap if not entry[2].over]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (deadline.due, next(self._order), deadline))
            if self._heap[0][2] is deadline:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            due: list[Deadline] = []
            with self._wake:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].over or self._heap[0][0] <= now):
                    _, _, deadline = heapq.heappop(self._heap)
                    if not deadline.over:
                        due.append(deadline)
                if not due:
                    self._wake.wait(self._heap[0][0] - now if self._heap else None)
            for deadline in due:
                deadline.cut()


_watchdog_lock = threading.Lock()
_process_watchdog: _Watchdog | None = None


def _watchdog() -> _Watchdog:
    global _process_watchdog
    if _process_watchdog is None:
        with _watchdog_lock:
            if _process_watchdog is None:
                _process_watchdog = _Watchdog()
    return _process_watchdog


def _after_fork_in_child() -> None:
    # Threads do not survive a fork: a worker starts its own watchdog on its first call.
    global _process_watchdog, _watchdog_lock
    _process_watchdog = None
    _watchdog_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also under TLS: SSLSocket.shutdown would drop its
    # TLS state under the feet of the thread that is reading. Already closed: nothing to cut.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(connection: HTTPConnection) -> None:
    # The socket itself: http.client hands it over to the response (and forgets it on the
    # connection) when the answer says "Connection: close".
    deadline: Deadline | None = getattr(_active, "deadline", None)
    sock = getattr(connection, "sock", None)
    if deadline is not None and sock is not None:
        deadline.watch(sock)


class _Watched:
    """Registers the connection with the calling thread's deadline, pooled or new."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _watch(self)  # type: ignore[arg-type]

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)  # type: ignore[arg-type]
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' pooled adapter whose connections a :class:`Deadline` can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPConnectionPool,
            "https": _WatchedHTTPSConnectionPool,
        }
