"""The token repository: resolve the backend the settings name, check it, let it wire itself.

``rcpyramid.tokens.backend`` names a :class:`TokenRepository` subclass; its
``service_factory(config)`` (or, for a backend that has none, its module's
``includeme(config)``) gives the service factory that views reach with
``request.find_service(TokenRepository)`` (the memory backend one shared instance, the
SQL backend one repository per request on ``request.dbsession``). Console scripts and
pshell go through that same factory (:func:`open_repository`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from pyramid.config import Configurator
from pyramid.path import DottedNameResolver
from pyramid.registry import Registry
from pyramid.scripting import prepare

from rcpyramid.config import SettingsError
from rcpyramid.tokens.interfaces import TokenRepository, iter_subclass_problems

T = TypeVar("T")


def resolve_backend(dotted: str) -> type[TokenRepository]:
    """The class ``rcpyramid.tokens.backend`` names; refuse one that is not a repository."""
    try:
        backend: type[TokenRepository] = DottedNameResolver().maybe_resolve(dotted)
    except ImportError as error:
        raise SettingsError(
            f"rcpyramid.tokens.backend: cannot import {dotted!r} ({error})"
        ) from error
    problems = list(iter_subclass_problems(backend))
    if problems:
        raise SettingsError(f"rcpyramid.tokens.backend: {problems[0]}")
    return backend


def includeme(config: Configurator) -> None:
    registry = config.registry
    backend = resolve_backend(registry.app_settings.tokens.backend)
    # What the server runner and the end of a process call; a backend with a pool replaces them.
    registry.check_server_threads = _nothing_to_check
    registry.close_token_store = _nothing_to_close
    factory = backend.service_factory(config)
    if factory is not None:
        config.register_service_factory(factory, TokenRepository)
        return
    # Otherwise the wiring is the backend's module's includeme; a subclass of a backend
    # defined elsewhere inherits the wiring of the module its base comes from.
    for klass in backend.__mro__:
        module = importlib.import_module(klass.__module__)
        if callable(getattr(module, "includeme", None)):
            config.include(module)
            return
    raise SettingsError(
        f"rcpyramid.tokens.backend: {backend.__module__} has no includeme(config) to wire "
        f"{backend.__qualname__} into the app"
    )


def _nothing_to_check(threads: int) -> None:
    """Stores without a connection pool fit any number of server threads."""


def _nothing_to_close() -> None:
    """Stores that hold no connections have nothing to release."""


@contextmanager
def open_repository(registry: Registry) -> Iterator[TokenRepository]:
    """The app's repository outside a web request (console scripts, tests), by its factory.

    The repository joins a request's transaction as it does in the app; that
    transaction commits when the block ends normally and aborts on an exception.
    """
    env = prepare(registry=registry)
    request = env["request"]
    try:
        if "dbsession_factory" in registry:  # the backend brought pyramid_tm
            with request.tm:
                yield request.find_service(TokenRepository)
        else:
            yield request.find_service(TokenRepository)
    finally:
        env["closer"]()
