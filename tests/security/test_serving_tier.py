"""The ini files' serving tier: half-open connections cannot starve /healthz for long."""

from __future__ import annotations

import configparser
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import webtest

from tests.serving import serve

ROOT = Path(__file__).resolve().parent.parent.parent
#: The figure from the attack that found this: 110 half-open connections.
HALF_OPEN = 110


def serving_keys(ini: str) -> dict[str, str]:
    """waitress's own keys from the ini's ``[server:main]`` (not where it listens)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / ini)
    keys = dict(parser["server:main"])
    for key in ("use", "host", "port", "listen"):
        keys.pop(key, None)
    if ini == "production.ini":
        # The proxy trust is the redirect tests' concern; here the client is the attacker.
        for key in ("trusted_proxy", "trusted_proxy_headers", "clear_untrusted_proxy_headers"):
            keys.pop(key, None)
    return keys


@pytest.fixture(params=["development.ini", "production.ini"])
def served(request: pytest.FixtureRequest, testapp: webtest.TestApp) -> Iterator[tuple[str, Any]]:
    keys = serving_keys(request.param)
    running = serve(testapp.app, **keys)
    yield running.url, keys
    running.stop()


def half_open(url: str, count: int) -> list[socket.socket]:
    """Connections that start a request and never finish its headers."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    held = []
    for _ in range(count):
        sock = socket.create_connection((host, int(port)), timeout=10)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost:5000\r\n")
        held.append(sock)
    return held


def test_healthz_answers_while_110_connections_hang_half_open(served) -> None:
    url, _ = served
    held = half_open(url, HALF_OPEN)
    try:
        answer = requests.get(f"{url}/healthz", timeout=10)
        assert answer.status_code == 200
    finally:
        for sock in held:
            sock.close()


def test_a_half_open_connection_is_closed_by_the_server(served) -> None:
    url, keys = served
    (sock,) = half_open(url, 1)
    with sock:
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
        timeout=30,
    )
    assert answer.status_code == 413
