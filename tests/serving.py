"""waitress with the serving-tier settings a test asks for, on a free port and its own thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from waitress.server import create_server

from rcpyramid.simulator.server import RunningServer


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
