"""gunicorn's threaded worker with waitress's serving bounds: a request is read before a thread.

gunicorn's ``gthread`` worker hands a connection to a thread as soon as its first byte
arrives, and the thread then reads the headers and the body in blocking mode with no
deadline: a few connections that drip their headers or their body hold every thread,
and a request body is read whole, however large. waitress reads each request in its
event loop and hands a thread only a complete one. :class:`GatedThreadWorker` does the
same in gunicorn's event loop, with waitress's own request parser and its settings
(``[server:main]``'s keys, :func:`rcpyramid.prefork.gunicorn_options`):

- a connection costs no thread until its whole request (headers and body) has arrived;
- the request must arrive within ``channel_timeout`` seconds of the moment the server is
  ready to read it (the connection's accept, or the answer before it on a kept-alive
  one), or the connection is closed: half-open, slowloris and slow-body connections hold
  a connection slot for that long, never a thread;
- headers over ``max_request_header_size`` are a 431; a body over
  ``max_request_body_size`` is a 413 when its Content-Length says so (before any of it
  is read) or, for a chunked body, as soon as it grows past the bound; a Content-Length
  that is not a number is a 400: waitress's own answers, from waitress's own parser;
- bodies are kept as waitress keeps them (in memory up to ``inbuf_overflow``, then in
  a temporary file), and a copy of the request's bytes (in memory up to 64 KiB) is what
  the thread's parser (gunicorn's) reads it from.
  Should it want more than waitress read, it may wait on the socket only until the same
  deadline; should it want less, the connection is closed rather than reused;
- the common case skips waitress's parser: a first read that is one whole request
  without a body (its head ends the read, within the header bound, and names neither
  Content-Length nor Transfer-Encoding, so no parser can find a body in it) goes to a
  thread as it is. Should those bytes be malformed, gunicorn's parser in the thread
  answers its own 400, as it does for anything waitress let through.

Plain HTTP/1.x only: the prefork runner configures neither TLS nor HTTP/2.

Longer than 300 lines because it is one mechanism: the worker's event-loop side, the
request it reads and the thread's reader of it must be read together to see that no
byte is lost or read twice.
"""

from __future__ import annotations

import io
import math
import selectors
import socket
import tempfile
import time
from functools import partial
from typing import Any

from gunicorn.http.errors import NoMoreData
from gunicorn.http.unreader import Unreader
from gunicorn.workers.gthread import TConn, ThreadWorker
from waitress.adjustments import Adjustments
from waitress.parser import HTTPRequestParser
from waitress.utilities import BadRequest

#: How long a refused connection is drained before it closes (a lingering close:
#: closing with unread bytes would reset the connection and could lose the answer).
LINGER = 2.0
#: One read from a connection in the event loop.
RECV = 65536
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
#: The request's own bytes kept in memory; past this, in a temporary file. waitress's
#: parser keeps the body too (up to inbuf_overflow in memory): with this small, a worker
#: full of connections sending large bodies holds hardly more than waitress would.
RAW_IN_MEMORY = 65536


class SpooledUnreader(Unreader):
    """gunicorn's unreader over a request read beforehand, then the socket until a deadline."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self.sock = sock
        self.spool: Any = None
        self.deadline = math.inf

    def chunk(self, size_hint: int | None = None) -> bytes:
        size = min(max(size_hint or 0, 8192), 1024 * 1024)
        if self.spool is not None:
            data: bytes = self.spool.read(size)
            if data:
                return data
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise NoMoreData()
        prior = self.sock.gettimeout()
        self.sock.settimeout(remaining if prior is None else min(prior, remaining))
        try:
            return self.sock.recv(size)
        except TimeoutError as error:
            raise NoMoreData() from error
        finally:
            self.sock.settimeout(prior)

    def rest(self) -> bytes:
        """What the thread's parser left unread of the request (nothing, when they agree)."""
        rest = self.take_buffered()
        if self.spool is not None:
            rest += self.spool.read()
            self.spool.close()
            self.spool = None
        return rest


