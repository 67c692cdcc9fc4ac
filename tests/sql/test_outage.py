"""The database going away: a 503 page that says so, recovery on its own, no token lost.

PostgreSQL is reached through a small TCP relay on loopback that the test cuts and
restores, as a network partition or a database restart would.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import webtest
from sqlalchemy.engine import make_url

from rcpyramid.simulator import serve_in_thread
from rcpyramid.tokens.sqla import SQLAlchemyTokenRepository
from tests.conftest import sign_in
from tests.databases import TEST_KEYS, postgres_schema


class Relay:
    """Forwards TCP connections to a target; ``cut()`` drops them all and refuses new ones.

    ``stall()`` keeps every connection open (and accepts new ones) but forwards nothing:
    the kernel still acknowledges what is sent, so only a client-side deadline ends a wait.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.flowing = threading.Event()
        self.flowing.set()
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
                self.flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.open = False
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def restore(self) -> None:
        self.open = True
        self.flowing.set()

    def stall(self) -> None:
        self.flowing.clear()

    def close(self) -> None:
        self.flowing.set()
        self.cut()
        self.listener.close()


@pytest.fixture
def relayed_postgres() -> Iterator[tuple[str, Relay]]:
    with postgres_schema() as url:
        parsed = make_url(url)
        relay = Relay((parsed.host or "127.0.0.1", parsed.port or 5432))
        yield parsed.set(host="127.0.0.1", port=relay.port).render_as_string(False), relay
        relay.close()


@pytest.fixture
def outage_app(
    relayed_postgres: tuple[str, Relay], make_testapp: Callable[..., webtest.TestApp]
) -> Iterator[tuple[webtest.TestApp, Relay]]:
    url, relay = relayed_postgres
    backend = SQLAlchemyTokenRepository
    app = make_testapp(
        **{
            "rcpyramid.tokens.backend": f"{backend.__module__}.{backend.__qualname__}",
            "sqlalchemy.url": url,
            "rcpyramid.tokens.keys": TEST_KEYS,
            "rcpyramid.database.auto_upgrade": "true",
            "rcpyramid.database.timeout": "1",
            "rcpyramid.canonical_host": "off",
        }
    )
    yield app, relay
    app.app.registry.close_token_store()


def test_postgresql_outage_is_a_503_page_and_the_app_recovers_without_losing_tokens(
    outage_app: tuple[webtest.TestApp, Relay],
) -> None:
    testapp, relay = outage_app
    sign_in(testapp)
    assert testapp.get("/test?api=extension").status_int == 200
    relay.cut()
    page = testapp.get("/test?api=extension", status=503)
    assert "cannot reach its database" in page.text
    assert "Traceback" not in page.text
    assert testapp.get("/healthz", status=503).json["token_store"] == "down"
    relay.restore()
    assert testapp.get("/healthz").json["status"] == "ok"
    # Still signed in: the tokens were kept through the outage.
    assert testapp.get("/test?api=extension").status_int == 200
    assert "Signed in as Alice Smith" in testapp.get("/").text


def test_postgresql_stalled_database_gives_503s_and_pages_without_it_keep_answering(
    outage_app: tuple[webtest.TestApp, Relay],
) -> None:
    testapp, relay = outage_app
    sign_in(testapp)
    cookies = {"rcpyramid_session": testapp.cookies["rcpyramid_session"]}
    app = testapp.app
    # As the server runner does: 4 threads, so at most 2 of them may wait on the database.
    app.registry.check_server_threads(4)
    running = serve_in_thread(app, host="127.0.0.1", port=0, threads=4)
    base = running.url
    try:
        assert requests.get(base + "/test?api=extension", cookies=cookies, timeout=30).ok
        relay.stall()
        with ThreadPoolExecutor(max_workers=10) as pool:
            needing = [
                pool.submit(requests.get, base + "/test?api=extension", cookies=cookies, timeout=60)
                for _ in range(6)
            ] + [pool.submit(requests.get, base + "/healthz", timeout=60) for _ in range(2)]
            # Meanwhile, what needs no database answers (a generous limit, not a speed test).
            assert requests.get(base + "/", timeout=30).status_code == 200
            assert requests.get(base + "/static/app.css", timeout=30).status_code == 200
            assert requests.get(base + "/nowhere", timeout=30).status_code == 404
            answers = [future.result() for future in needing]
        assert [answer.status_code for answer in answers] == [503] * 8
        relay.restore()
        # The cut connections were thrown away: the next requests work, still signed in.
        assert requests.get(base + "/healthz", timeout=30).status_code == 200
        assert requests.get(base + "/test?api=extension", cookies=cookies, timeout=30).ok
    finally:
        relay.restore()
        running.stop()
