"""The server runner ``development.ini`` names: waitress, plus the built-in simulator when asked.

``pserve development.ini`` calls :func:`run` with the app. When the app is configured
for the built-in simulator (``ringcentral.server_url = simulator``), the simulator is
started first on its own listener and thread pool, so the app reaches it over real
HTTP and can never deadlock waiting for one of its own threads. When any other
RingCentral server is configured, no simulator starts.
"""

from __future__ import annotations

import logging
from typing import Any

import waitress

from rcpyramid.config import Settings, SettingsError, where

log = logging.getLogger(__name__)


def start_builtin_simulator(settings: Settings) -> Any:
    """Start the built-in simulator in this process; return the running server."""
    from rcpyramid.simulator import RegisteredClient, Simulator, SimulatorConfig, serve_in_thread
    from rcpyramid.simulator.config import parse_rate_limits

    ringcentral, sim = settings.ringcentral, settings.simulator
    try:
        rate_limits = parse_rate_limits(sim.rate_limits)
    except ValueError as error:
        raise SettingsError(f"{where('rcpyramid.simulator.rate_limits')}: {error}") from error
    client = RegisteredClient(
        client_id=ringcentral.client_id,
        client_secret=ringcentral.client_secret,
        redirect_uris=(ringcentral.redirect_url,),
    )
    simulator = Simulator(
        SimulatorConfig(clients=(client,), state_file=sim.state_file, rate_limits=rate_limits)
    )
    running = serve_in_thread(simulator.wsgi_app(), host=sim.host, port=sim.port)
    log.info("built-in RingCentral simulator listening on %s", running.url)
    return running


def run(wsgi_app: Any, global_conf: dict[str, Any], **kw: Any) -> None:
    """A ``paste.server_runner``: takes waitress's own settings from ``[server:main]``.

    Without ``listen`` or ``port`` there, the app's ``rcpyramid.http_port`` decides the
    port, so that one setting moves the port and the default redirect URI together.
    """
    registry = wsgi_app.registry
    settings: Settings = registry.app_settings
    if "listen" not in kw and "port" not in kw:
        kw["listen"] = f"{kw.pop('host', 'localhost')}:{settings.app.http_port}"
    # The token backend's own check (the SQL one refuses a pool smaller than twice the threads).
    registry.check_server_threads(int(kw.get("threads", 4)))
    simulator = None
    if settings.ringcentral.builtin_simulator:
        simulator = start_builtin_simulator(settings)
    else:
        log.info(
            "using RingCentral at %s; the built-in simulator is not started",
            settings.ringcentral.server_url,
        )
    try:
        waitress.serve(wsgi_app, **kw)
    finally:
        if simulator is not None:
            simulator.stop()
