"""The simulator's home page."""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response

from ..calllog import HISTORY_DAYS
from ..clock import iso_ms, to_ms
from ..config import DEMO_CLIENT
from ..rendering import render
from ..wire import html_response
from .controls import CONTROLS
from .guards import simulator


def _activity(request: Request) -> dict[str, Any]:
    """Recent calls, subscriptions and deliveries for the page (never a token)."""
    sim = simulator(request)
    now = sim.clock.now()
    names = {e.id: e.name for e in sim.directory.extensions}
    calls = [
        {
            "ended": iso_ms(p.record.start_ms + p.record.duration_ms),
            "who": names.get(p.record.owner_id, ""),
            "direction": p.record.direction,
            "result": p.record.result,
            "duration": p.record.duration_ms // 1000,
            "readable": p.visible_ms <= to_ms(now),
        }
        for p in sim.placed.recent(10)
    ]
    deliveries = list(reversed(sim.push.worker.recent()[-10:]))
    return {
        "calls": calls,
        "subscriptions": [s.control_json(now) for s in sim.push.store.all()],
        "deliveries": deliveries,
        "office_interval": sim.config.office_interval,
        "record_delay": sim.record_delay,
        "form_token": sim.form_token,
        "form_path": "/simulator/office",
    }


def home(request: Request) -> Response:
    """GET /: what this is, who can sign in, which clients exist, live counters."""
    sim = simulator(request)
    html = render(
        "home.jinja2",
        users=simulator(request).directory.demo_users,
        clients=sim.config.clients,
        demo_client=DEMO_CLIENT,
        counters=sim.counters.snapshot(),
        active_sessions=sim.sessions.active_sessions(),
        account_id=sim.directory.account_id,
        extension_count=len(sim.directory.extensions),
        history_days=HISTORY_DAYS,
        rate_limits=sim.config.rate_limits,
        default_rate_limits=sim.config.DEFAULT_RATE_LIMITS,
        test_controls=sim.config.test_controls,
        persistent=sim.config.state_file is not None,
        now=sim.clock.now(),
        host_url=request.host_url,
        home_path=request.route_path("sim.home"),
        controls=CONTROLS,
        **_activity(request),
    )
    return html_response(html)


def includeme(config: Configurator) -> None:
    """Route and view of the home page."""
    config.add_route("sim.home", "/")
    config.add_view(home, route_name="sim.home", request_method="GET")
    config.add_static_view("simulator/static", "rcpyramid.simulator:static", cache_max_age=3600)
