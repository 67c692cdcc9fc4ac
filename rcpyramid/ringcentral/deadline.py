"""A total deadline per call to RingCentral, kept by a watchdog that cuts the connection.

requests' read timeout bounds each socket read, so an answer that drips one byte a
second never times out; and requests-oauthlib reads the token answer itself, where no
check between reads can run. So each call runs under a :class:`Deadline`: the
connection pool's connection class registers the socket of every connection the calling
thread uses with it, and when the deadline passes a timer thread shuts those sockets
down, which ends a blocked read at once. The caller then sees :attr:`Deadline.expired`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
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
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._expired = False
        self._over = False
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    @property
    def expired(self) -> bool:
        return self._expired

    def __enter__(self) -> Deadline:
        _active.deadline = self
        self._timer.start()
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
        self._timer.cancel()
        _active.deadline = None

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self._over:
                return
            self._sockets.append(sock)
            if self._expired:
                _shut(sock)

    def _cut(self) -> None:
        with self._lock:
            if self._over:
                return
            self._expired = True
            for sock in self._sockets:
                _shut(sock)


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
