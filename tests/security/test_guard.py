"""Bytes anyone can send, down to the raw WSGI environ: a 4xx page with the headers, never a 500."""

from __future__ import annotations

import io
import logging
import os
import socket
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import webtest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcpyramid.simulator import serve_in_thread
from tests.journeys import sign_in
from tests.serving import serve

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options")
PATHS = [
    "/",
    "/index",
    "/login",
    "/oauth2callback",
    "/logout",
    "/test",
    "/healthz",
    "/static/app.css",
    "/static",
    "/nowhere",
]
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "BREW"]


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = int(status.split()[0])
        self.headers = {name.lower(): value for name, value in headers}
        self.body = body


def call(
    app: Callable, *, method: str = "GET", path: str = "/", query: str = "", **extra: Any
) -> Answer:
    """Call the WSGI app with a raw environ; ``extra`` values go in as they are."""
    body = extra.pop("body", b"")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost:5000",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **extra,
    }
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list, exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, headers

    chunks = app(environ, start_response)
    try:
        data = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return Answer(seen["status"], seen["headers"], data)


def assert_page(answer: Answer, status: int | None = None) -> None:
    assert answer.status < 500, answer.body[:300]
    if status is not None:
        assert answer.status == status, answer.body[:300]
    for name in SECURITY_HEADERS:
        assert name.lower() in answer.headers, name
    assert b"Traceback" not in answer.body


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


# -- the cases found by hand (issue 10, item 1) -----------------------------------------


