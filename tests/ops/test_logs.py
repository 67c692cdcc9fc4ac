"""Structured logs: JSON lines with a request id on each, one access line per request,
the id in the answer and on error pages, and still no credential anywhere."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import webtest

from rcpyramid.ops.logs import ConsoleFormatter, JSONFormatter
from rcpyramid.server import proxied
from tests.browser import authorize_at_simulator, local_path, query_of
from tests.journeys import SimulatorHandle, assert_no_journey_secret
from tests.stores import RECORDING, only_token, recording

ROOT = Path(__file__).resolve().parents[2]
LOGGERS = ("", "rcpyramid", "oauthlib", "requests_oauthlib", "urllib3", "waitress", "webtest")
#: Loggers of the app's own requests (the simulator and the test's own browser log too).
APP_LOGGERS = re.compile(r"^(rcpyramid(?!\.simulator)|oauthlib|requests_oauthlib)")
PHONE = re.compile(r"\+\d{10,}|650555\d{4}")


@contextmanager
def captured(formatter: logging.Formatter) -> Iterator[io.StringIO]:
    """Everything every logger says at DEBUG, through ``formatter``."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    root.addHandler(handler)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_debug_journey_in_json_has_the_request_id_on_every_line_and_no_secret(
    make_testapp: Callable[..., webtest.TestApp], simulator: SimulatorHandle
) -> None:
    testapp = make_testapp(**{"rcpyramid.tokens.backend": RECORDING})
    answered: list[str] = []

    def get(path: str, **kwargs: Any) -> webtest.TestResponse:
        answer = testapp.get(path, **kwargs)
        answered.append(answer.headers["X-Request-ID"])
        return answer

    with captured(JSONFormatter()) as stream:
        home = get("/")
        form = next(form for form in home.forms.values() if form.action == "/login")
        started = form.submit()
        answered.append(started.headers["X-Request-ID"])
        authorize_url = started.headers["Location"]
        state = query_of(authorize_url)["state"]
        verifier = recording(testapp).pending_added[0].code_verifier
        callback = authorize_at_simulator(authorize_url)
        code = query_of(callback)["code"]
        landed = get(local_path(callback), status=303)
        get(landed.location)
        first = only_token(testapp)
        get("/test?api=extension")
        simulator.control("expire-access-tokens")
        get("/test?api=extension")  # a 401, a refresh, a retry
        get("/test?api=extension&page=0", status=400)  # an error page
        second = only_token(testapp)
        signed_out = get("/logout").forms[0].submit()
        answered.append(signed_out.headers["X-Request-ID"])

    lines = json_lines(stream)
    assert {"timestamp", "level", "logger", "event"} <= set(lines[0])
    app_lines = [line for line in lines if APP_LOGGERS.match(line["logger"])]
    # More than the access lines: the refresh, for one, logged with its request's id.
    assert any(line["event"] == "refreshed the tokens of a login" for line in app_lines)
    for line in app_lines:
        assert line.get("request_id") in answered, line
    access = [line for line in lines if line["logger"] == "rcpyramid.access"]
    assert [line["request_id"] for line in access] == answered
    assert len(set(answered)) == len(answered)
    assert all(line["duration_ms"] >= 0 for line in access)
    assert access[-3]["route"] == "/test" and access[-3]["status"] == 400

    logged = stream.getvalue()
    assert_no_journey_secret(logged, state, code, verifier, first, second)
    assert not PHONE.search(logged), PHONE.search(logged)


def test_credentials_logged_by_name_or_in_a_message_are_masked() -> None:
    import structlog

    from rcpyramid.ops.logs import configure_structlog

    configure_structlog()
    with captured(JSONFormatter()) as stream:
        structlog.stdlib.get_logger("rcpyramid.test").info(
            "sent code=abc123secret", refresh_token="tok-9", nested={"Authorization": "Bearer x"}
        )
        logging.getLogger("rcpyramid.test").warning('answer {"access_token": "tok-8"}')
    logged = stream.getvalue()
    for secret in ("abc123secret", "tok-9", "Bearer x", "tok-8"):
        assert secret not in logged
    assert len(json_lines(stream)) == 2


