"""serve_in_thread and the home page."""

from __future__ import annotations

import socket

import requests

from rcpyramid.simulator import DEMO_CLIENT, RegisteredClient, serve_in_thread


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_serve_in_thread_picks_a_port_and_stops(make_simulator):
    server = serve_in_thread(make_simulator().wsgi_app())
    try:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert not server.url.endswith("/")
        assert requests.get(server.url + "/restapi", timeout=10).status_code == 200
    finally:
        server.stop()
    server.stop()  # idempotent
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0


def test_localhost_listens_on_ipv4_and_ipv6_loopback(make_simulator):
    server = serve_in_thread(make_simulator().wsgi_app(), host="localhost")
    try:
        assert server.url == f"http://localhost:{server.port}"
        assert requests.get(f"http://127.0.0.1:{server.port}/restapi", timeout=10).ok
        if _ipv6_loopback():
            assert requests.get(f"http://[::1]:{server.port}/restapi", timeout=10).ok
    finally:
        server.stop()


def test_wsgi_app_is_built_once(make_simulator):
    sim = make_simulator()
    assert sim.wsgi_app() is sim.wsgi_app()


def test_home_page(make_rc):
    private = RegisteredClient("private-app", "very-private-secret", ("http://p.test/cb",))
    rc = make_rc(clients=(DEMO_CLIENT, private))
    rc.login()
    page = rc.get("/")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    text = page.text
    assert "SIMULATED RingCentral" in text
    for name in ("alice", "bob", "carol", "alice-demo", "Alice Smith", "Bob Johnson"):
        assert name in text
    assert "Carol &#34;&lt;b&gt;O&#39;Hara&lt;/b&gt;&#34; &amp; Sons" in text
    assert DEMO_CLIENT.client_id in text and DEMO_CLIENT.redirect_uris[0] in text
    assert DEMO_CLIENT.client_secret in text  # public and labelled
    assert "private-app" in text and "http://p.test/cb" in text
    assert "very-private-secret" not in text
    assert "Authorization-code grants</th><td>1</td>" in text
    assert rc.get("/nowhere").status_code == 404
