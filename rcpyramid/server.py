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

from rcpyramid.config import AppSettings

log = logging.getLogger(__name__)


def start_builtin_simulator(settings: AppSettings) -> Any:
    """Start the built-in simulator in this process; return the running server."""
    from rcpyramid.simulator import RegisteredClient, Simulator, SimulatorConfig, serve_in_thread

    client = RegisteredClient(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        redirect_uris=(settings.redirect_url,),
    )
    simulator = Simulator(
        SimulatorConfig(
            clients=(client,),
            state_file=settings.simulator_state_file,
            rate_limits=settings.simulator_rate_limits,
        )
    )
    running = serve_in_thread(
        simulator.wsgi_app(), host=settings.simulator_host, port=settings.simulator_port
    )
    log.info("built-in RingCentral simulator listening on %s", running.url)
    return running


def run(wsgi_app: Any, global_conf: dict[str, Any], **kw: Any) -> None:
    """A ``paste.server_runner``: takes waitress's own settings from ``[server:main]``.

    Without ``listen`` or ``port`` there, the app's ``rcpyramid.http_port`` decides the
    port, so that one setting moves the port and the default redirect URI together.
    """
    settings: AppSettings | None = getattr(
        getattr(wsgi_app, "registry", None), "app_settings", None
    )
    if settings is not None and "listen" not in kw and "port" not in kw:
        kw["listen"] = f"{kw.pop('host', 'localhost')}:{settings.http_port}"
    # The SQL token backend refuses a connection pool smaller than twice the threads.
    check_threads = getattr(
        getattr(getattr(wsgi_app, "registry", None), "token_repository", None),
        "check_threads",
        None,
    )
    if check_threads is not None:
        check_threads(int(kw.get("threads", 4)))
    simulator = None
    if settings is not None and settings.builtin_simulator:
        simulator = start_builtin_simulator(settings)
    else:
        log.info(
            "using RingCentral at %s; the built-in simulator is not started",
            settings.server_url if settings else "(unknown)",
        )
    try:
        waitress.serve(wsgi_app, **kw)
    finally:
        if simulator is not None:
            simulator.stop()
