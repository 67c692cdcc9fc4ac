"""Log lines operators can search: JSON in production, readable lines in development.

The ini files name a formatter here for their one handler, so every logger goes through
it, the app's (stdlib ``logging``), oauthlib's, urllib3's, waitress's and gunicorn's:

- :class:`JSONFormatter` (production.ini): one JSON object per line, with ``timestamp``
  (UTC), ``level``, ``logger``, ``event`` (the message), ``request_id`` on every line
  logged while a request is handled, and the request's fields on the access line.
- :class:`ConsoleFormatter` (development.ini): the same fields as a readable line.

Both redact as :mod:`rcpyramid.logredact` does, before rendering: every string value of
the line (the message, a traceback) and every value whose key names a credential. The
JSON line is not redacted again as a whole, because a pattern cut across an escaped
quote could leave invalid JSON; the readable line is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from rcpyramid.logredact import MASK, SECRET_NAMES, redact

_SECRET_KEYS = frozenset(name.lower() for name in (*SECRET_NAMES, "authorization", "cookie"))


#: No redaction pattern matches a value shorter than this without "=" or ":" (the
#: shortest, "token " and 16 opaque characters, is 21 long): most of an access line's.
_SHORTEST_MATCH = 21


def _redacted(value: Any) -> Any:
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, str):
        if len(value) < _SHORTEST_MATCH and "=" not in value and ":" not in value:
            return value
        return redact(value)
    if isinstance(value, Mapping):
        return {key: MASK if _secret_key(key) else _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value


def _secret_key(key: Any) -> bool:
    return isinstance(key, str) and key.lower() in _SECRET_KEYS


#: Values that cannot hold a credential: nothing to redact in them.
_PLAIN = frozenset({int, float, bool})

#: Values the processors themselves make (the request id is checked where it is taken).
_OURS = frozenset({"timestamp", "level", "logger", "request_id"})


def redact_event(logger: Any, method: str, event: MutableMapping[str, Any]) -> Any:
    """A structlog processor: no credential in any value, nor under a credential's name."""
    for key, value in list(event.items()):
        if key not in _OURS:
            event[key] = MASK if _secret_key(key) else _redacted(value)
    return event


#: What every line gets, whoever logged it (stdlib records go through this first).
_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _chain(renderer: Any) -> list[Any]:
    return [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.format_exc_info,
        redact_event,
        renderer,
    ]


class _Formatter(structlog.stdlib.ProcessorFormatter):
    """Takes ``logging.config.fileConfig``'s arguments (format, datefmt, style) and ignores them."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None, *args: Any, **kw: Any):
        super().__init__(processors=_chain(self.renderer()), foreign_pre_chain=_SHARED)

    def renderer(self) -> Any:
        raise NotImplementedError

    def format(self, record: logging.LogRecord) -> str:
        """A structlog line (the access line) is rendered straight from its event.

        The same processors as structlog's own path, without its copy of the record and
        the stdlib formatting after it: for a record with no traceback or stack, as
        structlog's are (it formats them in the event), these add nothing.
        """
        marks = record.__dict__
        name = marks.get("_name")
        if (
            not isinstance(name, str)
            or "_logger" not in marks
            or record.exc_info
            or record.stack_info
        ):
            return super().format(record)
        event: Any = {**record.msg, "_record": record, "_from_structlog": True}  # type: ignore[dict-item]
        for processor in self.processors:
            event = processor(marks["_logger"], name, event)
        return str(event)


class JSONFormatter(_Formatter):
    """One JSON object per line (production)."""

    def renderer(self) -> Any:
        return structlog.processors.JSONRenderer(sort_keys=False)


class ConsoleFormatter(_Formatter):
    """A readable line per event (development), redacted once more as a whole."""

    def renderer(self) -> Any:
        return structlog.dev.ConsoleRenderer(colors=False, pad_event_to=0)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_structlog() -> None:
    """Lines logged with structlog (the access line) go through the stdlib handlers too."""
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def write_event(logger: logging.Logger, event: dict[str, Any]) -> None:
    """Log ``event`` at INFO as a structlog logger would, with fewer steps on the way.

    For a line written on every request (the access line): the same processors as
    :func:`configure_structlog`'s and the same record for the formatters, without a
    bound logger in between or the search for the caller's frame (no formatter here
    prints it).
    """
    if not logger.isEnabledFor(logging.INFO):
        return
    for processor in _SHARED:
        event = processor(logger, "info", event)
    args, kwargs = structlog.stdlib.ProcessorFormatter.wrap_for_formatter(logger, "info", event)
    record = logger.makeRecord(
        logger.name, logging.INFO, "", 0, args[0], (), None, extra=kwargs["extra"]
    )
    logger.handle(record)