def bodiless(data: bytes, header_bound: int) -> bool:
    """``data`` is one whole request without a body, and nothing after it.

    A head that names neither Content-Length nor Transfer-Encoding announces no body to
    any HTTP/1.1 parser (RFC 9112 section 6.3), so waitress's and gunicorn's agree on
    where it ends: at its first blank line, here the end of ``data``.
    """
    if len(data) > header_bound or not data[:1].isalpha():
        return False
    if data.find(b"\r\n\r\n") != len(data) - 4:
        return False
    head = data.lower()
    return b"content-length" not in head and b"transfer-encoding" not in head


class Gate:
    """A connection's next request, read in the event loop by waitress's parser.

    The parser and the copy are made by the first :meth:`feed`: a request the worker
    hands on without them (:func:`bodiless`) costs neither.
    """

    def __init__(self, adjustments: Adjustments) -> None:
        self.adjustments = adjustments
        self.parser: HTTPRequestParser | None = None
        self.raw: Any = None
        self.deadline = time.monotonic() + adjustments.channel_timeout
        self.sent_continue = False
        self.draining = False

    def feed(self, data: bytes) -> bytes:
        """Take ``data``; what is left over once the request is complete (pipelined bytes)."""
        if self.parser is None:
            self.parser = HTTPRequestParser(self.adjustments)
            # Closed by close(), or by the thread's unreader once the request is parsed.
            self.raw = tempfile.SpooledTemporaryFile(  # noqa: SIM115
                max_size=min(self.adjustments.inbuf_overflow, RAW_IN_MEMORY)
            )
        while data and not self.parser.completed:
            consumed = self.parser.received(data)
            self.raw.write(data[:consumed])
            data = data[consumed:]
            if self.parser.completed and self.parser.empty:
                # Blank lines between pipelined requests (RFC 9112 section 2.2): skip them.
                self.parser = HTTPRequestParser(self.adjustments)
                self.raw.seek(0)
                self.raw.truncate()
        return data

    def close(self) -> None:
        if self.parser is not None:
            self.parser.close()
            self.raw.close()


class GatedConn(TConn):
    """gunicorn's connection, whose parser reads from what the gate read."""

    #: The request being read in the event loop.
    gate: Gate | None = None
    #: The request read, for the thread: its copy and its deadline.
    spool: Any = None
    deadline = math.inf
    #: Bytes the client sent after the request (pipelined).
    leftover = b""
    #: The parser's unreader (set by init(): the parser is made in the thread).
    unreader: SpooledUnreader | None = None

    def deadline_passed(self, now: float) -> bool:
        return self.timeout is not None and self.timeout <= now

    def init(self) -> None:
        super().init()
        if self.unreader is None:
            parser: Any = self.parser
            self.unreader = parser.unreader = SpooledUnreader(self.sock)


def gated(conn: TConn) -> GatedConn:
    assert isinstance(conn, GatedConn)
    return conn


