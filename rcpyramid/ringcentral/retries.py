"""GETs retried as RingCentral asks: after a transient failure, with jittered backoff.

RingCentral's guidance is to retry a request that met a 502, 503 or 504 (and a
connection that broke) after a pause that grows, honouring ``Retry-After``. urllib3's
``Retry`` does the retrying on the pooled adapter, inside the call's total deadline
(:mod:`rcpyramid.ringcentral.pool`), so every attempt and every pause fits in
``ringcentral.total_timeout``. What this subclass adds:

- only GETs, and only API GETs: a POST is never sent twice, and a token request (a
  POST) never, since a refresh token spent twice could sign the person out;
- only 408, 502, 503, 504 and broken connections (a reset, a refused connect); never a
  429 (the rate-limit budget waits those out), never a read timeout (the attempt that
  timed out already took most of the deadline);
- no retry whose pause (``Retry-After``, or the backoff) would end too close to the
  call's deadline: the answer RingCentral gave is returned as is, and its page says
  when to come back;
- each retry spends the shared rate-limit budget (:func:`spending`), like any call;
  when the budget says no, no retry is made;
- "equal jitter" backoff: half the exponential step plus a random part of the other
  half, so the processes that met the same outage do not all come back at once.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from urllib3.exceptions import TimeoutError
from urllib3.util.retry import Retry

from rcpyramid.ops import metrics
from rcpyramid.ringcentral.errors import RingCentralTimeoutError
from rcpyramid.ringcentral.pool import current_deadline

#: The statuses RingCentral's guidance retries.
RETRY_STATUSES = frozenset({408, 502, 503, 504})
#: Seconds of the first backoff step (then doubled); the pause is half to all of it.
BACKOFF = 0.25
BACKOFF_MAX = 5.0
#: A retry starts only if this much of the deadline is left after its pause.
ROOM_FOR_AN_ATTEMPT = 0.25

_local = threading.local()
#: How a pause is taken (a test records the pauses instead).
_sleep = time.sleep


@contextmanager
def spending(spend: Callable[[], None]) -> Iterator[None]:
    """Inside: each retry first calls ``spend()``; if it raises, no retry is made."""
    previous = getattr(_local, "spend", None)
    _local.spend = spend
    try:
        yield
    finally:
        _local.spend = previous


def _deadline_left() -> float | None:
    """Seconds left before the calling thread's deadline; None outside one."""
    current = current_deadline()
    if current is None or current.over:
        return None
    if current.expired:
        return 0.0
    return current.due - time.monotonic()


class RingCentralRetry(Retry):
    """urllib3's Retry, as the module docstring says."""

    #: The pause the next :meth:`sleep` takes, decided (with its jitter) in :meth:`increment`.
    planned = 0.0

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        # Not urllib3's "any 429/503 with Retry-After": only these statuses, only GETs.
        return method.upper() == "GET" and status_code in RETRY_STATUSES

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> RingCentralRetry:
        def give_up() -> RingCentralRetry:
            # Exactly what the adapter did without retries (requests' max_retries=0).
            return Retry(0, read=False).increment(  # type: ignore[return-value]
                method, url, response, error, _pool, _stacktrace
            )

        if (method or "").upper() != "GET" or isinstance(error, TimeoutError):
            return give_up()
        left = _deadline_left()
        if left is not None and left <= 0:
            return give_up()
        after = super().increment(method, url, response, error, _pool, _stacktrace)
        wait = after.pause_for(response)
        if left is not None and wait + ROOM_FOR_AN_ATTEMPT > left:
            return give_up()
        spend = getattr(_local, "spend", None)
        if spend is not None:
            try:
                spend()
            except Exception:
                return give_up()
        after.planned = wait
        metrics.ringcentral_retry(str(response.status) if response is not None else "broken")
        return after

    def pause_for(self, response: Any) -> float:
        """The pause before the next attempt: Retry-After, else the jittered backoff."""
        if response is not None:
            asked = self.get_retry_after(response)
            if asked is not None:
                return float(asked)
        errors = len(self.history)
        growth: float = 2.0 ** max(errors - 1, 0)
        step = min(BACKOFF_MAX, BACKOFF * growth)
        return step / 2 + random.uniform(0, step / 2)

    def sleep(self, response: Any = None) -> None:
        if self.planned > 0:
            _sleep(self.planned)


def failure_kind(error: BaseException, timed_out: bool) -> str:
    """What kind of failure a call that got no usable answer met, for the metrics.

    ``error`` as :meth:`Transport.calling` sees it (mapped to our errors, the cause kept).
    """
    if timed_out or isinstance(error, RingCentralTimeoutError):
        return "timeout"
    cause = error.__cause__ or error
    if isinstance(cause, requests.RequestException):
        first = cause.args[0] if cause.args else None
        if isinstance(cause, requests.Timeout) or isinstance(first, TimeoutError):
            return "timeout"
        return "unreachable"
    return "unreadable"


def retry_policy(retries: int) -> Retry | int:
    """The adapter's ``max_retries``: ``retries`` retries of GETs, or none at all."""
    if retries <= 0:
        return 0
    return RingCentralRetry(
        total=retries,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        raise_on_status=False,
        raise_on_redirect=False,
        redirect=0,
        respect_retry_after_header=True,
        retry_after_max=3600,
    )


__all__ = ["RingCentralRetry", "retry_policy", "spending"]
