"""``python -m tests.hosts.forward HOST:PORT=HOST:PORT ...``: TCP forwarding for the hosts test.

A host in its own network namespace reaches PostgreSQL, Redis and the simulator (which
listen on the machine's loopback) through two of these: one in the machine's namespace
on the bridge address, one in the host's namespace on its own loopback, so the app
keeps its loopback addresses (and its rule that plain http goes only to loopback).
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    for end in (source, sink):
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)


def _serve(listen: tuple[str, int], target: tuple[str, int]) -> None:
    listener = socket.create_server(listen, reuse_port=False)
    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection(target, timeout=5)
        except OSError:
            client.close()
            continue
        upstream.settimeout(None)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


def main(pairs: list[str]) -> None:
    for pair in pairs:
        listen, _, target = pair.partition("=")
        threading.Thread(
            target=_serve, args=(_address(listen), _address(target)), daemon=True
        ).start()
    print("forwarding", " ".join(pairs), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1:])
