"""S14: no token, code, state, verifier, secret or Authorization value in any log line."""

from __future__ import annotations

import configparser
import io
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import webtest

from rcpyramid.logredact import RedactingFormatter, redact
from tests.browser import authorize_at_simulator, local_path, query_of
from tests.journeys import SimulatorHandle, assert_no_journey_secret, start_sign_in
from tests.stores import RECORDING, only_token, recording

ROOT = Path(__file__).resolve().parents[2]
#: The formatters that redact (rcpyramid.ops.logs: JSON and readable lines, tested in tests/ops).
REDACTING = {
    "rcpyramid.logredact.RedactingFormatter",
    "rcpyramid.ops.logs.JSONFormatter",
    "rcpyramid.ops.logs.ConsoleFormatter",
}
LOGGERS = ("", "rcpyramid", "oauthlib", "requests_oauthlib", "urllib3", "waitress", "webtest")


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything every logger says at DEBUG, through the formatter the ini files name."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(levelname)s [%(name)s] %(message)s"))
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    root.addHandler(handler)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_s14_ini_files_name_the_redacting_formatter() -> None:
    for name in ("development.ini", "production.ini"):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(ROOT / name)
        for section in parser.sections():
            if section.startswith("formatter_"):
                assert parser[section]["class"] in REDACTING, name


def test_s14_whole_journey_at_debug_logs_no_secret(
    make_testapp: Callable[..., webtest.TestApp],
    simulator: SimulatorHandle,
    debug_log: io.StringIO,
) -> None:
    testapp = make_testapp(**{"rcpyramid.tokens.backend": RECORDING})
    authorize_url = start_sign_in(testapp)
    state = query_of(authorize_url)["state"]
    verifiers = [pending.code_verifier for pending in recording(testapp).pending_added]
    assert len(verifiers) == 1
    callback = authorize_at_simulator(authorize_url)
    code = query_of(callback)["code"]
    testapp.get(local_path(callback)).follow()
    first = only_token(testapp)
    testapp.get("/test?api=extension")
    simulator.control("expire-access-tokens")
    testapp.get("/test?api=extension-call-log")  # a 401, a refresh, a retry
    second = only_token(testapp)
    testapp.get("/logout").forms[0].submit()

    logged = debug_log.getvalue()
    assert "refresh" in logged.lower()  # the journey was logged, at DEBUG, by several loggers
    assert "[rcpyramid" in logged and "[urllib3" in logged
    assert_no_journey_secret(logged, state, code, verifiers[0], first, second)


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("GET /oauth2callback?code=abc123&state=xyz789 HTTP/1.1", "abc123"),
        ("GET /oauth2callback?code=abc123&state=xyz789 HTTP/1.1", "xyz789"),
        ('{"access_token":"tok-1","token_type":"bearer"}', "tok-1"),
        ("{'refresh_token': 'tok-2', 'expires_in': 3600}", "tok-2"),
        ("{'Authorization': 'Bearer tok-3'}", "tok-3"),
        ("Authorization: Basic aWQ6c2VjcmV0", "aWQ6c2VjcmV0"),
        ("grant_type=authorization_code&code=c0de&code_verifier=v3r1f13r", "v3r1f13r"),
        ("client_secret=s3cr3t&client_id=id", "s3cr3t"),
        ("token=tok-4", "tok-4"),
        ("Using supplied state Uxy2ZKbTO3OKxCQG-uzz00ZGf9U24N.", "Uxy2ZKbTO3OKxCQG-uzz00ZGf9U24N"),
    ],
)
def test_s14_redaction_patterns(line: str, secret: str) -> None:
    assert secret not in redact(line)
    assert "[redacted]" in redact(line)


def test_s14_redaction_keeps_what_helps_debugging() -> None:
    line = 'POST /restapi/oauth/token 400 {"errorCode":"OAU-210","error":"invalid_grant"}'
    assert redact(line) == line