@pytest.mark.parametrize("path", ["/test", "/oauth2callback", "/nowhere", "/", "/logout"])
def test_invalid_utf8_in_the_query_string_is_a_400_page(
    testapp: webtest.TestApp, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    answer = call(testapp.app, path=path, query="x=%ff")
    assert_page(answer, 400)
    assert b"This request could not be read" in answer.body
    assert b"query string is not valid UTF-8" in answer.body
    no_errors_logged(caplog)


def test_the_callback_refusal_keeps_its_address_out_of_referers(testapp: webtest.TestApp) -> None:
    answer = call(testapp.app, path="/oauth2callback", query="code=secret-code&state=%ff")
    assert_page(answer, 400)
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert b"secret-code" not in answer.body


def test_invalid_utf8_in_the_path_is_a_400_page(
    testapp: webtest.TestApp, caplog: pytest.LogCaptureFixture
) -> None:
    # A WSGI server hands the percent-decoded path over as latin-1: "%ff" arrives as "\xff".
    answer = call(testapp.app, path="/test\xff")
    assert_page(answer, 400)
    assert b"The address is not valid UTF-8" in answer.body
    no_errors_logged(caplog)


@pytest.mark.parametrize("path", ["/login", "/logout"])
@pytest.mark.parametrize(
    ("content_type", "words"),
    [
        ("multipart/form-data", b"The form could not be read"),
        ("application/x-www-form-urlencoded; charset=latin-1", b"other than UTF-8"),
        ("application/x-www-form-urlencoded; charset=no-such-charset", b"other than UTF-8"),
        ("multipart/form-data; boundary=x; charset=latin-1", b"other than UTF-8"),
    ],
)
def test_unreadable_forms_are_a_400_page_without_a_logged_traceback(
    testapp: webtest.TestApp,
    caplog: pytest.LogCaptureFixture,
    path: str,
    content_type: str,
    words: bytes,
) -> None:
    answer = call(testapp.app, method="POST", path=path, CONTENT_TYPE=content_type, body=b"a=b")
    assert_page(answer, 400)
    assert words in answer.body
    no_errors_logged(caplog)


def test_an_ascii_form_is_read_as_utf8(testapp: webtest.TestApp) -> None:
    """ASCII is a subset of UTF-8: a sign-in form declaring it still works."""
    home = testapp.get("/")
    token = home.html.select_one("form[action='/login'] input[name='csrf_token']")["value"]
    cookie = "; ".join(f"{k}={v}" for k, v in testapp.cookies.items())
    answer = call(
        testapp.app,
        method="POST",
        path="/login",
        CONTENT_TYPE="application/x-www-form-urlencoded; charset=US-ASCII",
        HTTP_COOKIE=cookie,
        body=f"csrf_token={token}".encode(),
    )
    assert answer.status == 303
    assert answer.headers["location"].startswith("http://127.0.0.1:")


def test_a_json_client_gets_the_refusal_as_json(testapp: webtest.TestApp) -> None:
    answer = call(testapp.app, path="/test", query="x=%ff", HTTP_ACCEPT="application/json")
    assert_page(answer, 400)
    assert answer.headers["content-type"].startswith("application/json")


def test_over_real_http_the_bytes_get_the_400_page(testapp: webtest.TestApp) -> None:
    """Through waitress, as a browser or a script would send them."""
    running = serve_in_thread(testapp.app, host="127.0.0.1", port=0, threads=2)
    try:
        host, port = running.url.removeprefix("http://").rsplit(":", 1)
        for request_line in (b"GET /test?x=%ff HTTP/1.1", b"GET /%ff%fe HTTP/1.1"):
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                head = b"\r\nHost: localhost:5000\r\nConnection: close\r\n\r\n"
                sock.sendall(request_line + head)
                raw = b""
                while chunk := sock.recv(65536):
                    raw += chunk
            head, _, body = raw.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400"), head
            assert b"Content-Security-Policy" in head
            assert b"not valid UTF-8" in body
    finally:
        running.stop()


# -- the last resort -----------------------------------------------------------------


def test_when_the_error_page_itself_fails_a_minimal_page_still_has_the_headers(
    make_testapp: Callable[..., webtest.TestApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The error page cannot be rendered: the 404 view's own rendering fails and escapes Pyramid.
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no templates")

    monkeypatch.setattr("rcpyramid.views.errors.error_ways_on", broken)
    app = make_testapp().app
    answer = call(app, path="/nowhere")
    assert answer.status == 500
    assert b"Something went wrong" in answer.body
    for name in (*SECURITY_HEADERS, "Referrer-Policy", "Cache-Control"):
        assert name.lower() in answer.headers


# -- property-based: every route and method, raw bytes everywhere ----------------------

FUZZ = settings(
    max_examples=int(os.environ.get("RCPYRAMID_FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

wsgi_text = st.binary(max_size=120).map(lambda b: b.decode("latin-1"))
percent_bytes = st.binary(max_size=40).map(lambda b: "".join(f"%{x:02x}" for x in b))
query_text = st.one_of(
    wsgi_text,
    percent_bytes,
    st.builds(
        lambda k, v: f"{k}={v}", st.sampled_from(["api", "code", "state", "x"]), percent_bytes
    ),
)
path_text = st.one_of(
    st.sampled_from(PATHS),
    st.builds(lambda p, extra: p + extra, st.sampled_from(PATHS), wsgi_text),
)
content_types = st.one_of(
    st.none(),
    wsgi_text,
    st.builds(
        lambda kind, params: kind + params,
        st.sampled_from(
            ["application/x-www-form-urlencoded", "multipart/form-data", "", "text/plain"]
        ),
        st.one_of(
            st.just(""),
            st.sampled_from(
                [
                    "; charset=utf-8",
                    "; charset=latin-1",
                    "; charset=utf-16",
                    "; charset=ascii",
                    "; charset=",
                    '; charset="',
                    "; boundary=",
                    "; boundary=x",
                    '; boundary="a b"',
                    "; boundary=" + "b" * 300,
                ]
            ),
            wsgi_text.map(lambda t: "; " + t),
        ),
    ),
)
bodies = st.one_of(
    st.binary(max_size=400),
    st.just(b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\r\n--x--\r\n'),
    st.builds(lambda b: b"csrf_token=" + b, st.binary(max_size=60)),
)


@pytest.fixture
def signed_in_cookie(testapp: webtest.TestApp) -> Iterator[str]:
    sign_in(testapp)
    yield "; ".join(f"{k}={v}" for k, v in testapp.cookies.items())


@FUZZ
@given(
    method=st.sampled_from(METHODS),
    path=path_text,
    query=query_text,
    content_type=content_types,
    body=bodies,
    cookie=st.one_of(st.none(), wsgi_text, st.just("signed-in")),
    accept=st.one_of(st.none(), wsgi_text, st.just("application/json")),
    host=st.one_of(st.just("localhost:5000"), wsgi_text),
)
def test_raw_environ_never_gets_a_500(
    testapp: webtest.TestApp,
    signed_in_cookie: str,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    query: str,
    content_type: str | None,
    body: bytes,
    cookie: str | None,
    accept: str | None,
    host: str,
) -> None:
    extra: dict[str, Any] = {"HTTP_HOST": host, "body": body}
    if content_type is not None:
        extra["CONTENT_TYPE"] = content_type
    if cookie is not None:
        extra["HTTP_COOKIE"] = signed_in_cookie if cookie == "signed-in" else cookie
    if accept is not None:
        extra["HTTP_ACCEPT"] = accept
    caplog.clear()
    answer = call(testapp.app, method=method, path=path, query=query, **extra)
    assert_page(answer)
    no_errors_logged(caplog)


# -- the same, over real HTTP through waitress ------------------------------------------

target_bytes = st.binary(max_size=80).filter(lambda b: not set(b) & set(b"\r\n \t"))


@pytest.fixture
def served_guarded(testapp: webtest.TestApp) -> Iterator[tuple[str, int]]:
    running = serve(testapp.app, threads=4)
    yield "127.0.0.1", running.port
    running.stop()


def raw_exchange(address: tuple[str, int], request: bytes) -> bytes:
    with socket.create_connection(address, timeout=20) as sock:
        sock.sendall(request)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    return raw


@settings(
    max_examples=int(os.environ.get("RCPYRAMID_FUZZ_EXAMPLES", "60")) // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(METHODS),
    path=st.sampled_from(PATHS),
    target=target_bytes,
    content_type=st.binary(max_size=60).filter(lambda b: not set(b) & set(b"\r\n")),
    body=bodies,
)
def test_raw_http_never_gets_a_500(
    served_guarded: tuple[str, int],
    method: str,
    path: str,
    target: bytes,
    content_type: bytes,
    body: bytes,
) -> None:
    request = (
        method.encode()
        + b" "
        + path.encode()
        + target
        + b" HTTP/1.1\r\nHost: localhost:5000\r\nConnection: close\r\nContent-Type: "
        + content_type
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    head, _, _ = raw_exchange(served_guarded, request).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert status < 500, head
    # waitress refuses a request it cannot parse itself, in plain text; the app's own
    # answers all carry the headers.
    if b"Server: waitress" not in head or b"text/plain" not in head:
        assert b"Content-Security-Policy" in head, head
