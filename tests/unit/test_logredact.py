"""Log redaction: credentials leave no trace in a log line, whatever shape they come in."""

from __future__ import annotations

import logging
import sys

import pytest

from rcpyramid.logredact import MASK, RedactingFormatter, redact

SECRET = "c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZw"


@pytest.mark.parametrize(
    "line",
    [
        f"GET /oauth2callback?code={SECRET}&state={SECRET} HTTP/1.1",
        f"body: grant_type=refresh_token&refresh_token={SECRET}",
        f'{{"access_token": "{SECRET}", "token_type": "bearer"}}',
        f"{{'client_secret': '{SECRET}'}}",
        f"Authorization: Bearer {SECRET}",
        f"{{'Authorization': 'Basic {SECRET}'}}",
        f"Using supplied state {SECRET}.",
        f"Set-Cookie: rcpyramid_session={SECRET}; HttpOnly",
        f"code_verifier={SECRET}",
    ],
)
def test_a_credential_in_any_shape_is_masked(line: str) -> None:
    cleaned = redact(line)
    assert SECRET not in cleaned
    assert MASK in cleaned


def test_what_is_not_a_credential_stays_readable() -> None:
    line = "GET /test?api=extension&page=2&perPage=25 200 in 12 ms"
    assert redact(line) == line


def test_names_inside_other_words_are_not_taken_for_credentials() -> None:
    assert redact("statement=ok&barcode=123") == "statement=ok&barcode=123"


def test_the_formatter_masks_the_message_its_arguments_and_tracebacks() -> None:
    formatter = RedactingFormatter("%(message)s")
    try:
        raise ValueError(f"refresh_token={SECRET}")
    except ValueError:
        record = logging.LogRecord(
            "oauthlib", logging.DEBUG, __file__, 1, "sent %s", (f"code={SECRET}",), None
        )
        record.exc_info = sys.exc_info()
    text = formatter.format(record)
    assert SECRET not in text
    assert "sent code=" + MASK in text
