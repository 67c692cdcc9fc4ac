"""Every metric's definition (name, help, labels, buckets), made once per process.

Names follow OpenTelemetry's HTTP semantic conventions where one fits
(``http.server.request.duration`` is ``http_server_request_duration_seconds``, with its
attributes as labels and its advised buckets); the rest are ``rcpyramid_*``.

The instruments are made on first use, not at import: under gunicorn that is in the
worker, after the server runner set ``PROMETHEUS_MULTIPROC_DIR`` and had
prometheus_client choose its file-backed values again
(:func:`rcpyramid.ops.prometheus.prepare_multiprocess`), so every worker writes its
own files and ``/metrics`` adds them up.
"""

from __future__ import annotations

import threading

from prometheus_client import Counter, Gauge, Histogram

#: OpenTelemetry's advised buckets for HTTP durations (seconds).
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
#: Lock waits and event lags are longer: up to the refresh lock's and a webhook's minutes.
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)


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


def instruments() -> Instruments:
    """This process's instruments, made on the first call."""
    global _instruments
    if _instruments is None:
        with _lock:
            if _instruments is None:
                _instruments = Instruments()
    return _instruments
