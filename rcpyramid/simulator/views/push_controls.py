"""Test controls for push and sync (JSON, under /simulator/, 404 when controls are off).

- POST calls {"username", "direction": "Inbound"|"Outbound", "other": "+16505550199",
  "result": "Answered"|"Missed"|"Voicemail", "duration": seconds, "other_name"} -> the
  call's telephonySessionId, sessionId, partyId, recordId, extensionId, startTime,
  endTime, recordVisibleAt, deliveriesQueued. The call ends now; its events go out at
  once; its record is readable `record delay` seconds later (by the simulator's clock).
- POST record-delay {"seconds": 2} -> {"seconds": 2}: for calls placed from now on.
- POST expire-sync-tokens -> {"expired": true}: every sync token issued so far answers
  400 CLG-104 "call log was reset"; clients must FSync again.
- GET subscriptions -> {"subscriptions": [{id, username, client_id, status (Active,
  Blacklisted or Expired), eventFilters, address, creationTime, expirationTime,
  consecutive_failures, delivered, blacklistedData}]} (never a verification token).
- GET deliveries -> {"deliveries": [{uuid, subscriptionId, event, address, attemptedAt,
  status, ok, error, envelope}]}: the last 200 attempts, oldest first.
- POST fail-deliveries {"count": 3} -> {"failing": 3}: the next N deliveries fail as if the
  receiver timed out (they are not sent).
- POST delivery-quirks {"delay": seconds, "duplicate": n, "out_of_order": n} -> the
  quirks: each delivery waits `delay` first; the next n deliveries arrive twice with the
  same uuid; the next n calls' events arrive newest first.

views/controls.py routes them with the other controls.
"""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.response import Response

from ..office import CallError, CallRequest, place_call
from ..wire import json_response
from .control_input import ControlError, int_field, json_body, seconds_field
from .guards import simulator


def _choice(
    data: dict[str, Any], name: str, allowed: tuple[str, ...], default: str | None = None
) -> str:
    value = data.get(name, default)
    canonical = {a.lower(): a for a in allowed}
    if not isinstance(value, str) or value.lower() not in canonical:
        raise ControlError(f"{name} must be one of {', '.join(allowed)}")
    return canonical[value.lower()]


def calls(request: Request) -> Response:
    """POST /simulator/calls: place a call that has just ended."""
    data = json_body(request)
    username = data.get("username")
    other = data.get("other", "+16505550199")
    other_name = data.get("other_name")
    if not isinstance(username, str):
        raise ControlError("username is required")
    if not isinstance(other, str) or (other_name is not None and not isinstance(other_name, str)):
        raise ControlError("other and other_name must be strings")
    duration = int_field(data, "duration", 0, 0)
    assert duration is not None
    req = CallRequest(
        username=username,
        direction=_choice(data, "direction", ("Inbound", "Outbound"), "Inbound"),
        other=other,
        result=_choice(data, "result", ("Answered", "Missed", "Voicemail"), "Answered"),
        duration=duration,
        other_name=other_name,
    )
    try:
        return json_response(place_call(simulator(request), req))
    except CallError as error:
        raise ControlError(str(error)) from error


def record_delay(request: Request) -> Response:
    """POST /simulator/record-delay {"seconds": N}."""
    seconds = seconds_field(json_body(request), "seconds")
    if seconds > 86400:
        raise ControlError("seconds must be at most 86400")
    simulator(request).record_delay = seconds
    return json_response({"seconds": seconds})


def expire_sync_tokens(request: Request) -> Response:
    """POST /simulator/expire-sync-tokens: every earlier sync token is now refused."""
    sim = simulator(request)
    sim.sync_generation += 1
    return json_response({"expired": True})


def subscriptions(request: Request) -> Response:
    """GET /simulator/subscriptions: every subscription with its state."""
    sim = simulator(request)
    now = sim.clock.now()
    return json_response({"subscriptions": [s.control_json(now) for s in sim.push.store.all()]})


def deliveries(request: Request) -> Response:
    """GET /simulator/deliveries: recent delivery attempts and their answers."""
    return json_response({"deliveries": simulator(request).push.worker.recent()})


def fail_deliveries(request: Request) -> Response:
    """POST /simulator/fail-deliveries {"count": N}."""
    count = int_field(json_body(request), "count", 1, 0)
    worker = simulator(request).push.worker
    worker.quirks.fail = count or 0
    return json_response({"failing": worker.quirks.fail})


def delivery_quirks(request: Request) -> Response:
    """POST /simulator/delivery-quirks {"delay", "duplicate", "out_of_order"}."""
    data = json_body(request)
    quirks = simulator(request).push.worker.quirks
    if "delay" in data:
        delay = seconds_field(data, "delay")
        if delay > 60:
            raise ControlError("delay must be at most 60 seconds")
        quirks.delay = delay
    for name in ("duplicate", "out_of_order"):
        if name in data:
            setattr(quirks, name, int_field(data, name, 0, 0))
    return json_response(
        {"delay": quirks.delay, "duplicate": quirks.duplicate, "out_of_order": quirks.out_of_order}
    )
