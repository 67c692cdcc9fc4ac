"""The gate of gunicorn's workers (rcpyramid.gate): what it reads, keeps and hands on.

Its effect on a served app (slow clients, oversized bodies, pipelining, 100-continue)
is tested against ``pserve bench.ini`` in tests/security/test_serving_*.py.
"""

from __future__ import annotations

import math
import socket

import pytest
from gunicorn.http.errors import NoMoreData
from waitress.adjustments import Adjustments

from rcpyramid.gate import Gate, SpooledUnreader

BOUNDS = Adjustments(max_request_body_size=1000, max_request_header_size=500)
GET = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"


def post(body: bytes) -> bytes:
    return b"POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )


def kept(gate: Gate) -> bytes:
    gate.raw.seek(0)
    return bytes(gate.raw.read())


def test_a_request_is_complete_with_its_body_and_what_follows_is_left_over() -> None:
    gate = Gate(BOUNDS)
    first = post(b"a=1")
    assert gate.feed(first[:10]) == b""
    assert not gate.parser.completed
    assert gate.feed(first[10:] + GET) == GET
    assert gate.parser.completed
    assert gate.parser.error is None
    assert kept(gate) == first
    gate.close()


def test_blank_lines_between_pipelined_requests_are_skipped() -> None:
    gate = Gate(BOUNDS)
    assert gate.feed(b"\r\n\r\n" + GET) == b""
    assert gate.parser.completed
    assert kept(gate) == GET
    gate.close()


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"POST /x HTTP/1.1\r\nHost: l\r\nContent-Length: 1000\r\n\r\n", 413),
        (b"POST /x HTTP/1.1\r\nHost: l\r\nContent-Length: 99999999999999999999\r\n\r\n", 413),
        (b"POST /x HTTP/1.1\r\nHost: l\r\nContent-Length: 1e3\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: l\r\nX-Big: " + b"a" * 600 + b"\r\n\r\n", 431),
        (b"POST /x HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n", 413),
    ],
)
def test_what_is_over_the_bounds_is_refused_before_a_body_is_read(
    request_bytes: bytes, status: int
) -> None:
    gate = Gate(BOUNDS)
    if status == 413 and b"chunked" in request_bytes:
        request_bytes += b"a" * 1000
    gate.feed(request_bytes)
    assert gate.parser.completed
    assert gate.parser.error is not None
    assert gate.parser.error.code == status
    gate.close()


def test_the_thread_reads_the_request_from_the_gate_then_nothing_past_its_deadline() -> None:
    server, client = socket.socketpair()
    with server, client:
        gate = Gate(BOUNDS)
        gate.feed(post(b"a=1"))
        gate.raw.seek(0)
        unreader = SpooledUnreader(server)
        unreader.spool, unreader.deadline = gate.raw, -math.inf
        assert unreader.read() == post(b"a=1")
        # The request's deadline has passed: a read of the socket ends at once.
        client.sendall(b"late")
        with pytest.raises(NoMoreData):
            unreader.read()
        assert server.gettimeout() is None
        assert unreader.rest() == b""


def test_what_the_thread_left_unread_is_given_back() -> None:
    server, client = socket.socketpair()
    with server, client:
        gate = Gate(BOUNDS)
        gate.feed(post(b"a=1"))
        gate.raw.seek(0)
        unreader = SpooledUnreader(server)
        unreader.spool = gate.raw
        head = unreader.read(10)
        assert head + unreader.rest() == post(b"a=1")
        assert unreader.rest() == b""
