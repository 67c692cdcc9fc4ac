"""Test controls: a JSON API under /simulator/ that lets tests bend time and inject faults.

The contract (all 404 when `test_controls` is off; bodies are JSON objects, optional where
noted; a form-encoded or text/plain body is refused with 415 so a cross-site HTML form
cannot drive the controls; bad values answer 400 {"error": "..."}):

- GET  counters -> {"grants": {"authorization_code", "refresh_token"}, "refreshes", "revokes",
  "rate_limited", "api_calls", "token_errors", "subscriptions" (created), "handshakes"
  (attempted), "deliveries" (attempted), "syncs", "calls" (placed)}.
- POST expire-access-tokens [{"username"}] -> {"expired": n}: current access tokens (of that
  user) now answer 401 OAU-128; refresh tokens are untouched.
- POST fail-next {"status": 429|500|502|503, "count": 1, "path": "/restapi", "retry_after",
  "content": "json"|"html", "exact": false} -> {"queued": {...}}: the next `count` requests
  whose path starts with `path` (is `path`, with "exact": true) answer `status` without
  doing any work. Rules queue up; the first matching
  rule is used. 429 carries Retry-After (default 60) and rate headers; 5xx carry Retry-After
  only when `retry_after` is given.
- POST latency {"seconds", "path": "/restapi", "count"} -> {"latency": {...}|null}: matching
  requests sleep first (outside any lock); a new call replaces the rule; 0 seconds clears.
- POST advance-clock {"seconds": N >= 0} -> {"now": iso}: moves the simulator's clock.
- POST reset -> {"reset": true}: forgets codes, sessions, counters, faults, latency, clock
  offset, rate windows, subscriptions, deliveries and placed calls (the data stays).

Push and sync controls: views/push_controls.py.

Faults and latency never apply to these control paths.
"""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response

from ..faults import FailureRule
from ..wire import json_response
from . import push_controls
from .control_input import (
    ControlError,
    add_controls,
    control_error_view,
    int_field,
    json_body,
    path_field,
    seconds_field,
)
from .guards import simulator
from .office_page import FORM_PATH
from .routing import View

# What the home page lists (the module docstring is the contract).
CONTROLS = (
    ("GET /simulator/counters", "grants by type, refreshes, revokes, 429s, API calls, errors"),
    (
        'POST /simulator/expire-access-tokens {"username": "alice"}',
        "current access tokens (of that user, or everyone's) expire now",
    ),
    (
        'POST /simulator/fail-next {"status": 503, "count": 1, "path": "/restapi/oauth/token",'
        ' "retry_after": 60, "content": "json"}',
        "the next matching requests fail that way (429, 500, 502 or 503; json or html); "
        '"exact": true matches that path alone, not the paths under it',
    ),
    (
        'POST /simulator/latency {"seconds": 2.5, "path": "/restapi", "count": 1}',
        "matching requests answer late; 0 seconds clears",
    ),
    ('POST /simulator/advance-clock {"seconds": 60}', "the simulator's clock jumps forward"),
    (
        "POST /simulator/reset",
        "forget codes, sessions, counters, failures, latency, clock offset, rate windows, "
        "subscriptions, deliveries and placed calls",
    ),
    (
        'POST /simulator/calls {"username": "alice", "direction": "Inbound", '
        '"other": "+16505550199", "result": "Missed", "duration": 0}',
        "a call that ends now: its events go out at once, its record appears after the delay",
    ),
    ('POST /simulator/record-delay {"seconds": 2}', "how long a call's record takes to appear"),
    ("POST /simulator/expire-sync-tokens", "every sync token answers CLG-104: FSync again"),
    ("GET /simulator/subscriptions", "every webhook subscription with its state"),
    ("GET /simulator/deliveries", "the last 200 deliveries and their answers"),
    ('POST /simulator/fail-deliveries {"count": 3}', "the next deliveries fail (not sent)"),
    (
        'POST /simulator/delivery-quirks {"delay": 0.5, "duplicate": 1, "out_of_order": 1}',
        "late deliveries, a repeated uuid, a call's events newest first",
    ),
)