class GatedThreadWorker(ThreadWorker):
    """``gthread`` whose threads are handed complete requests only (module docstring)."""

    def init_process(self) -> None:
        if self.cfg.is_ssl:
            raise RuntimeError("the gated worker serves plain HTTP only")
        given = getattr(self.app, "adjustments", None)
        self.adjustments = given if isinstance(given, Adjustments) else Adjustments()
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        try:
            client, address = listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        self.nr_conns += 1
        conn = GatedConn(self.cfg, client, address, listener.getsockname())
        self.wait_for_request(conn, b"")

    def wait_for_request(self, conn: GatedConn, already: bytes) -> None:
        """Read ``conn``'s next request in the event loop (``already``: bytes it sent ahead)."""
        conn.sock.setblocking(False)
        conn.gate = Gate(self.adjustments)
        conn.timeout = conn.gate.deadline
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_readable, conn))
        if already:
            self.take(conn, already)

    def on_readable(self, conn: GatedConn, _sock: Any) -> None:
        try:
            data = conn.sock.recv(RECV)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.drop(conn)
        elif conn.gate is not None and conn.gate.draining:
            return
        else:
            self.take(conn, data)

    def take(self, conn: GatedConn, data: bytes) -> None:
        gate = conn.gate
        assert gate is not None
        if gate.parser is None and bodiless(data, self.adjustments.max_request_header_size):
            # Most requests: whole in their first read, nothing for waitress's parser to do.
            self.hand_over(conn, io.BytesIO(data), b"")
            return
        try:
            leftover = gate.feed(data)
        except Exception:
            # Raised in the event loop it would end the worker and all its connections.
            self.log.exception("Error reading a request")
            self.refuse(conn, BadRequest("unreadable request"))
            return
        parser = gate.parser
        assert parser is not None
        if parser.completed and parser.error is not None:
            self.refuse(conn, parser.error)
        elif parser.completed:
            parser.close()
            gate.raw.seek(0)
            self.hand_over(conn, gate.raw, leftover)
        elif parser.expect_continue and parser.headers_finished and not gate.sent_continue:
            # The client waits for this before it sends the body (waitress sends it too).
            gate.sent_continue = True
            try:
                conn.sock.send(CONTINUE)
            except OSError:
                self.drop(conn)

    def refuse(self, conn: GatedConn, error: Any) -> None:
        """waitress's answer for ``error`` (400, 413, 431, 501), then a lingering close."""
        status, headers, body = error.to_response("rcpyramid")
        head = "".join(f"{name}: {value}\r\n" for name, value in headers)
        answer = (
            f"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {len(body)}\r\n{head}\r\n"
        ).encode("latin-1") + body
        gate = conn.gate
        assert gate is not None
        gate.draining = True
        conn.timeout = min(gate.deadline, time.monotonic() + LINGER)
        try:
            conn.sock.send(answer)
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.drop(conn)

    def unwait(self, conn: GatedConn) -> None:
        self.pending_conns.remove(conn)
        self.poller.unregister(conn.sock)

    def drop(self, conn: GatedConn) -> None:
        self.unwait(conn)
        if conn.gate is not None:
            conn.gate.close()
            conn.gate = None
        self.nr_conns -= 1
        conn.close()

    def hand_over(self, conn: GatedConn, spool: Any, leftover: bytes) -> None:
        """A complete request: to a thread, which parses it from ``spool`` (its bytes)."""
        self.unwait(conn)
        gate = conn.gate
        assert gate is not None
        conn.gate = None
        conn.spool, conn.deadline, conn.leftover = spool, gate.deadline, leftover
        conn.data_ready = True
        self.enqueue_req(conn)

    def handle(self, conn: TConn) -> Any:
        conn = gated(conn)
        conn.init()
        assert conn.unreader is not None
        conn.unreader.spool, conn.unreader.deadline = conn.spool, conn.deadline
        conn.spool = None
        return super().handle(conn)

    def handle_request(self, req: Any, conn: TConn) -> bool:
        # The gate sent "100 Continue" when the client waited for it; not twice.
        req._expected_100_continue = False  # noqa: SLF001
        return bool(super().handle_request(req, conn))

    def murder_pending(self) -> None:
        # Closed as drop() does: the gate's spool goes too.
        now = time.monotonic()
        while self.pending_conns and gated(self.pending_conns[0]).deadline_passed(now):
            self.drop(gated(self.pending_conns[0]))

    def _cap_keepalive(self, deadline: float) -> None:
        # gthread's, when it stops: connections waiting for a request close soon too.
        for conn in (*self.keepalived_conns, *self.pending_conns):
            conn.timeout = min(conn.timeout or deadline, deadline)

    def finish_request(self, conn: TConn, fs: Any) -> None:
        conn = gated(conn)
        try:
            keep = bool(fs.result()) if not fs.cancelled() else False
            rest = conn.unreader.rest() if conn.unreader is not None else b""
            if keep and self.alive and not rest:
                self.wait_for_request(conn, conn.leftover)
                return
            # Unread bytes of this request mean the two parsers disagreed on where it
            # ends: where the next one starts is unknown, so the connection closes.
            self.nr_conns -= 1
            conn.close(graceful=keep)
        except Exception:
            self.nr_conns -= 1
            conn.close()
