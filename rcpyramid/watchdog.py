"""Deadlines that cut a blocked call: one watchdog thread per process, for every deadline.

A read timeout bounds each socket read, so an answer that drips one byte a second
never times out, and through a network path that still acknowledges at TCP level but
forwards nothing a server's own timeout never comes back. So a call that must end
runs under a :class:`Deadline`: the sockets it uses are registered with it, and when
it passes, the watchdog shuts them down, which ends a blocked read at once; the caller
then sees :attr:`Deadline.expired`. RingCentral's calls
(:mod:`rcpyramid.ringcentral.pool`) and the database's (:mod:`rcpyramid.models.deadline`)
both use it.

The watchdog keeps deadlines in a heap by due time (a thread per call cost a thread
start on every call); ended ones are swept out as the heap grows, so it holds about as
many entries as calls in flight. Threads do not survive a fork: a forked worker starts
its own watchdog on its first deadline.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType


def shut(sock: socket.socket) -> None:
    """Shut ``sock`` down for both directions: a thread blocked reading it returns at once.

    The plain socket's shutdown, also under TLS: SSLSocket.shutdown would drop its TLS
    state under the feet of the thread that is reading. Already closed: nothing to cut.
    """
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def shut_fd(fd: int) -> None:
    """:func:`shut` for a socket known by its descriptor only (a database driver's)."""
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(fd)) as sock:
        # shutdown() acts on the socket, not the descriptor: the driver's read ends too.
        shut(sock)


class Deadline:
    """``with Deadline(seconds):`` the sockets watched inside are shut when it passes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.due = 0.0
        self._lock = threading.Lock()
        #: How to shut each watched socket.
        self._cuts: list[Callable[[], None]] = []
        self._expired = False
        self._over = False

    @property
    def expired(self) -> bool:
        return self._expired

    @property
    def over(self) -> bool:
        return self._over

    def start(self) -> Deadline:
        """From now on, ``seconds`` until the watched sockets are cut."""
        self.due = time.monotonic() + self.seconds
        watchdog().watch(self)
        return self

    def end(self) -> None:
        """The call ended: its sockets go back to a pool, serving other calls; not cut."""
        with self._lock:
            self._over = True
            self._cuts.clear()

    def __enter__(self) -> Deadline:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.end()

    def watch(self, sock: socket.socket) -> None:
        """Cut ``sock`` too when the deadline passes (at once if it passed already)."""
        self._watch(functools.partial(shut, sock))

    def watch_fd(self, fd: int) -> None:
        """:meth:`watch` for a socket known by its descriptor only."""
        self._watch(functools.partial(shut_fd, fd))

    def _watch(self, cut: Callable[[], None]) -> None:
        with self._lock:
            if self._over:
                return
            self._cuts.append(cut)
            if self._expired:
                cut()

    def cut(self) -> None:
        """The deadline passed: shut down every socket the call is using."""
        with self._lock:
            if self._over:
                return
            self._expired = True
            for cut in self._cuts:
                cut()


class _Watchdog:
    """One thread per process that cuts the calls whose deadline passed."""

    #: Past this size, ended calls are swept out of the heap when the next one comes.
    SWEEP_AT = 64

    def __init__(self) -> None:
        self._wake = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread = threading.Thread(target=self._run, name="rcpyramid-deadlines", daemon=True)
        self._thread.start()

    @property
    def waiting(self) -> int:
        """Deadlines in the heap, ended ones not swept yet included."""
        with self._wake:
            return len(self._heap)

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


def watchdog() -> _Watchdog:
    """This process's watchdog (started on first use)."""
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
