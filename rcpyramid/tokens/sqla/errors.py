"""The SQL backend's errors, and driver errors turned into the contract's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pyramid.exceptions import ConfigurationError
from pyramid_retry import mark_error_retryable
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from rcpyramid.models.deadline import DatabaseBusyError, deadline_passed
from rcpyramid.tokens.interfaces import TokenStoreError


class LockOrderError(TokenStoreError):
    """An own-transaction step would wait for a lock its own request's transaction holds."""


class SchemaError(ConfigurationError):
    """The database lacks the token tables: the migrations have not run."""


def is_transient(error: Exception) -> bool:
    """A failure after which the whole request may safely run again (pyramid_retry)."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    orig = error.orig
    code = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None) or ""
    # Class 40: serialization failure, deadlock detected. Not 55P03 (lock timeout):
    # replaying would only wait as long again.
    return code.startswith("40")


@contextmanager
def translated(
    doing: str,
    store: str = "the token store",
    error_class: type[TokenStoreError] = TokenStoreError,
) -> Iterator[None]:
    """Driver errors become ``error_class`` (a :class:`TokenStoreError`): a 503 page.

    The call history, kept in the same database, passes its own name and error class.
    """
    try:
        yield
    except DatabaseBusyError as error:
        raise error_class(f"{store} is busy while {doing}: {error}") from error
    except (DBAPIError, PoolTimeoutError) as error:
        if deadline_passed():
            # Not retryable: replaying the request would only wait as long again.
            raise error_class(f"{store} did not answer in time while {doing}") from error
        cause = getattr(error, "orig", None) or error
        # The first line only: later lines of a driver's message may quote key values.
        summary = (str(cause).strip().splitlines() or [""])[0][:200]
        wrapped = error_class(f"{store} failed while {doing}: {type(cause).__name__}: {summary}")
        if is_transient(error):
            mark_error_retryable(wrapped)
        raise wrapped from error
