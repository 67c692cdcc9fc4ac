"""The serving tier's bounds keep HTTP/1.1 whole, on waitress and on gunicorn's workers.

gunicorn's workers read each request before a thread takes it (rcpyramid.gate): the
framing of bodies, pipelined and kept-alive requests and ``Expect: 100-continue`` must
come out as they do on waitress.
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.serving import answers, connect

HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"


def handshake(body: bytes, chunked: bool = False) -> bytes:
    """A webhook subscription's handshake (a blank body), the app's one echo of a request."""
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % len(body)
    if chunked:
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    return (
        b"POST /webhooks/ringcentral HTTP/1.1\r\nHost: localhost\r\n"
        b"Validation-Token: token-123\r\nContent-Type: application/json\r\n" + framing + b"\r\n\r\n"
    ) + body


def test_pipelined_requests_with_bodies_are_answered_in_order_on_one_connection(served) -> None:
    url, _ = served
    blank = b" " * 65_000  # under the webhook's own bound; the copy goes to a file
    with connect(url) as sock:
        sock.sendall(handshake(blank) + HEALTHZ + handshake(blank, chunked=True) + HEALTHZ)
        got = answers(sock, 4)
        assert [status for status, _ in got] == [200, 200, 200, 200]
        assert b"validation-token: token-123" in got[0][1].lower()
        assert json.loads(got[1][1].split(b"\r\n\r\n", 1)[1])["status"] == "ok"
        assert b"validation-token: token-123" in got[2][1].lower()
        # Kept alive: one more request on the same connection.
        sock.sendall(HEALTHZ)
        assert answers(sock)[0][0] == 200


def test_a_client_expecting_100_continue_gets_it_once_then_the_answer(served) -> None:
    url, _ = served
    body = b" " * 1000
    head, _ = handshake(body).split(b"\r\n\r\n", 1)
    with connect(url) as sock:
        sock.sendall(head + b"\r\nExpect: 100-continue\r\n\r\n")
        assert answers(sock)[0][0] == 100
        sock.sendall(body + HEALTHZ)
        statuses = [status for status, _ in answers(sock, 2)]
        assert statuses == [200, 200]


field = st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@settings(
    max_examples=int(os.environ.get("RCPYRAMID_FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from([b"GET", b"POST", b"HEAD", b"OPTIONS"]) | field,
    target=st.sampled_from([b"/", b"/healthz", b"/login", b"*", b"http://x/"]) | field,
    version=st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b""]) | field,
    # No Content-Length or Transfer-Encoding: a body announced and never sent gets no answer.
    headers=st.lists(
        st.tuples(st.sampled_from([b"Host", b"Expect", b"Cookie", b"Connection"]) | field, field),
        max_size=6,
    ),
)
def test_a_malformed_request_gets_an_answer_never_a_5xx(
    served, method: bytes, target: bytes, version: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    """Raw bytes the servers' parsers must survive (a gate that raised would end a worker)."""
    url, _ = served
    head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    with connect(url) as sock:
        sock.sendall(
            method + b" " + target + b" " + version + b"\r\n" + head + b"Connection: close\r\n\r\n"
        )
        status = answers(sock)[0][0]
    assert status < 500 or status == 501, status