def counters(request: Request) -> Response:
    """GET /simulator/counters."""
    return json_response(simulator(request).counters.snapshot())


def expire_access_tokens(request: Request) -> Response:
    """POST /simulator/expire-access-tokens [{"username": ...}]."""
    sim = simulator(request)
    username = json_body(request).get("username")
    if username is not None and username not in sim.directory.users:
        raise ControlError("unknown username")
    return json_response({"expired": sim.sessions.expire_access_tokens(username)})


def fail_next(request: Request) -> Response:
    """POST /simulator/fail-next {"status", "count", "path", "retry_after", "content", "exact"}."""
    data = json_body(request)
    status = data.get("status")
    if status not in (429, 500, 502, 503) or isinstance(status, bool):
        raise ControlError("status must be one of 429, 500, 502, 503")
    content = data.get("content", "json")
    if content not in ("json", "html"):
        raise ControlError('content must be "json" or "html"')
    count = int_field(data, "count", 1, 1)
    retry_after = int_field(data, "retry_after", None, 0)
    path = path_field(data)
    exact = data.get("exact", False)
    if not isinstance(exact, bool):
        raise ControlError("exact must be true or false")
    assert count is not None
    rule = FailureRule(status, count, path, retry_after, content, exact)
    queued = simulator(request).faults.fail_next(rule)
    return json_response(
        {
            "queued": {
                "status": queued.status,
                "count": queued.remaining,
                "path": queued.path,
                "retry_after": queued.retry_after,
                "content": queued.content,
                "exact": queued.exact,
            }
        }
    )


def latency(request: Request) -> Response:
    """POST /simulator/latency {"seconds", "path", "count"}; zero seconds clears."""
    data = json_body(request)
    seconds = seconds_field(data, "seconds")
    path = path_field(data)
    count = int_field(data, "count", None, 1)
    simulator(request).faults.set_latency(seconds, path, count)
    rule = None if seconds == 0 else {"seconds": seconds, "path": path, "count": count}
    return json_response({"latency": rule})


def advance_clock(request: Request) -> Response:
    """POST /simulator/advance-clock {"seconds": N}."""
    seconds = seconds_field(json_body(request), "seconds")
    now = simulator(request).clock.advance(seconds)
    return json_response({"now": now.isoformat()})


def reset(request: Request) -> Response:
    """POST /simulator/reset: back to a freshly started simulator (same data)."""
    simulator(request).reset()
    return json_response({"reset": True})


# Every control: /simulator/NAME -> (view, method).
VIEWS: dict[str, tuple[View, str]] = {
    "counters": (counters, "GET"),
    "expire-access-tokens": (expire_access_tokens, "POST"),
    "fail-next": (fail_next, "POST"),
    "latency": (latency, "POST"),
    "advance-clock": (advance_clock, "POST"),
    "reset": (reset, "POST"),
    # push and sync (views/push_controls.py)
    "calls": (push_controls.calls, "POST"),
    "record-delay": (push_controls.record_delay, "POST"),
    "expire-sync-tokens": (push_controls.expire_sync_tokens, "POST"),
    "subscriptions": (push_controls.subscriptions, "GET"),
    "deliveries": (push_controls.deliveries, "GET"),
    "fail-deliveries": (push_controls.fail_deliveries, "POST"),
    "delivery-quirks": (push_controls.delivery_quirks, "POST"),
}
# Faults and latency never apply to these (the office form posts to a control, too).
CONTROL_PATHS = frozenset({*(f"/simulator/{name}" for name in VIEWS), FORM_PATH})


def includeme(config: Configurator) -> None:
    """Routes and views of the test controls (only included when enabled)."""
    add_controls(config, VIEWS)
    config.add_exception_view(control_error_view, context=ControlError)
