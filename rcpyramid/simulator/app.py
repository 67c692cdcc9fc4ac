"""The Simulator: data, state and its own small Pyramid application."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from html import escape
from wsgiref.types import WSGIApplication

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

from . import errors
from .calllog import CallLog
from .clock import Clock
from .config import RegisteredClient, SimulatorConfig
from .counters import Counters
from .directory import Directory
from .faults import FailureRule, Faults
from .livelog import PlacedRecords
from .office import Ticker
from .push import Push
from .ratelimits import RateLimiter, RateStatus
from .sessions import SessionStore
from .views.controls import CONTROL_PATHS
from .views.guards import OAUTH_PREFIX
from .wire import json_response

_FAILURE_TEXT = {
    429: ("rate_limited", "Request rate exceeded"),
    500: ("server_error", "Internal server error"),
    502: ("bad_gateway", "Bad gateway"),
    503: ("service_unavailable", "Service temporarily unavailable"),
}


def group_for_path(path: str) -> str:
    """The rate-limit group an injected 429 reports for a path."""
    if path.startswith("/restapi/oauth/"):
        return "Auth"
    if path.endswith(("/call-log", "/call-log-sync")):
        return "Heavy"
    if path.endswith("/extension"):
        return "Medium"
    return "Light"


class Simulator:
    """A simulated RingCentral: one account, demo users, OAuth and four REST endpoints."""

    def __init__(self, config: SimulatorConfig) -> None:
        config.validate()
        self.config = config
        self.clients: dict[str, RegisteredClient] = {c.client_id: c for c in config.clients}
        self.clock = Clock(config.clock)
        self.counters = Counters()
        self.sessions = SessionStore(config, self.clock, self.counters)
        self.faults = Faults(self.counters)
        self.rate_limits = RateLimiter(config, self.clock, self.counters)
        self.directory = Directory(config.seed, config.users)
        self.placed = PlacedRecords()
        # Anchored on the clock's current UTC day so the default 24-hour window has data.
        self.call_log = CallLog(config.seed, self.directory, self.clock.now().date(), self.placed)
        self.push = Push(config, self.clock, self.counters)
        self.sessions.on_session_end = self.push.end_session
        self.record_delay = config.record_delay  # the record-delay control changes it
        # Bumped by the expire-sync-tokens control: older sync tokens answer CLG-104.
        self.sync_generation = 0
        self.sync_key = secrets.token_bytes(32)
        # The home page's forms carry this; no other site can read it (office_page.py).
        self.form_token = secrets.token_urlsafe(24)
        self._ticker: Ticker | None = None
        self._ticker_lock = threading.Lock()
        if config.office_interval is not None:
            self.ensure_ticker()
        self._app: WSGIApplication | None = None
        self._app_lock = threading.Lock()

    def ensure_ticker(self) -> None:
        """Start the background ticker (reminders, the office) if it is not running."""
        with self._ticker_lock:
            if self._ticker is None:
                self._ticker = Ticker(self)

    def close(self) -> None:
        """Stop the background threads (the delivery lanes and the ticker)."""
        with self._ticker_lock:
            ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.stop()
        self.push.close()

    def reset(self) -> None:
        """Forget codes, sessions, counters, faults, latency, clock offset, rate windows."""
        self.sessions.reset()
        self.counters.reset()
        self.faults.reset()
        self.rate_limits.reset()
        self.clock.reset()
        self.push.reset()
        self.placed.clear()
        self.record_delay = self.config.record_delay

    def wsgi_app(self) -> WSGIApplication:
        """The simulator's WSGI application (built once, then cached)."""
        with self._app_lock:
            if self._app is None:
                self._app = self._make_app()
            return self._app

    def _make_app(self) -> WSGIApplication:
        # Its own Configurator: no session factory, no CSRF, no app settings.
        config = Configurator(settings={})
        config.registry.simulator = self
        config.add_tween("rcpyramid.simulator.app.fault_tween_factory")
        config.include("rcpyramid.simulator.views.errors")
        config.include("rcpyramid.simulator.views.pages")
        config.include("rcpyramid.simulator.views.oauth")
        config.include("rcpyramid.simulator.views.versions")
        config.include("rcpyramid.simulator.views.extensions")
        config.include("rcpyramid.simulator.views.calllog")
        config.include("rcpyramid.simulator.views.records")
        config.include("rcpyramid.simulator.views.subscriptions")
        config.include("rcpyramid.simulator.views.sync")
        if self.config.test_controls:
            config.include("rcpyramid.simulator.views.controls")
            config.include("rcpyramid.simulator.views.office_page")
        app: WSGIApplication = config.make_wsgi_app()
        return app

    def failure_response(self, rule: FailureRule, path: str) -> Response:
        """The answer for an injected failure (no work is done)."""
        error, text = _FAILURE_TEXT[rule.status]
        headers = {}
        if rule.retry_after is not None:
            headers["Retry-After"] = str(rule.retry_after)
        if rule.content == "html":
            title = f"{rule.status} {escape(text)}"
            page = (
                f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
                f"<h1>{title}</h1><p>Injected by the rcpyramid RingCentral simulator.</p>"
                f"<p>Path: {escape(path)}</p></body></html>"
            )
            response = Response(body=page.encode(), status=rule.status, headers=headers)
            response.headers["Content-Type"] = "text/html; charset=utf-8"
            return response
        if rule.status == 429:
            group = group_for_path(path)
            limit, _ = self.config.limit_for(group)
            headers.update(RateStatus(group, limit, 0).headers())
            limited = errors.rate_exceeded(
                rule.retry_after or 60, oauth=path.startswith(OAUTH_PREFIX)
            )
            return json_response(limited.body(), 429, headers)
        code = f"SIM-{rule.status}"
        body = {
            "error": error,
            "error_description": text,
            "errorCode": code,
            "message": text,
            "errors": [{"errorCode": code, "message": text}],
        }
        return json_response(body, rule.status, headers)


def fault_tween_factory(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    """Injected latency and failures, applied before any view runs."""
    sim: Simulator = registry.simulator

    def fault_tween(request: Request) -> Response:
        path = request.path_info
        if path in CONTROL_PATHS:
            return handler(request)
        delay = sim.faults.take_latency(path)
        if delay > 0:
            time.sleep(delay)  # never under the state lock
        rule = sim.faults.take_failure(path)
        if rule is not None:
            return sim.failure_response(rule, path)
        return handler(request)

    return fault_tween
