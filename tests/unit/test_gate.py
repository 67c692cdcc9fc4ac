"""The gate of gunicorn's workers (rcpyramid.gate): what it reads, keeps and hands on.

Its effect on a served app (slow clients, oversized bodies, pipelining, 100-continue)
is tested against ``pserve bench.ini`` in tests/security/test_serving_*.py.
"""

from __future__ import annotations

import logging
import math
import selectors
import socket
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from gunicorn.config import Config
from gunicorn.http.errors import NoMoreData
from waitress.adjustments import Adjustments

from rcpyramid.gate import Gate, GatedConn, GatedThreadWorker, SpooledUnreader, bodiless

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


@pytest.mark.parametrize(
    ("data", "whole"),
    [
        (GET, True),
        (b"HEAD / HTTP/1.0\r\n\r\n", True),
        (GET[:-2], False),  # the head has not ended
        (GET + GET, False),  # pipelined: the parser splits them
        (b"\r\n" + GET, False),  # a blank line first
        (post(b""), False),
        (GET.replace(b"Host", b"CONTENT-LENGTH: 0\r\nHost"), False),
        (GET.replace(b"Host", b"Transfer-Encoding: chunked\r\nHost"), False),
        (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 600 + b"\r\n\r\n", False),  # for the 431
    ],
)
def test_only_a_whole_request_without_a_body_skips_the_parser(data: bytes, whole: bool) -> None:
    assert bodiless(data, BOUNDS.max_request_header_size) is whole


def test_what_skips_the_parser_is_what_the_parser_would_read_as_one_request() -> None:
    """The two read the same: waitress's parser finds no body and nothing left over."""
    for data in (GET, b"HEAD / HTTP/1.0\r\n\r\n", b"GET /a?content_length HTTP/1.1\r\n\r\n"):
        gate = Gate(BOUNDS)
        assert gate.feed(data) == b""
        assert gate.parser is not None
        assert gate.parser.completed
        assert gate.parser.error is None
        assert kept(gate) == data
        gate.close()


def spooled(server: socket.socket, body: bytes) -> SpooledUnreader:
    """The thread's reader of ``server``, a POST of ``body`` already spooled by the gate."""
    gate = Gate(BOUNDS)
    gate.feed(post(body))
    gate.raw.seek(0)
    unreader = SpooledUnreader(server)
    unreader.spool = gate.raw
    return unreader


def test_the_thread_reads_the_request_from_the_gate_then_nothing_past_its_deadline() -> None:
    server, client = socket.socketpair()
    with server, client:
        unreader = spooled(server, b"a=1")
        unreader.deadline = -math.inf
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
        unreader = spooled(server, b"a=1")
        head = unreader.read(10)
        assert head + unreader.rest() == post(b"a=1")
        assert unreader.rest() == b""


class Done:
    """A finished thread's future (gthread keeps the connection when it returns True)."""

    def __init__(self, keep: bool) -> None:
        self.keep = keep

    def cancelled(self) -> bool:
        return False

    def result(self) -> bool:
        return self.keep


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[GatedThreadWorker]:
    """The worker's event-loop side alone (no process; no thread takes a request)."""
    worker = GatedThreadWorker.__new__(GatedThreadWorker)
    monkeypatch.setattr(worker, "enqueue_req", lambda conn: None)
    worker.log = logging.getLogger("tests.gate")
    worker.adjustments = BOUNDS
    worker.pending_conns = deque()
    worker.poller = selectors.DefaultSelector()
    worker.nr_conns = 0
    worker.alive = True
    yield worker
    worker.poller.close()


@contextmanager
def waiting(worker: GatedThreadWorker) -> Iterator[tuple[GatedConn, socket.socket]]:
    """A connection the worker's event loop waits on, and the client's end of it."""
    server, client = socket.socketpair()
    with server, client:
        conn = GatedConn(Config(), server, ("127.0.0.1", 1), ("127.0.0.1", 2))
        worker.nr_conns += 1
        worker.wait_for_request(conn, b"")
        yield conn, client


def test_a_parser_that_raises_is_a_400_not_the_end_of_the_worker(
    worker: GatedThreadWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    with waiting(worker) as (conn, client):

        def broken(self: Gate, data: bytes) -> bytes:
            raise ValueError("a parser bug")

        monkeypatch.setattr(Gate, "feed", broken)
        worker.take(conn, b"GET / HTTP/1.1\r\nHost: l")  # not whole: for the parser
        client.settimeout(5)
        assert client.recv(100).startswith(b"HTTP/1.1 400 Bad Request")
        assert client.recv(1000).endswith(b"(generated by rcpyramid)")
        worker.drop(conn)
        assert worker.nr_conns == 0


def thread_starts(conn: GatedConn) -> SpooledUnreader:
    """What the worker's thread does first with a handed-over connection: read the spool."""
    conn.init()
    assert conn.unreader is not None
    conn.unreader.spool = conn.spool
    return conn.unreader


def test_a_request_the_thread_read_differently_closes_its_connection(
    worker: GatedThreadWorker,
) -> None:
    """The two parsers disagreed on where it ends: the next request's start is unknown."""
    with waiting(worker) as (conn, client):
        worker.take(conn, post(b"a=1"))
        assert not worker.pending_conns  # handed to a thread (none here)
        thread_starts(conn).read(10)  # the thread's parser stopped early
        worker.finish_request(conn, Done(keep=True))
        assert worker.nr_conns == 0
        assert not worker.pending_conns
        client.settimeout(5)
        assert client.recv(10) == b""


def test_a_whole_request_without_a_body_goes_to_a_thread_as_it_came(
    worker: GatedThreadWorker,
) -> None:
    with waiting(worker) as (conn, _):
        worker.take(conn, GET)
        assert not worker.pending_conns  # handed to a thread (none here)
        assert conn.gate is None
        assert thread_starts(conn).read() == GET
        worker.finish_request(conn, Done(keep=True))
        assert list(worker.pending_conns) == [conn]
        assert conn.gate is not None
        assert conn.gate.parser is None  # the next request starts with nothing made
        worker.drop(conn)


def test_a_kept_alive_connection_waits_for_its_next_request_in_the_event_loop(
    worker: GatedThreadWorker,
) -> None:
    with waiting(worker) as (conn, _):
        worker.take(conn, post(b"a=1") + b"GET /hea")
        assert thread_starts(conn).read(len(post(b"a=1"))) == post(b"a=1")
        worker.finish_request(conn, Done(keep=True))
        assert list(worker.pending_conns) == [conn]
        assert conn.gate is not None
        assert kept(conn.gate) == b"GET /hea"
        worker.drop(conn)
