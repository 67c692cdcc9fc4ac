"""The server runner the ini files name: waitress, or gunicorn's workers, plus the simulator.

``pserve development.ini`` calls :func:`run` with the app. When the app is configured
for the built-in simulator (``ringcentral.server_url = simulator``), the simulator is
started first on its own listener and thread pool, so the app reaches it over real
HTTP and can never deadlock waiting for one of its own threads. When any other
RingCentral server is configured, no simulator starts.

With ``rcpyramid.workers`` above 1, the same ``[server:main]`` keys drive gunicorn
(threaded workers, :mod:`rcpyramid.prefork`) instead of waitress. The app is built once
in the master and forked; each worker then runs the after-fork hooks (its own database
connections, HTTP pool and Redis connections), and the simulator runs as a process of
its own, so the master holds no thread and no socket a worker could share by accident.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import waitress

from rcpyramid.config import Settings, SettingsError, where
from rcpyramid.ops import prometheus
from rcpyramid.prefork import PROXY_KEYS, proxied, refuse_if_taken, serve_prefork
from rcpyramid.services import after_fork
from rcpyramid.simulator import RegisteredClient, Simulator, SimulatorConfig, serve_in_thread
from rcpyramid.simulator.config import parse_rate_limits

log = logging.getLogger(__name__)


def start_builtin_simulator(settings: Settings) -> Any:
    """Start the built-in simulator in this process; return the running server."""
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
        SimulatorConfig(
            clients=(client,),
            state_file=sim.state_file,
            rate_limits=rate_limits,
            office_interval=sim.office or None,
            # Its records appear as late as the app expects (rcpyramid.history.record_delay).
            record_delay=settings.history.record_delay,
        )
    )
    running = serve_in_thread(simulator.wsgi_app(), host=sim.host, port=sim.port)
    log.info("built-in RingCentral simulator listening on %s", running.url)
    return running


def start_simulator_process(settings: Settings) -> subprocess.Popen[bytes]:
    """The built-in simulator as a child process (the prefork master starts no thread)."""
    ringcentral, sim = settings.ringcentral, settings.simulator
    client = f"{ringcentral.client_id}:{ringcentral.client_secret}:{ringcentral.redirect_url}"
    args = [
        sys.executable,
        "-m",
        "rcpyramid.simulator.cli",
        f"--host={sim.host}",
        f"--port={sim.port}",
        f"--client={client}",
        f"--state-file={sim.state_file}",
        f"--rate-limits={sim.rate_limits}",
        *([f"--office={sim.office}"] if sim.office else []),
        f"--record-delay={settings.history.record_delay}",
    ]
    process = subprocess.Popen(args)  # noqa: S603 - our own interpreter and module
    log.info(
        "built-in RingCentral simulator starting on %s:%s (pid %s)", sim.host, sim.port, process.pid
    )
    return process


def metrics_dir(settings: Settings) -> Path | None:
    """Where gunicorn's workers keep their metrics: PROMETHEUS_MULTIPROC_DIR, else var_dir's."""
    if not settings.ops.metrics:
        return None
    given = os.environ.get(prometheus.MULTIPROC_ENV)
    return Path(given) if given else settings.app.var_dir / "prometheus"


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
    workers = settings.cache.workers
    try:
        # Before anything starts: a second `pserve` gets one sentence, not a traceback.
        if settings.ringcentral.builtin_simulator:
            sim = settings.simulator
            refuse_if_taken([f"{sim.host}:{sim.port}"], where("rcpyramid.simulator.port"))
        if workers == 1 and "listen" in kw:
            refuse_if_taken(str(kw["listen"]).split())
    except SettingsError as error:
        raise SystemExit(f"rcpyramid: {error}") from None
    if not settings.ringcentral.builtin_simulator:
        log.info(
            "using RingCentral at %s; the built-in simulator is not started",
            settings.ringcentral.server_url,
        )
    if workers > 1:
        process = (
            start_simulator_process(settings) if settings.ringcentral.builtin_simulator else None
        )
        try:
            serve_prefork(
                # Nothing the master opened may be shared by its workers: each component
                # said what it reopens (config.add_after_fork).
                wsgi_app,
                kw,
                workers,
                settings.cache.lock_timeout + 5,
                lambda: after_fork(registry),
                metrics_dir(settings),
            )
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
        return
    simulator = (
        start_builtin_simulator(settings) if settings.ringcentral.builtin_simulator else None
    )
    start_history_worker(registry)
    try:
        # The proxy keys applied here as under gunicorn (the request id needs the peer).
        waitress.serve(
            proxied(wsgi_app, kw), **{k: v for k, v in kw.items() if k not in PROXY_KEYS}
        )
    finally:
        if simulator is not None:
            simulator.stop()


def start_history_worker(registry: Any) -> None:
    """The live history's background thread (rcpyramid.livehistory.worker), if configured.

    Started by the server, never by building the app: a prefork master starts none
    (threads do not survive a fork); each gunicorn worker starts its own through the
    after-fork hook the live history adds.
    """
    live = getattr(registry, "live_history", None)
    if live is not None and registry.app_settings.history.worker:
        live.worker.start()
