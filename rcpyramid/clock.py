"""Time, in one place, so that tests can move it.

One clock protocol for the whole app (:class:`Clock`, the registry's ``clock``) and one
form for every time kept or handed between modules: an aware UTC datetime. Numbers
appear only on a wire that needs them (Redis scores, cookies) and are converted there;
intervals measured within a process use ``time.monotonic`` (a timer, not a clock).
"""

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """What tells the time: called, it answers the current moment as an aware UTC datetime."""

    def __call__(self) -> datetime: ...


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """``value`` as aware UTC; a naive value is taken to be UTC already (SQLite gives those)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
