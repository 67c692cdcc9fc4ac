"""A RingCentral that drips its answer: the deadline cuts the connection, the page says 504."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import webtest

from tests.browser import query_of
from tests.journeys import start_sign_in

DRIP_INTERVAL = 0.3
TOKENS = {
    "access_token": "drip-access-token",
    "token_type": "bearer",
    "expires_in": 3600,
    "refresh_token": "drip-refresh-token",
    "refresh_token_expires_in": 604800,
    "owner_id": "101",
}


class DrippingRingCentral:
    """A raw HTTP server: answers at once, or, for the path in ``drip``, one byte at a time."""

    def __init__(self) -> None:
        self.drip: tuple[str, str] | None = None  # (path prefix, "head" or "body")
        self.cut = threading.Event()
        self.dripped = 0
        self.total = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._closing = False
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self._closing = True
        self._listener.close()

    def _serve(self) -> None:
        while not self._closing:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                request += chunk
            path = request.split(b" ", 2)[1].decode()
            body = json.dumps(TOKENS if path.startswith("/restapi/oauth/token") else {"name": "D"})
            data = body.encode() + b" " * 200  # long enough to drip for a minute
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
            ).encode()
            if self.drip is None or not path.startswith(self.drip[0]):
                conn.sendall(head + data)
                return
            if self.drip[1] == "body":
                conn.sendall(head)
                payload = data
            else:
                payload = head + data
            self.total = len(payload)
            for index in range(len(payload)):
                try:
                    conn.sendall(payload[index : index + 1])
                except OSError:
                    self.cut.set()
                    return
                self.dripped = index + 1
                # The client cutting the connection shows up as end-of-stream here.
                readable, _, _ = select.select([conn], [], [], DRIP_INTERVAL)
                if readable:
                    try:
                        if conn.recv(1) == b"":
                            self.cut.set()
                            return
                    except OSError:
                        self.cut.set()
                        return


@pytest.fixture
def dripping() -> Iterator[DrippingRingCentral]:
    server = DrippingRingCentral()
    yield server
    server.close()


@pytest.fixture
def app(dripping: DrippingRingCentral, make_testapp) -> webtest.TestApp:
    # Each read gets its 5 s, which one byte every 0.3 s never exceeds; the whole call gets 1 s.
    return make_testapp(
        **{
            "ringcentral.server_url": dripping.url,
            "ringcentral.read_timeout": "5",
            "ringcentral.total_timeout": "1",
        }
    )


def callback(testapp: webtest.TestApp, **kwargs) -> webtest.TestResponse:
    state = query_of(start_sign_in(testapp))["state"]
    return testapp.get(f"/oauth2callback?code=any-code&state={state}", **kwargs)


def assert_cut(dripping: DrippingRingCentral, started: float) -> None:
    assert dripping.cut.wait(timeout=30), "the dripping connection was never cut"
    assert 0 < dripping.dripped < dripping.total
    # Generous: the whole drip would take over a minute.
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("where", ["head", "body"])
def test_a_dripping_token_answer_is_cut_at_the_deadline(
    dripping: DrippingRingCentral, app: webtest.TestApp, where: str
) -> None:
    """requests reads this answer in a loop no check can enter: only the watchdog can stop it."""
    dripping.drip = ("/restapi/oauth/token", where)
    started = time.monotonic()
    page = callback(app, status=504)
    assert "RingCentral did not answer" in page.text
    assert_cut(dripping, started)


@pytest.mark.parametrize("where", ["head", "body"])
def test_a_dripping_api_answer_is_cut_at_the_deadline(
    dripping: DrippingRingCentral, app: webtest.TestApp, where: str
) -> None:
    callback(app, status=303)
    dripping.drip = ("/restapi/v1.0/", where)
    started = time.monotonic()
    page = app.get("/test?api=extension", status=504)
    assert "RingCentral did not answer" in page.text
    assert_cut(dripping, started)
    # The pool is not poisoned: once RingCentral answers again, so does the page.
    dripping.drip = None
    assert app.get("/test?api=extension").status_int == 200


def test_a_dripping_sign_out_is_cut_and_the_tokens_still_go(
    dripping: DrippingRingCentral, app: webtest.TestApp
) -> None:
    callback(app, status=303)
    dripping.drip = ("/restapi/oauth/revoke", "body")
    started = time.monotonic()
    out = app.get("/logout").forms[0].submit(status=303).follow()
    assert "RingCentral could not be told" in out.text
    assert_cut(dripping, started)
    assert "Sign in with RingCentral" in out.text
