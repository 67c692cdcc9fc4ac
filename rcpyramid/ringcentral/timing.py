"""How long this thread waited for RingCentral: what the waiting page's estimate is made of.

A page's wall time also holds the token store's (a database that stalls, a refresh lock
waited for): "RingCentral took about 11 seconds to answer last time" would then be
wrong, and bring the waiting page on the next view for the database's sake.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_local = threading.local()


@contextmanager
def waiting_for_ringcentral() -> Iterator[None]:
    """Count the time inside as RingCentral's (a call, a token request)."""
    started = time.monotonic()
    try:
        yield
    finally:
        _local.seconds = spent() + time.monotonic() - started


def start() -> None:
    """From now on, for this thread (a request's fetch starts)."""
    _local.seconds = 0.0


def spent() -> float:
    """Seconds this thread waited for RingCentral since :func:`start`."""
    seconds: float = getattr(_local, "seconds", 0.0)
    return seconds
