"""waitress with the serving-tier settings a test asks for, on a free port and its own thread."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from waitress.server import create_server

from rcpyramid.simulator import serve_in_thread
from rcpyramid.simulator.server import RunningServer

W = TypeVar("W", bound=Callable[..., Any])


def upstream_at(fake: W) -> Iterator[tuple[W, str]]:
    """For a fixture (``yield from``): a fake RingCentral served on loopback, and its URL."""
    running = serve_in_thread(fake, host="127.0.0.1", port=0)
    yield fake, running.url
    running.stop()


def serve(wsgi_app: Callable, **waitress_settings: Any) -> RunningServer:
    """Like ``serve_in_thread``, but passing waitress's own settings (proxy trust, limits)."""
    sockmap: dict = {}
    server = create_server(wsgi_app, map=sockmap, listen="127.0.0.1:0", **waitress_settings)
    thread = threading.Thread(target=server.run, name="waitress-test", daemon=True)
    thread.start()
    port = int(server.effective_port)
    return RunningServer(
        url=f"http://127.0.0.1:{port}", port=port, _server=server, _map=sockmap, _thread=thread
    )


#: A test client's own patience: an answer must come well before it gives up.
PATIENCE = 30


def connect(url: str) -> socket.socket:
    """A raw connection to ``url`` (``http://host:port``), reads timing out after PATIENCE."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=PATIENCE)


def answers(sock: socket.socket, count: int = 1) -> list[tuple[int, bytes]]:
    """The next ``count`` answers on ``sock`` (status, head and body), read as sent.

    1xx answers are counted too. Fails the test when none comes within PATIENCE s.
    """
    received, found = b"", []
    try:
        while len(found) < count:
            end = received.find(b"\r\n\r\n")
            if end < 0:
                data = sock.recv(65536)
                if not data:
                    break
                received += data
                continue
            head, rest = received[:end], received[end + 4 :]
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            size = int(length.group(1)) if length else 0
            while len(rest) < size:
                data = sock.recv(65536)
                if not data:
                    break
                rest += data
            found.append((int(head.split(b" ", 2)[1]), head + b"\r\n\r\n" + rest[:size]))
            received = rest[size:]
    except TimeoutError:
        pytest.fail(f"no answer within {PATIENCE} s (the client's own timeout)")
    assert found, f"the connection closed without an answer: {received[:200]!r}"
    return found


def status_of(sock: socket.socket) -> int:
    """The status of the next answer on ``sock``."""
    return answers(sock)[0][0]
