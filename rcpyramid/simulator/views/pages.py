"""The simulator's home page."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response

from ..calllog import HISTORY_DAYS
from ..config import DEMO_CLIENT
from ..rendering import render
from ..wire import html_response
from .controls import CONTROLS
from .guards import simulator


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
    )
    return html_response(html)


def includeme(config: Configurator) -> None:
    """Route and view of the home page."""
    config.add_route("sim.home", "/")
    config.add_view(home, route_name="sim.home", request_method="GET")
    config.add_static_view("simulator/static", "rcpyramid.simulator:static", cache_max_age=3600)
