"""A TCP relay (to Redis or PostgreSQL) a test can stall (bytes held), slow or cut (dropped)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class Relay:
    """Forwards TCP connections to ``target``; ``stall()``, ``cut()`` and ``restore()``."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.flowing = threading.Event()
        self.flowing.set()
        #: Seconds each chunk of bytes waits before it is passed on (a slow network).
        self.delay = 0.0
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                # Stalled: the bytes wait here, as behind a hung server or a lost route.
                self.flowing.wait()
                if not self.open:
                    break
                if self.delay:
                    time.sleep(self.delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def stall(self) -> None:
        self.flowing.clear()

    def slow(self, seconds: float) -> None:
        """Each chunk of bytes, either way, waits ``seconds`` (0: full speed again)."""
        self.delay = seconds

    def cut(self) -> None:
        self.open = False
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()
        self.flowing.set()

    def restore(self) -> None:
        self.cut()  # connections held through a stall are dropped, as a restart would
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()
