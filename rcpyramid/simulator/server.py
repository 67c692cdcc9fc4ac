"""Serve a WSGI app with waitress on a background thread (tests, the CLI, the app's dev mode)."""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass, field
from typing import Any
from wsgiref.types import WSGIApplication

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.trigger import trigger

log = logging.getLogger(__name__)


@dataclass
class RunningServer:
    """A server listening on a daemon thread."""

    url: str  # no trailing slash
    port: int
    _server: Any = field(repr=False, default=None)
    _map: dict[int, Any] = field(repr=False, default_factory=dict)
    _thread: threading.Thread | None = field(repr=False, default=None)
    _stopped: bool = field(repr=False, default=False)

    def stop(self) -> None:
        """Close the listening sockets and connections, then stop the worker threads."""
        if self._stopped:
            return
        self._stopped = True
        triggers = [d for d in list(self._map.values()) if isinstance(d, trigger)]
        pulled = False
        if triggers and self._thread is not None and self._thread.is_alive():
            # Closing asyncore channels from another thread races the loop; run it there.
            try:
                # typeshed gives the thunk a parameter; waitress calls it with none.
                triggers[0].pull_trigger(lambda: _close_all(self._map))  # type: ignore[arg-type,misc]
                pulled = True
            except OSError:
                # The loop already closed its trigger on its way out: nothing left to race.
                pulled = False
            if pulled:
                self._thread.join(timeout=5)
        if not pulled:
            _close_all(self._map)
        self._server.task_dispatcher.shutdown(timeout=5)


def _close_all(sockmap: dict[int, Any]) -> None:
    # A channel's close() leaves its output buffers (temporary files once an answer is
    # large) to the garbage collector; handle_close closes them and makes a task still
    # writing into the channel stop (ClientDisconnected) instead of filling new ones.
    for channel in list(sockmap.values()):
        if isinstance(channel, HTTPChannel):
            channel.handle_close()
    wasyncore.close_all(sockmap)


def _ipv6_loopback_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def _port_free_on_all(hosts: list[str]) -> int:
    """A port that is free on every host (port 0 alone would give each its own)."""
    for _ in range(50):
        socks = []
        try:
            first = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(first)
            first.bind((hosts[0], 0))
            port = first.getsockname()[1]
            for host in hosts[1:]:
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                other = socket.socket(family, socket.SOCK_STREAM)
                socks.append(other)
                other.bind((host, port))
            return int(port)
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise OSError("no port is free on all of " + ", ".join(hosts))


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def serve_in_thread(
    wsgi_app: WSGIApplication, host: str = "127.0.0.1", port: int = 0, threads: int = 8
) -> RunningServer:
    """Start waitress on its own socket map and thread pool; return once listening.

    Port 0 picks a free port. "localhost" listens on 127.0.0.1 and, when available, ::1
    on the same port, so browsers resolving either address reach it.
    """
    if host == "localhost":
        hosts = ["127.0.0.1"] + (["::1"] if _ipv6_loopback_available() else [])
    else:
        hosts = [host.strip("[]")]
    attempts = 5 if port == 0 and len(hosts) > 1 else 1
    for attempt in range(attempts):
        chosen = _port_free_on_all(hosts) if port == 0 and len(hosts) > 1 else port
        listen = " ".join(_hostport(h, chosen) for h in hosts)
        sockmap: dict[int, Any] = {}
        try:
            server = create_server(
                wsgi_app, map=sockmap, listen=listen, threads=threads, ident="rcpyramid-simulator"
            )
            break
        except OSError:
            wasyncore.close_all(sockmap)
            if attempt == attempts - 1:
                raise
    effective = getattr(server, "effective_listen", None)
    # Both server kinds set these in __init__; typeshed's stubs do not declare them.
    actual_port = int(effective[0][1] if effective else server.effective_port)  # type: ignore[union-attr]
    thread = threading.Thread(target=server.run, name=f"waitress-{actual_port}", daemon=True)
    thread.start()
    url_host = host if host == "localhost" else hosts[0]
    url = "http://" + _hostport(url_host, actual_port)
    log.debug("serving on %s", url)
    return RunningServer(url=url, port=actual_port, _server=server, _map=sockmap, _thread=thread)
