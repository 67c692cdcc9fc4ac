"""requests' pooled adapter whose connections a :class:`~rcpyramid.watchdog.Deadline` can cut.

requests reads a body, and http.client a status line, in loops no caller can enter;
so instead of checks between reads, the connection classes of the pool register the
socket of every connection the calling thread uses with that thread's deadline
(:func:`calling_under`), which the watchdog shuts when the deadline passes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from rcpyramid.watchdog import Deadline

_active = threading.local()


@contextmanager
def calling_under(seconds: float) -> Iterator[Deadline]:
    """This thread's calls through a :class:`DeadlineAdapter` are cut after ``seconds``."""
    deadline = Deadline(seconds)
    _active.deadline = deadline
    try:
        with deadline:
            yield deadline
    finally:
        _active.deadline = None


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
