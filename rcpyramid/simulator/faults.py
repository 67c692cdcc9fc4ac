"""Injected failures and latency: what POST /simulator/fail-next and /latency queue up."""

from __future__ import annotations

import copy
import math
import threading
from dataclasses import dataclass

from .counters import Counters

FAILURE_STATUSES = (429, 500, 502, 503)


@dataclass
class FailureRule:
    status: int
    remaining: int
    path: str
    retry_after: int | None
    content: str  # json | html
    #: True: only a request to this very path (not one under it) takes the failure.
    exact: bool = False

    def matches(self, path: str) -> bool:
        """Whether a request to ``path`` takes this failure."""
        return path == self.path if self.exact else path.startswith(self.path)


@dataclass
class LatencyRule:
    seconds: float
    path: str
    remaining: int | None  # None = until cleared


class Faults:
    """Queued failures (first match wins) and one latency rule, matched by path prefix.

    A failure may instead match its path exactly (``exact``): a rule for
    ``/restapi/v1.0/account/~/extension`` then leaves ``.../extension/~/call-log`` alone.
    """

    def __init__(self, counters: Counters) -> None:
        self._counters = counters
        self._lock = threading.Lock()
        self._failures: list[FailureRule] = []
        self._latency: LatencyRule | None = None

    def fail_next(self, rule: FailureRule) -> FailureRule:
        """Queue a failure for the next requests `rule` matches; the rule as queued.

        A 429 without `retry_after` gets 60 seconds.
        """
        if rule.status not in FAILURE_STATUSES:
            raise ValueError("status must be 429, 500, 502 or 503")
        if rule.remaining < 1:
            raise ValueError("count must be at least 1")
        if rule.content not in ("json", "html"):
            raise ValueError("content must be json or html")
        queued = copy.copy(rule)
        if queued.status == 429 and queued.retry_after is None:
            queued.retry_after = 60
        with self._lock:
            self._failures.append(queued)
        return copy.copy(queued)

    def take_failure(self, path: str) -> FailureRule | None:
        """Consume one injected failure matching this request path, if any."""
        with self._lock:
            for rule in self._failures:
                if rule.matches(path):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._failures.remove(rule)
                    if rule.status == 429:
                        self._counters.count("rate_limited")
                    return copy.copy(rule)
            return None

    def set_latency(self, seconds: float, path: str = "/restapi", count: int | None = None) -> None:
        """Delay matching requests; zero seconds clears the delay."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("seconds must be a finite number >= 0")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._latency = LatencyRule(seconds, path, count) if seconds > 0 else None

    def take_latency(self, path: str) -> float:
        """Seconds this request should sleep (the caller sleeps, outside the lock)."""
        with self._lock:
            rule = self._latency
            if rule is None or not path.startswith(rule.path):
                return 0.0
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._latency = None
            return rule.seconds

    def reset(self) -> None:
        """Drop every queued failure and the latency rule."""
        with self._lock:
            self._failures.clear()
            self._latency = None
