"""Console scripts that work on the token store named by an ini file."""

from __future__ import annotations

from typing import Any

from pyramid.paster import get_appsettings

from rcpyramid.clock import utcnow
from rcpyramid.config import value_of
from rcpyramid.tokens import resolve_backend
from rcpyramid.tokens.interfaces import TokenRepository


def ini_settings(config_uri: str) -> dict[str, Any]:
    """``[app:main]`` of ``config_uri``, with ``here`` as the app itself sees it."""
    settings = get_appsettings(config_uri, name="main")
    return {"here": settings.global_conf.get("here", ""), **settings}


def repository_from_ini(config_uri: str) -> TokenRepository:
    """The process-wide token repository the ini file configures (no app, no RingCentral)."""
    settings = ini_settings(config_uri)
    backend = resolve_backend(value_of("rcpyramid.tokens.backend", settings))
    return backend.from_settings(settings, utcnow)
