"""Factory fixtures that clean up: what a test made is closed at its teardown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def closing_all(make: Callable[..., T], close: Callable[[T], object]) -> Iterator[Callable[..., T]]:
    """Yield ``make``, keeping what it returns; after the test, ``close`` each (``yield from``)."""
    made: list[T] = []

    def tracked(*args: Any, **kwargs: Any) -> T:
        thing = make(*args, **kwargs)
        made.append(thing)
        return thing

    yield tracked
    for thing in made:
        close(thing)
