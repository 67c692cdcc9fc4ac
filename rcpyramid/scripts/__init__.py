"""Console scripts that work on the token store named by an ini file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyramid.config import Configurator
from pyramid.paster import get_appsettings, setup_logging
from pyramid.registry import Registry

from rcpyramid.clock import utcnow
from rcpyramid.config import SettingsError, load_store
from rcpyramid.tokens import open_repository
from rcpyramid.tokens.interfaces import TokenRepository


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
        config.include("pyramid_services")
        config.include("rcpyramid.tokens")
    return config.registry


@contextmanager
def script_repository(
    prog: str, description: str, argv: list[str] | None
) -> Iterator[TokenRepository]:
    """Parse ``<ini>`` from ``argv``, set up its logging, and open its token repository.

    A configuration problem is printed with the program's name and exits with status 2.
    """
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("config_uri", help="the app's ini file, e.g. production.ini")
    args = parser.parse_args(argv)
    setup_logging(args.config_uri)
    try:
        registry = token_registry(args.config_uri)
    except SettingsError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    try:
        with open_repository(registry) as repo:
            yield repo
    finally:
        registry.close_token_store()
