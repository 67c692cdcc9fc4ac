"""Prometheus metrics, recorded: one hook at each place that knows what happened.

No label holds a person, a number, a token or anything else a request chose: routes
are the route's template, error codes must look like RingCentral's (``CMN-301``),
methods are the standard ones, everything else is a word from a fixed set. Nothing is
recorded unless ``rcpyramid.metrics`` is on: the hot path then pays one test per hook.
The metrics themselves are defined in :mod:`rcpyramid.ops.instruments`; what
``/metrics`` answers, in :mod:`rcpyramid.ops.prometheus`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

from rcpyramid.ops.instruments import Instruments, instruments

T = TypeVar("T")

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
RATE_GROUPS = frozenset({"Light", "Medium", "Heavy", "Auth"})
_ERROR_CODE = re.compile(r"[A-Z]{2,8}-\d{1,5}")

_enabled = False


def enable() -> None:
    """Record from now on (``rcpyramid.metrics`` is on); instruments come on first use."""
    global _enabled
    _enabled = True


def enabled() -> bool:
    return _enabled


def _on() -> Instruments | None:
    return instruments() if _enabled else None


# -- label hygiene ----------------------------------------------------------------------


def _method(method: str) -> str:
    return method if method in METHODS else "_OTHER"


def _group(group: str | None) -> str:
    return group if group in RATE_GROUPS else "other"


def _error_code(code: Any) -> str:
    if not code:
        return ""
    return code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else "other"


def error_code_of(data: Any) -> str:
    """RingCentral's ``errorCode`` in an answer's JSON (``errors[0]`` or the top level)."""
    if not isinstance(data, dict):
        return ""
    errors = data.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    return _error_code(first.get("errorCode") or data.get("errorCode"))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


# -- hooks (one line at each place that knows) ------------------------------------------


def request_started(method: str) -> Any:
    """One more active request (the gauge); hand what it returns to :func:`request_ended`."""
    on = _on()
    if on is None:
        return None
    gauge = on.http_active.labels(_method(method))
    gauge.inc()
    return gauge


def request_ended(active: Any) -> None:
    if active is not None:
        active.dec()


def served(method: str, route: str | None, status: int, seconds: float) -> None:
    on = _on()
    if on is not None:
        on.http_duration.labels(_method(method), route or "", str(status)).observe(seconds)


def ringcentral_answer(
    response: Any, group: str, data: Any = None, seconds: float | None = None
) -> None:
    """An answer from RingCentral (a ``requests.Response``, its body read or not).

    Its own ``X-Rate-Limit-Group`` wins over ``group`` (the caller's, by the path);
    ``seconds`` defaults to what requests measured.
    """
    on = _on()
    if on is None:
        return
    group = _group(_header(response.headers, "X-Rate-Limit-Group") or group)
    status = int(response.status_code)
    code = error_code_of(data) if status >= 400 else ""
    if seconds is None:
        seconds = response.elapsed.total_seconds()
    method = getattr(response.request, "method", None) or "GET"
    on.rc_requests.labels(group, str(status), code).inc()
    on.rc_duration.labels(_method(method), group, str(status)).observe(seconds)


def ringcentral_failure(reason: str | None) -> None:
    """A call that got no usable answer: ``timeout``, ``unreachable`` or ``unreadable``.

    None: nothing to count (the error was RingCentral's answer, counted as an answer).
    """
    on = _on()
    if on is not None and reason is not None:
        on.rc_failures.labels(reason).inc()


def ringcentral_retry(reason: str) -> None:
    on = _on()
    if on is not None:
        on.rc_retries.labels(reason).inc()


def rate_limited(group: str, wait_seconds: float, account_wide: bool) -> None:
    on = _on()
    if on is not None:
        on.rate_limited.labels(_group(group), "account" if account_wide else "person").inc()
        on.penalty.labels(_group(group)).inc(wait_seconds)


def rate_limit_remaining(group: str, remaining: int) -> None:
    on = _on()
    if on is not None:
        on.remaining.labels(_group(group)).set(remaining)


REFRESH_OUTCOMES = frozenset(
    {
        "ok",
        "reused",
        "invalid_grant",
        "expired",
        "refused",
        "rate_limited",
        "timeout",
        "unavailable",
        "remembered_failure",
    }
)


def refresh(outcome: str) -> None:
    on = _on()
    if on is not None:
        on.refreshes.labels(outcome if outcome in REFRESH_OUTCOMES else "other").inc()


@contextmanager
def lock_wait(lock: AbstractContextManager[T]) -> Iterator[T]:
    """``with lock_wait(repo.refreshing(login_id)) as lease``: time to get the lock."""
    started = time.perf_counter()
    with lock as held:
        on = _on()
        if on is not None:
            on.lock_wait.observe(time.perf_counter() - started)
        yield held


def answer_cache(group: str, hit: bool) -> None:
    on = _on()
    if on is not None:
        on.cache.labels(_group(group), "hit" if hit else "miss").inc()


def webhook_delivery(result: str, reason: str) -> None:
    """``result`` accepted, duplicate, refused or handshake; ``reason`` a word from the
    receiver's fixed set (call_ended, bad_token, ...), never a value from the delivery."""
    on = _on()
    if on is not None:
        on.webhooks.labels(result, reason).inc()


def event_lag(seconds: float) -> None:
    on = _on()
    if on is not None:
        on.event_lag.observe(max(seconds, 0.0))


def subscriptions(by_state: Mapping[str, int], soonest_expiry_seconds: float | None) -> None:
    on = _on()
    if on is None:
        return
    for state, count in by_state.items():
        on.subscriptions.labels(state).set(count)
    if soonest_expiry_seconds is not None:
        on.subscription_expiry.set(soonest_expiry_seconds)


def sync(kind: str, result: str) -> None:
    """``kind`` FSync, ISync or backfill; ``result`` ok, token_lost, rate_limited,
    signed_out, failed, or (backfill) deferred."""
    on = _on()
    if on is not None:
        on.syncs.labels(kind, result).inc()


def subscription_change(action: str, ok: bool) -> None:
    """``action`` created, renewed, replaced or deleted."""
    on = _on()
    if on is not None:
        on.subscription_changes.labels(action, "ok" if ok else "failed").inc()
