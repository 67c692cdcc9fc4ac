"""`/restapi/v1.0/subscription`: webhook subscriptions with RingCentral's shapes and limits.

Plain http is accepted for loopback addresses only (RingCentral accepts http in its
sandbox; production wants https with TLS 1.2+), so a local receiver can be tested.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response

from .. import api_errors
from ..deliveries import handshake
from ..filters import EventFilter, parse
from ..subscriptions import DEFAULT_LIFETIME, MAX_LIFETIME, Subscription
from ..wire import json_response
from .guards import ApiCaller, api_caller, simulator

PERMISSION = "WebhookSubscriptions"


def _json_body(request: Request, *, optional: bool = False) -> dict[str, Any]:
    if not request.body.strip():
        if optional:
            return {}
        raise api_errors.parameter_required("eventFilters")
    try:
        data = json.loads(request.body)
    except ValueError:
        raise api_errors.parameter_invalid("body") from None
    if not isinstance(data, dict):
        raise api_errors.parameter_invalid("body")
    return data


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _address(mode: Any) -> tuple[str, str | None]:
    if not isinstance(mode, dict):
        raise api_errors.parameter_required("deliveryMode")
    if mode.get("transportType") != "WebHook":
        # WebSocket and PubNub transports are not simulated.
        raise api_errors.parameter_invalid("deliveryMode.transportType")
    address = mode.get("address")
    if not isinstance(address, str):
        raise api_errors.parameter_invalid("deliveryMode.address")
    try:
        parts = urlsplit(address)
        parts.port  # noqa: B018 - a port out of range raises here, not in the handshake
    except ValueError:
        raise api_errors.parameter_invalid("deliveryMode.address") from None
    if not parts.hostname or parts.scheme not in ("http", "https"):
        raise api_errors.parameter_invalid("deliveryMode.address")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise api_errors.parameter_invalid("deliveryMode.address")
    token = mode.get("verificationToken")
    if token is not None and (not isinstance(token, str) or not token or len(token) > 64):
        raise api_errors.parameter_invalid("deliveryMode.verificationToken")
    return address, token


def _lifetime(data: dict[str, Any]) -> int | None:
    value = data.get("expiresIn")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise api_errors.parameter_invalid("expiresIn")
    return min(value, MAX_LIFETIME)


def _filters(request: Request, caller: ApiCaller, raw: Any) -> tuple[EventFilter, ...]:
    if not isinstance(raw, list) or not raw:
        raise api_errors.parameter_required("eventFilters")
    sim = simulator(request)
    parsed: list[EventFilter] = []
    unknown: list[str] = []
    for item in raw:
        flt = parse(item, caller.extension, sim.directory, caller.grant.scope)
        if flt is None:
            unknown.append(str(item))
        elif flt not in parsed:
            parsed.append(flt)
    if unknown:
        raise api_errors.invalid_event_filters(unknown)
    return tuple(parsed)


def _answer(request: Request, sub: Subscription) -> Response:
    sim = simulator(request)
    return json_response(sub.to_json(request.host_url, sim.clock.now()))


def create(request: Request) -> Response:
    """POST /restapi/v1.0/subscription (Medium): handshake first, then 200 SubscriptionInfo."""
    sim = simulator(request)
    caller = api_caller(request, "Medium", PERMISSION, PERMISSION)
    data = _json_body(request)
    filters = _filters(request, caller, data.get("eventFilters"))
    address, token = _address(data.get("deliveryMode"))
    lifetime = _lifetime(data) or DEFAULT_LIFETIME
    username, client_id = caller.grant.username, caller.grant.client_id
    if sim.push.store.count_live(username, client_id, sim.clock.now()) >= 30:
        raise api_errors.subscription_limit()
    sim.counters.count("handshakes")
    handshake(address, sim.config.webhook_timeout)  # no lock held: it may take seconds
    sub = sim.push.store.add(
        username=username,
        extension_id=caller.extension.id,
        client_id=client_id,
        session_id=caller.grant.session_id,
        filters=filters,
        address=address,
        verification_token=token,
        lifetime=lifetime,
        now=sim.clock.now(),
    )
    sim.counters.count("subscriptions")
    sim.ensure_ticker()
    return _answer(request, sub)


def _owned(request: Request, caller: ApiCaller) -> Subscription:
    sim = simulator(request)
    grant = caller.grant
    return sim.push.store.owned(
        request.matchdict["subscription_id"], grant.username, grant.client_id, sim.clock.now()
    )


def list_subscriptions(request: Request) -> Response:
    """GET /restapi/v1.0/subscription (Light): this user's, for this app."""
    sim = simulator(request)
    caller = api_caller(request, "Light", PERMISSION, PERMISSION)
    now = sim.clock.now()
    subs = sim.push.store.of(caller.grant.username, caller.grant.client_id, now)
    return json_response(
        {
            "uri": f"{request.host_url}/restapi/v1.0/subscription",
            "records": [s.to_json(request.host_url, now) for s in subs],
        }
    )


def read(request: Request) -> Response:
    """GET /restapi/v1.0/subscription/{id} (Light)."""
    caller = api_caller(request, "Light", PERMISSION, PERMISSION)
    return _answer(request, _owned(request, caller))


def update(request: Request) -> Response:
    """PUT /restapi/v1.0/subscription/{id} (Medium): an empty body renews with the default."""
    sim = simulator(request)
    caller = api_caller(request, "Medium", PERMISSION, PERMISSION)
    sub = _owned(request, caller)
    data = _json_body(request, optional=True)
    if not data:
        sim.push.store.renew(sub, sim.clock.now(), DEFAULT_LIFETIME)
        return _answer(request, sub)
    filters = _filters(request, caller, data.get("eventFilters"))
    sim.push.store.replace_filters(sub, filters)
    sim.push.store.renew(sub, sim.clock.now(), _lifetime(data) or DEFAULT_LIFETIME)
    return _answer(request, sub)


def renew(request: Request) -> Response:
    """POST /restapi/v1.0/subscription/{id}/renew (Light): the same lifetime again."""
    sim = simulator(request)
    caller = api_caller(request, "Light", PERMISSION, PERMISSION)
    sub = _owned(request, caller)
    sim.push.store.renew(sub, sim.clock.now())
    return _answer(request, sub)


def delete(request: Request) -> Response:
    """DELETE /restapi/v1.0/subscription/{id} (Medium): 204."""
    sim = simulator(request)
    caller = api_caller(request, "Medium", PERMISSION, PERMISSION)
    sim.push.store.delete(_owned(request, caller).id)
    return Response(status=204)


def includeme(config: Configurator) -> None:
    """Routes and views of the subscription API."""
    base = "/restapi/v1.0/subscription"
    config.add_route("rc.subscriptions", base)
    config.add_route("rc.subscriptions_slash", base + "/")
    config.add_route("rc.subscription", base + "/{subscription_id}")
    config.add_route("rc.subscription_renew", base + "/{subscription_id}/renew")
    for route in ("rc.subscriptions", "rc.subscriptions_slash"):
        config.add_view(create, route_name=route, request_method="POST")
        config.add_view(list_subscriptions, route_name=route, request_method="GET")
    config.add_view(read, route_name="rc.subscription", request_method="GET")
    config.add_view(update, route_name="rc.subscription", request_method="PUT")
    config.add_view(delete, route_name="rc.subscription", request_method="DELETE")
    config.add_view(renew, route_name="rc.subscription_renew", request_method="POST")