@pytest.mark.parametrize("formatter", [JSONFormatter, ConsoleFormatter])
def test_a_line_written_by_write_event_reads_as_a_structlog_logger_writes_it(
    formatter: type[logging.Formatter],
) -> None:
    """The access line's shorter way gives the same line, redacted the same way."""
    import structlog

    from rcpyramid.ops.logs import configure_structlog, write_event

    configure_structlog()
    fields = {"method": "GET", "path": "/x?code=c0de1234567890abcdefgh", "status": 200, "n": 1.5}
    bound = structlog.contextvars.bind_contextvars(request_id="r-1")
    try:
        with captured(formatter()) as stream:
            write_event(logging.getLogger("rcpyramid.test"), {"event": "request", **fields})
            structlog.stdlib.get_logger("rcpyramid.test").info("request", **fields)
    finally:
        structlog.contextvars.reset_contextvars(**bound)
    fast, slow = (
        re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "TIME", line) for line in stream.getvalue().splitlines()
    )
    if formatter is JSONFormatter:  # the same fields; the order of keys is not kept
        fast, slow = (json.dumps(json.loads(line), sort_keys=True) for line in (fast, slow))
    assert fast == slow
    assert "c0de1234567890abcdefgh" not in fast and "r-1" in fast and "TIME" in fast


def test_development_lines_are_readable_and_redacted() -> None:
    with captured(ConsoleFormatter()) as stream:
        logging.getLogger("rcpyramid.test").info("GET /oauth2callback?code=c0de123&state=s7")
    line = stream.getvalue()
    assert "c0de123" not in line and "[rcpyramid.test]" in line and not line.startswith("{")


def test_an_error_page_shows_the_request_id_it_answers_with(testapp: webtest.TestApp) -> None:
    page = testapp.get("/no-such-page", status=404)
    rid = page.headers["X-Request-ID"]
    assert page.html.select_one(".request-id code").text == rid


def test_a_request_id_from_anyone_but_the_trusted_proxy_is_replaced(
    testapp: webtest.TestApp,
) -> None:
    answer = testapp.get("/livez", headers={"X-Request-ID": "chosen-by-the-client"})
    assert answer.headers["X-Request-ID"] != "chosen-by-the-client"
    behind = webtest.TestApp(
        proxied(
            testapp.app, {"trusted_proxy": "127.0.0.1", "trusted_proxy_headers": "x-forwarded-for"}
        ),
        extra_environ={"HTTP_HOST": "localhost:5000", "REMOTE_ADDR": "10.1.2.3"},
    )
    answer = behind.get("/livez", headers={"X-Request-ID": "chosen-by-the-client"})
    assert answer.headers["X-Request-ID"] != "chosen-by-the-client"


def test_the_trusted_proxys_request_id_is_kept(testapp: webtest.TestApp) -> None:
    behind = webtest.TestApp(
        proxied(
            testapp.app, {"trusted_proxy": "127.0.0.1", "trusted_proxy_headers": "x-forwarded-for"}
        ),
        extra_environ={"HTTP_HOST": "localhost:5000", "REMOTE_ADDR": "127.0.0.1"},
    )
    answer = behind.get("/livez", headers={"X-Request-ID": "3f2a9c1e-proxy-id"})
    assert answer.headers["X-Request-ID"] == "3f2a9c1e-proxy-id"
    # Something that is not an id (too long, odd characters) is replaced even from the proxy.
    odd = behind.get("/livez", headers={"X-Request-ID": "<script>"})
    assert odd.headers["X-Request-ID"] != "<script>"


def test_production_ini_logs_json_lines_and_development_ini_readable_ones() -> None:
    """The ini files' own logging sections, as pserve reads them (in a process of its own)."""
    import subprocess
    import sys

    script = (
        "import logging, logging.config, sys; logging.config.fileConfig(sys.argv[1]); "
        "logging.getLogger('rcpyramid.check').warning('sent code=c0de-abc123 to the app')"
    )
    for name, is_json in (("production.ini", True), ("development.ini", False)):
        done = subprocess.run(
            [sys.executable, "-c", script, str(ROOT / name)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        line = done.stderr.strip().splitlines()[-1]
        assert "c0de-abc123" not in line
        if is_json:
            assert json.loads(line)["logger"] == "rcpyramid.check"
        else:
            assert "[rcpyramid.check]" in line and not line.startswith("{")
