"""Console scripts that work on the token store named by an ini file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pyramid.config import Configurator
from pyramid.paster import get_appsettings, setup_logging
from pyramid.registry import Registry

from rcpyramid.clock import utcnow
from rcpyramid.config import SettingsError, load_store
from rcpyramid.tokens import open_repository
from rcpyramid.tokens.interfaces import TokenRepository

T = TypeVar("T")


class ScriptServices:
    """What a script hands to code that asks a request for its services (``find_service``)."""

    def __init__(self, services: dict[type, object]) -> None:
        self._services = services

    def find_service(self, iface: type[T]) -> T:
        try:
            service = self._services[iface]
        except KeyError:
            raise LookupError(f"no service is registered for {iface.__name__}") from None
        assert isinstance(service, iface)
        return service


def ini_settings(config_uri: str) -> dict[str, Any]:
    """``[app:main]`` of ``config_uri``, with ``here`` as the app itself sees it."""
    settings = get_appsettings(config_uri, name="main")
    return {"here": settings.global_conf.get("here", ""), **settings}


def token_registry(config_uri: str) -> Registry:
    """The token store the ini file configures, wired as the app wires it (no RingCentral).

    Only the ``tokens`` and ``database`` sections are read, so a script needs no
    RingCentral credentials or session secret.
    """
    settings = ini_settings(config_uri)
    with Configurator(settings=settings) as config:
        config.registry.app_settings = load_store(settings)
        config.registry.clock = utcnow
        config.include("rcpyramid.services")
        config.include("rcpyramid.tokens")
    return config.registry


def script_arguments(prog: str, description: str, argv: list[str] | None) -> str:
    """Parse ``<ini>`` from ``argv`` and set up its logging; return the ini's URI."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("config_uri", help="the app's ini file, e.g. production.ini")
    args = parser.parse_args(argv)
    config_uri: str = args.config_uri
    setup_logging(config_uri)
    return config_uri


def settings_or_exit(prog: str, load: Callable[[], T]) -> T:
    """``load()``; a configuration problem is printed with the program's name, status 2."""
    try:
        return load()
    except SettingsError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        raise SystemExit(2) from error


@contextmanager
def script_repository(prog: str, config_uri: str) -> Iterator[TokenRepository]:
    """The token repository the ini configures, opened through the app's own factory."""
    registry = settings_or_exit(prog, lambda: token_registry(config_uri))
    try:
        with open_repository(registry) as repo:
            yield repo
    finally:
        registry.close_token_store()
