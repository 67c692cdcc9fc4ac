"""Serving with gunicorn's threaded workers: ``[server:main]``'s waitress keys as its settings.

The app is built once in the master and forked (:func:`serve_prefork`); each worker then
runs the after-fork hooks every component added (:func:`rcpyramid.services.after_fork`).
"""

from __future__ import annotations

import gc
import logging
import shlex
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from waitress.adjustments import Adjustments
from waitress.proxy_headers import proxy_headers_middleware

from rcpyramid.config import SettingsError
from rcpyramid.ops import prometheus
from rcpyramid.ops.request_id import mark_trusted_peer

log = logging.getLogger(__name__)

#: The keys waitress's Adjustments accepts (its own private table: no public one exists).
_WAITRESS_KEYS = frozenset(Adjustments._param_map)  # type: ignore[attr-defined]  # noqa: SLF001


def gunicorn_options(kw: dict[str, Any], workers: int, timeout: float) -> dict[str, Any]:
    """``[server:main]``'s waitress keys as gunicorn settings (the same limits and timeouts)."""
    adjustments = Adjustments(**{k: v for k, v in kw.items() if k in _WAITRESS_KEYS})
    listen = kw.get("listen") or f"{kw.get('host', '127.0.0.1')}:{kw.get('port', 8080)}"
    bind = shlex.split(str(listen))
    options: dict[str, Any] = {
        "bind": bind,
        "workers": workers,
        # gthread, reading each request before a thread takes it, with waitress's
        # parser and bounds (rcpyramid.gate; the workers get `adjustments` from the app).
        "worker_class": "rcpyramid.gate.GatedThreadWorker",
        "threads": adjustments.threads,
        # waitress's connection_limit: connections a worker serves at once.
        "worker_connections": adjustments.connection_limit,
        # waitress's channel_timeout: how long a connection may take to send a request
        # (the gate closes it then; gthread's own keepalive is not used).
        "keepalive": adjustments.channel_timeout,
        "limit_request_field_size": adjustments.max_request_header_size,
        "limit_request_line": min(8190, adjustments.max_request_header_size),
        # Longer than the slowest refresh (lock wait, then connect and read twice), so
        # no worker is killed while it holds a token it just rotated.
        "timeout": int(timeout) + 1,
        "graceful_timeout": int(timeout) + 1,
        # The proxy headers are waitress's job below, for waitress and gunicorn alike.
        "forwarded_allow_ips": "",
        "secure_scheme_headers": {},
        "accesslog": None,
        "preload_app": True,
    }
    if hasattr(socket, "SO_REUSEPORT") and not any(b.startswith(("unix:", "fd:")) for b in bind):
        # Each worker listens on a socket of its own and the kernel spreads connections
        # over them. On one shared socket, whichever worker woke first took the next
        # connection: a few kept-alive clients could all land on one worker while the
        # others idled (half the throughput in the benchmark, at the same CPU per request).
        options["reuse_port"] = True
    return options


def refuse_if_taken(binds: list[str], setting: str = "[server:main]") -> None:
    """SettingsError, naming ``setting``, when something already listens on one of ``binds``.

    With ``reuse_port`` a second server on the same port would not fail to bind: it
    would share the port with the first, and a person would be served by either.
    """
    for bind in binds:
        host, _, port = bind.rpartition(":")
        host = host.strip("[]")
        if host in ("", "*"):
            host = "0.0.0.0"  # noqa: S104 - only to test the address
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, int(port)))
            except OSError as error:
                raise SettingsError(
                    f"{setting}: {bind} is in use ({error.strerror}); is another server "
                    "running there?"
                ) from error


#: The keys :func:`proxied` applies (waitress is not given them, or it would apply them twice).
PROXY_KEYS = frozenset(
    {
        "trusted_proxy",
        "trusted_proxy_count",
        "trusted_proxy_headers",
        "clear_untrusted_proxy_headers",
        "log_untrusted_proxy_headers",
    }
)


def proxied(wsgi_app: Any, kw: dict[str, Any]) -> Any:
    """production.ini's trusted-proxy keys, applied as waitress applies them.

    The peer is marked trusted first (rcpyramid.ops.request_id), while REMOTE_ADDR is
    still the proxy's: only then is the proxy's X-Request-ID believed.
    """
    adjustments = Adjustments(**{k: v for k, v in kw.items() if k in _WAITRESS_KEYS})
    if not adjustments.trusted_proxy:
        return proxy_headers_middleware(wsgi_app, clear_untrusted=True)
    return mark_trusted_peer(
        proxy_headers_middleware(
            wsgi_app,
            trusted_proxy=adjustments.trusted_proxy,
            # Adjustments leaves it None when unset; waitress's own default is one proxy.
            trusted_proxy_count=adjustments.trusted_proxy_count or 1,
            trusted_proxy_headers=adjustments.trusted_proxy_headers,
            clear_untrusted=adjustments.clear_untrusted_proxy_headers,
        ),
        adjustments.trusted_proxy,
    )


def freeze_heap() -> None:
    """Before a fork: keep the app's objects out of the workers' garbage collections.

    A worker's full collection writes into the header of every object it tracks; for
    the objects built in the master that copies each page they sit on into the worker,
    and the pages the workers shared become private (PSS grew by about 8 % over the
    first tens of thousands of requests). Frozen objects are never collected, so the
    garbage is collected first.
    """
    gc.collect()
    gc.freeze()


def serve_prefork(
    wsgi_app: Any,
    kw: dict[str, Any],
    workers: int,
    timeout: float,
    on_fork: Callable[[], None],
    metrics_dir: Path | None = None,
) -> None:
    """Serve ``wsgi_app`` with gunicorn's threaded workers (metrics: one file set each)."""
    # Here, not at the top: gunicorn runs on Unix only, and waitress serves alone elsewhere.
    from gunicorn.app.base import BaseApplication  # noqa: PLC0415

    options = gunicorn_options(kw, workers, timeout)
    if options.get("reuse_port"):
        # An exception, not SystemExit: pserve turns SystemExit into a success.
        refuse_if_taken(options["bind"])
    if metrics_dir is not None:
        prometheus.prepare_multiprocess(metrics_dir)
    application = proxied(wsgi_app, kw)

    class Prefork(BaseApplication):
        #: The serving bounds the workers' gate reads (rcpyramid.gate).
        adjustments = Adjustments(**{k: v for k, v in kw.items() if k in _WAITRESS_KEYS})

        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:
                # gunicorn 25+ opens a control socket at one path per user: two servers
                # (tests, a benchmark beside the app) would fight over it.
                self.cfg.set("control_socket_disable", True)
            if "http2_cleartext" in self.cfg.settings:
                # HTTP/1.1 only: the gate reads requests with waitress's HTTP/1 parser.
                self.cfg.set("http2_cleartext", "off")
                self.cfg.set("http_protocols", "h1")
            self.cfg.set("pre_fork", lambda server, worker: freeze_heap())
            self.cfg.set("post_fork", lambda server, worker: on_fork())
            self.cfg.set("child_exit", lambda server, worker: prometheus.worker_exited(worker.pid))

        def load(self) -> Any:
            return application

    log.info("serving with gunicorn: %s workers of %s threads", workers, options["threads"])
    Prefork().run()
