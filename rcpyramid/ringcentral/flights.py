"""One refresh in flight per login in this process: the other requests wait here for it.

The token repository's lock (a database row lock, or the memory backend's) already
makes one refresh per login across processes. But a herd of one person's requests
(tabs, a dashboard, a reload storm) waiting on that lock would each hold a place in the
database's waiting bound, which counts requests to keep the database from stalling the
whole server: one person's herd would fill it and be refused. So within a process the
first request of a login goes to the repository's lock (the leader); the others wait
on an event here, holding nothing of the database's, and take the leader's outcome.

Also kept here: a rotated pair the store could not take (the save failed after
RingCentral answered), used by this process until the store takes it, since a refresh
token is single-use and dropping the pair would end the sign-in.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from rcpyramid.ringcentral.errors import RingCentralTimeoutError
from rcpyramid.tokens.interfaces import Token

log = logging.getLogger(__name__)

#: The longest a request waits for its login's refresh in another thread. The leader is
#: under the database's and RingCentral's deadlines; this only guards against a bug.
LONGEST_WAIT = 120.0


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    token: Token | None = None
    error: BaseException | None = None


class RefreshFlights:
    """The refreshes in flight in this process, by login id; one per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}
        self._unsaved: dict[str, Token] = {}
        #: Rotated pairs the store refused, kept here instead (logged as they happen).
        self.unsaved_count = 0

    def run(self, login_id: str, refresh: Callable[[], Token]) -> Token:
        """``refresh()`` in the first thread of ``login_id``; the others get its outcome."""
        with self._lock:
            flight = self._flights.get(login_id)
            leading = flight is None
            if flight is None:
                flight = self._flights[login_id] = _Flight()
        if leading:
            return self._lead(login_id, flight, refresh)
        if not flight.done.wait(LONGEST_WAIT):
            raise RingCentralTimeoutError("the refresh in another request did not finish")
        if flight.error is not None:
            raise _copy_of(flight.error)
        assert flight.token is not None  # set whenever no error was
        return flight.token

    def _lead(self, login_id: str, flight: _Flight, refresh: Callable[[], Token]) -> Token:
        try:
            flight.token = refresh()
        except BaseException as error:
            flight.error = error
            raise
        finally:
            with self._lock:
                self._flights.pop(login_id, None)
            flight.done.set()
        return flight.token

    def keep_unsaved(self, login_id: str, token: Token) -> None:
        """A rotated pair the store could not take: this process uses it until it can."""
        with self._lock:
            self._unsaved[login_id] = token
            self.unsaved_count += 1

    def unsaved(self, login_id: str) -> Token | None:
        with self._lock:
            return self._unsaved.get(login_id)

    def saved(self, login_id: str, token: Token | None = None) -> None:
        """The store has the pair now (or the login is gone): forget the kept one."""
        with self._lock:
            kept = self._unsaved.get(login_id)
            if kept is not None and (token is None or kept.access_token == token.access_token):
                del self._unsaved[login_id]


def _copy_of(error: BaseException) -> BaseException:
    """The leader's error for one waiter: a copy, so tracebacks are not shared across threads."""
    try:
        return copy.copy(error)
    except Exception:  # an error whose constructor takes other arguments
        return error


#: This process's flights: every SignedInRingCentral of the process shares them.
PROCESS_FLIGHTS = RefreshFlights()
