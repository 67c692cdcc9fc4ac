"""The serving tier, on waitress and on gunicorn's workers: slow or hostile clients hold no thread.

Each test runs against waitress with ``development.ini``'s and ``production.ini``'s
``[server:main]`` keys, and against ``pserve bench.ini`` (two gunicorn workers reading
the same keys, rcpyramid.gate) as people start it. The figures come from the attacks
that found these (issue 19, M1): 110 half-open connections; 32 connections dripping
their headers or their body (the waitress run's figure: with only 8 on two workers of
4 threads, whether every thread is taken would depend on how the kernel spreads them).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from tests.serving import PATIENCE, connect, status_of

#: The figure from the attack that found this: 110 half-open connections.
HALF_OPEN = 110
#: Connections dripping their headers or their body.
SLOW = 32


#: A request that starts its headers and never finishes them (a half-open connection).
HEADERS_BEGUN = b"GET / HTTP/1.1\r\nHost: localhost:5000\r\n"
#: A request whose body starts and never finishes.
BODY_BEGUN = (
    b"POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n\r\na"
)


@contextmanager
def holding(url: str, count: int, start: bytes) -> Iterator[list[socket.socket]]:
    """``count`` connections that sent ``start`` and hold on; all closed afterwards."""
    held: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = connect(url)
            held.append(sock)
            sock.sendall(start)
        yield held
    finally:
        for sock in held:
            sock.close()


def healthz(url: str) -> int:
    return requests.get(f"{url}/healthz", timeout=PATIENCE).status_code


def test_healthz_answers_while_110_connections_hang_half_open(served) -> None:
    url, _ = served
    with holding(url, HALF_OPEN, HEADERS_BEGUN):
        assert healthz(url) == 200


def test_healthz_answers_while_connections_drip_their_headers(served) -> None:
    """Slowloris: each round, every connection sends one more byte of its headers."""
    url, _ = served
    with holding(url, SLOW, HEADERS_BEGUN) as held:
        for byte in b"X-Slow: 1":
            for sock in held:
                sock.sendall(bytes([byte]))
            assert healthz(url) == 200


def test_healthz_answers_while_connections_drip_their_bodies(served) -> None:
    url, _ = served
    with holding(url, SLOW, BODY_BEGUN) as held:
        for _ in range(8):
            for sock in held:
                sock.sendall(b"a")
            assert healthz(url) == 200


def test_a_half_open_connection_is_closed_by_the_server(served) -> None:
    url, keys = served
    with holding(url, 1, HEADERS_BEGUN) as (sock,):
        # The server's own bound, plus generous slack for a loaded machine.
        limit = float(keys["channel_timeout"]) + float(keys["cleanup_interval"]) + 30
        deadline = time.monotonic() + limit
        closed = False
        while time.monotonic() < deadline and not closed:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                closed = sock.recv(65536) == b""
            except TimeoutError:
                break
            except OSError:
                closed = True
        assert closed, f"the half-open connection was still open after {limit:g} s"


def test_an_oversized_body_is_refused_before_the_app(served) -> None:
    url, keys = served
    too_big = b"x" * (int(keys["max_request_body_size"]) + 1)
    answer = requests.post(
        f"{url}/login",
        data=too_big,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=PATIENCE,
    )
    assert answer.status_code == 413


def test_an_oversized_body_is_refused_before_it_is_read(served) -> None:
    """200 MB announced, 1 KB sent: the 413 comes without waiting for the rest."""
    url, _ = served
    with connect(url) as sock:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 200000000\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n" + b"x" * 1024
        )
        assert status_of(sock) == 413


def test_an_absurd_content_length_is_refused_at_once(served) -> None:
    url, _ = served
    with connect(url) as sock:
        sock.sendall(
            b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999999999999\r\n\r\n"
        )
        assert status_of(sock) == 413


@pytest.mark.parametrize("length", [b"-1", b"1e3", b"0x10", b"+5", b"5, 5"])
def test_a_content_length_that_is_not_a_number_is_a_400(served: Any, length: bytes) -> None:
    url, _ = served
    with connect(url) as sock:
        sock.sendall(
            b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + length + b"\r\n\r\n"
        )
        assert status_of(sock) == 400


def test_a_chunked_body_is_refused_once_it_outgrows_the_bound(served) -> None:
    """The 413 comes while the body is still open (its last chunk never sent)."""
    url, keys = served
    bound = int(keys["max_request_body_size"])
    piece = b"x" * 65536
    with connect(url) as sock:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
        )
        for _ in range(bound // len(piece) - 1):
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        # The chunk that crosses the bound, sent whole before the answer is read.
        last = piece + b"y" * 4096
        sock.sendall(b"%x\r\n%s\r\n" % (len(last), last))
        assert status_of(sock) == 413


def test_headers_over_the_bound_in_total_are_refused(served) -> None:
    """Each field is small; together they are over max_request_header_size."""
    url, keys = served
    size = 4000
    count = int(keys["max_request_header_size"]) // size + 1
    fields = b"".join(b"X-Field-%d: %s\r\n" % (n, b"a" * size) for n in range(count))
    with connect(url) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n" + fields + b"\r\n")
        assert status_of(sock) in (400, 431)
