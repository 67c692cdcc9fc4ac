"""Console scripts that work on the token store named by an ini file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pyramid.paster import get_appsettings, setup_logging

from rcpyramid.clock import utcnow
from rcpyramid.config import SettingsError, load_store
from rcpyramid.tokens import resolve_backend
from rcpyramid.tokens.interfaces import TokenRepository


def ini_settings(config_uri: str) -> dict[str, Any]:
    """``[app:main]`` of ``config_uri``, with ``here`` as the app itself sees it."""
    settings = get_appsettings(config_uri, name="main")
    return {"here": settings.global_conf.get("here", ""), **settings}


def repository_from_ini(config_uri: str) -> TokenRepository:
    """The process-wide token repository the ini file configures (no app, no RingCentral)."""
    settings = load_store(ini_settings(config_uri))
    backend = resolve_backend(settings.tokens.backend)
    return backend.from_settings(settings, utcnow)


def open_repository(prog: str, description: str, argv: list[str] | None) -> TokenRepository:
    """Parse ``<ini>`` from ``argv``, set up its logging, and open its token repository.

    A configuration problem is printed with the program's name and exits with status 2.
    """
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("config_uri", help="the app's ini file, e.g. production.ini")
    args = parser.parse_args(argv)
    setup_logging(args.config_uri)
    try:
        return repository_from_ini(args.config_uri)
    except SettingsError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        raise SystemExit(2) from error
