"""A logging Formatter that removes credentials from every line, whoever logged it.

Named in the ini files' ``[formatter_generic]``, so it covers every logger: the app,
oauthlib and requests-oauthlib (which log headers, bodies and tokens at DEBUG),
urllib3, waitress, the simulator and any access log (which would record ``?code=``).
"""

from __future__ import annotations

import logging
import re

MASK = "[redacted]"

#: Names whose values are credentials wherever they appear: query strings, form
#: bodies, JSON, Python reprs of dicts.
SECRET_NAMES = (
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "code_verifier",
    "code_challenge",
    "state",
    "client_secret",
    "password",
    "token",
    "assertion",
    "client_assertion",
    "csrf_token",
)
_NAMES = "|".join(sorted(SECRET_NAMES, key=len, reverse=True))

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer xyz / Basic xyz, in headers, reprs and dumps.
    (
        re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(bearer|basic)\s+[^\s'\",}]+"),
        rf"\1\2 {MASK}",
    ),
    # name=value in URLs and form bodies.
    (re.compile(rf"(?i)(?<![A-Za-z0-9_])({_NAMES})=[^&\s'\"]+"), rf"\1={MASK}"),
    # "name": "value" in JSON and 'name': 'value' in Python reprs.
    (
        re.compile(rf"(?i)(['\"](?:{_NAMES})['\"]\s*:\s*)(['\"])(?:(?!\2).)*\2"),
        rf"\1\2{MASK}\2",
    ),
    # Prose such as "Using supplied state XYZ." or "refresh token XYZ": a long opaque
    # value right after one of the words.
    (
        re.compile(r"(?i)\b(state|token|code|verifier|secret)(\s+)[A-Za-z0-9_\-.~+/=]{16,}"),
        rf"\1\2{MASK}",
    ),
    # Set-Cookie / Cookie values: opaque ids, still not for logs.
    (re.compile(r"(?i)((?:set-)?cookie['\"]?\s*[:=]\s*['\"]?[^=;\s]+=)[^;\s'\"]+"), rf"\1{MASK}"),
)


def redact(text: str) -> str:
    """``text`` with every credential-looking value replaced by ``[redacted]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """Formats as usual (message, arguments, traceback), then redacts the whole line."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
