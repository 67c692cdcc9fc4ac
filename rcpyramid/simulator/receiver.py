"""A webhook receiver for tests: answers RingCentral's handshake and records deliveries.

Not an app's receiver: a stand-in that shows what the simulator sends, so a test can
assert on it, and that can refuse the handshake or fail deliveries on demand.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One POST the receiver got: its headers (lower-case names) and its JSON body."""

    path: str
    headers: dict[str, str]
    body: Any  # None for the handshake's empty body


class WebhookReceiver:
    """An HTTP endpoint on loopback (a free port) in a thread of its own.

    Switches, changeable at any time: `echo_token` (False = answer the handshake without
    echoing Validation-Token), `handshake_status`, `handshake_body` (bytes to answer the
    handshake with: RingCentral allows 1024 bytes in all), `status` (the answer to
    deliveries).
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.echo_token = True
        self.handshake_status = 200
        self.handshake_body = b""
        self.status = 200
        self._open = threading.Event()  # cleared by pause(): deliveries wait at the door
        self._open.set()
        self._lock = threading.Condition()
        self._handshakes: list[Received] = []
        self._deliveries: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                token = headers.get("validation-token")
                answer = b""
                if token is not None and not raw:
                    receiver._record(receiver._handshakes, Received(self.path, headers, None))
                    self.send_response(receiver.handshake_status)
                    if receiver.echo_token:
                        self.send_header("Validation-Token", token)
                    answer = receiver.handshake_body
                else:
                    receiver._open.wait(timeout=30)
                    body = json.loads(raw) if raw else None
                    receiver._record(receiver._deliveries, Received(self.path, headers, body))
                    self.send_response(receiver.status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: tests read what was received instead

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        port = self._server.server_address[1]
        self.url = f"http://{host}:{port}/webhook"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"webhook-receiver-{port}", daemon=True
        )
        self._thread.start()

    def _record(self, into: list[Received], item: Received) -> None:
        with self._lock:
            into.append(item)
            self._lock.notify_all()

    @property
    def handshakes(self) -> list[Received]:
        """Validation requests received so far."""
        with self._lock:
            return list(self._handshakes)

    @property
    def deliveries(self) -> list[Received]:
        """Notifications received so far, in arrival order."""
        with self._lock:
            return list(self._deliveries)

    def wait_for(
        self, predicate: Callable[[list[Received]], bool], timeout: float = 10.0
    ) -> list[Received]:
        """Block until `predicate(deliveries)` holds; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate(self._deliveries):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"deliveries did not arrive in {timeout} s; got {len(self._deliveries)}"
                    )
                self._lock.wait(left)
            return list(self._deliveries)

    def wait_for_count(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until at least `count` deliveries arrived."""
        return self.wait_for(lambda got: len(got) >= count, timeout)

    def pause(self) -> None:
        """Hold every delivery unanswered (up to 30 s) until `resume`: a stuck receiver."""
        self._open.clear()

    def resume(self) -> None:
        """Answer the held deliveries and those that follow."""
        self._open.set()

    def clear(self) -> None:
        """Forget what was received."""
        with self._lock:
            self._handshakes.clear()
            self._deliveries.clear()

    def stop(self) -> None:
        """Stop listening."""
        self._open.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
