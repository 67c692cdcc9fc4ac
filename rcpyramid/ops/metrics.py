"""Prometheus metrics: what the app serves, what it asks RingCentral, how that goes.

Names follow OpenTelemetry's HTTP semantic conventions where one fits
(``http.server.request.duration`` is ``http_server_request_duration_seconds``, with its
attributes as labels and its advised buckets); the rest are ``rcpyramid_*``. No label
holds a person, a number, a token or anything else a request chose: routes are the
route's template, error codes must look like RingCentral's (``CMN-301``), methods are
the standard ones, everything else is a word from a fixed set.

The instruments are made on first use, not at import: under gunicorn that is in the
worker, after the server runner set ``PROMETHEUS_MULTIPROC_DIR`` and had
prometheus_client choose its file-backed values again (:func:`prepare_multiprocess`),
so every worker writes its own files and ``/metrics`` adds them up. Nothing is
recorded unless ``rcpyramid.metrics`` is on: the hot path then pays one test per hook.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

T = TypeVar("T")

#: OpenTelemetry's advised buckets for HTTP durations (seconds).
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
#: Lock waits and event lags are longer: up to the refresh lock's and a webhook's minutes.
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
RATE_GROUPS = frozenset({"Light", "Medium", "Heavy", "Auth"})
_ERROR_CODE = re.compile(r"[A-Z]{2,8}-\d{1,5}")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class Instruments:
    """Every metric, made once per process (see the module docstring)."""

    def __init__(self) -> None:
        # -- served ---------------------------------------------------------------------
        self.http_duration = Histogram(
            "http_server_request_duration_seconds",
            "Duration of HTTP server requests (OpenTelemetry http.server.request.duration).",
            ["http_request_method", "http_route", "http_response_status_code"],
            buckets=HTTP_BUCKETS,
        )
        self.http_active = Gauge(
            "http_server_active_requests",
            "Requests being served (OpenTelemetry http.server.active_requests).",
            ["http_request_method"],
            multiprocess_mode="livesum",
        )
        # -- asked of RingCentral -------------------------------------------------------
        self.rc_duration = Histogram(
            "http_client_request_duration_seconds",
            "Duration of requests to RingCentral (OpenTelemetry http.client.request.duration).",
            ["http_request_method", "rate_group", "http_response_status_code"],
            buckets=HTTP_BUCKETS,
        )
        self.rc_requests = Counter(
            "rcpyramid_ringcentral_requests",
            "Answers from RingCentral by rate-limit group, HTTP status and errorCode.",
            ["rate_group", "status", "error_code"],
        )
        self.rc_failures = Counter(
            "rcpyramid_ringcentral_failures",
            "Requests to RingCentral that got no answer: timeout, unreachable, unreadable.",
            ["reason"],
        )
        self.rc_retries = Counter(
            "rcpyramid_ringcentral_retries",
            "GETs to RingCentral sent again after a transient failure, by what it was.",
            ["reason"],
        )
        self.rate_limited = Counter(
            "rcpyramid_ringcentral_rate_limited",
            "429 answers from RingCentral (scope: person, or account without rate headers).",
            ["rate_group", "scope"],
        )
        self.penalty = Counter(
            "rcpyramid_ringcentral_penalty_seconds",
            "Seconds RingCentral asked to wait (Retry-After) after its 429s.",
            ["rate_group"],
        )
        self.remaining = Gauge(
            "rcpyramid_ringcentral_rate_limit_remaining",
            "X-Rate-Limit-Remaining of the last answer in each group (whoever asked).",
            ["rate_group"],
            multiprocess_mode="mostrecent",
        )
        # -- tokens and the answer cache ------------------------------------------------
        self.refreshes = Counter(
            "rcpyramid_token_refreshes",
            "Refreshes by outcome: ok, reused (another request had refreshed), invalid_grant, "
            "expired, refused, rate_limited, timeout, unavailable, remembered_failure.",
            ["outcome"],
        )
        self.lock_wait = Histogram(
            "rcpyramid_token_refresh_lock_wait_seconds",
            "Time a refresh waited for its login's lock.",
            buckets=WAIT_BUCKETS,
        )
        self.cache = Counter(
            "rcpyramid_answer_cache_lookups",
            "Answer-cache lookups by rate-limit group and result (hit or miss).",
            ["rate_group", "result"],
        )
        # -- the live call history (used by rcpyramid/livehistory/ and its receiver) --------
        self.webhooks = Counter(
            "rcpyramid_webhook_deliveries",
            "Webhook deliveries by result (accepted, duplicate, refused, handshake) and reason.",
            ["result", "reason"],
        )
        self.event_lag = Histogram(
            "rcpyramid_webhook_event_lag_seconds",
            "Seconds between an event's timestamp and its arrival here.",
            buckets=LAG_BUCKETS,
        )
        self.subscriptions = Gauge(
            "rcpyramid_subscriptions",
            "Webhook subscriptions by state, as last counted.",
            ["state"],
            multiprocess_mode="mostrecent",
        )
        self.subscription_expiry = Gauge(
            "rcpyramid_subscription_expiry_seconds",
            "Seconds until the soonest active subscription expires, as last seen.",
            multiprocess_mode="mostrecent",
        )
        self.syncs = Counter(
            "rcpyramid_syncs",
            "Call-history syncs by kind and result.",
            ["kind", "result"],
        )
        self.subscription_changes = Counter(
            "rcpyramid_subscription_changes",
            "Webhook subscriptions created, renewed, replaced, deleted, by result (ok, failed).",
            ["action", "result"],
        )


_lock = threading.Lock()
_instruments: Instruments | None = None
_enabled = False


def enable() -> None:
    """Record from now on (``rcpyramid.metrics`` is on); instruments come on first use."""
    global _enabled
    _enabled = True


def enabled() -> bool:
    return _enabled


def instruments() -> Instruments:
    global _instruments
    if _instruments is None:
        with _lock:
            if _instruments is None:
                _instruments = Instruments()
    return _instruments


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


@contextmanager
def serving(method: str) -> Iterator[None]:
    """Around one request: the active-requests gauge."""
    on = _on()
    if on is None:
        yield
        return
    gauge = on.http_active.labels(_method(method))
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


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


# -- exposition and gunicorn ------------------------------------------------------------


def exposition() -> tuple[bytes, str]:
    """The text ``/metrics`` answers: this process's, or every worker's under gunicorn."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    instruments()  # the metric families appear, at zero, before anything happened
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def prepare_multiprocess(directory: Path) -> None:
    """In the gunicorn master, before forking: an empty directory for the workers' files.

    Wiped, because files left by a previous run would be added to this one's counts.
    prometheus_client picks its file-backed values when the first metric is made, so
    the environment variable is set here, before any worker makes one.
    """
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROC_ENV] = str(directory)
    # Imported earlier (by a view module), it chose in-memory values: choose again.
    values.ValueClass = values.get_value_class()


def worker_exited(pid: int) -> None:
    """gunicorn's ``child_exit``: the dead worker's live gauges stop counting."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)
