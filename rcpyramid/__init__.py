"""rcpyramid: sign in with RingCentral (OAuth 2.0 authorization code flow) on Pyramid."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, Environment, TemplateNotFound
from pyramid.config import Configurator
from pyramid_jinja2 import IJinja2Environment

from rcpyramid import config as settings_table
from rcpyramid.clock import utcnow
from rcpyramid.guard import RequestGuard

#: Where the templates are when nothing configures it: next to the package in a checkout.
DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


JINJA2_FILTERS = """
duration = rcpyramid.views.formatting:duration
when = rcpyramid.views.formatting:when
party = rcpyramid.views.formatting:party
result = rcpyramid.views.formatting:result
status_words = rcpyramid.views.formatting:status_words
extension_status = rcpyramid.views.formatting:extension_status
"""


#: Variables `pserve development.ini NAME=VALUE` may set, and the settings they fill.
CONFIG_VARIABLES = {
    "http_port": "rcpyramid.http_port",
    "simulator_port": "rcpyramid.simulator.port",
}


def main(global_config: dict[str, Any] | None, **settings: Any) -> RequestGuard:
    """Build the WSGI app from the ini file's ``[app:main]`` settings."""
    global_config = global_config or {}
    here = global_config.get("here") or settings.get("here") or os.getcwd()
    # `pserve development.ini http_port=8080` hands its variables over in global_config.
    for variable, key in CONFIG_VARIABLES.items():
        if global_config.get(variable):
            settings[key] = global_config[variable]
    app_settings = settings_table.load({"here": here, **settings})
    if app_settings.ringcentral.insecure_transport:
        # oauthlib refuses http unless this process-wide switch is on; the settings
        # check already limited http to loopback hosts outside production.
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    settings.setdefault("jinja2.directories", str(DEFAULT_TEMPLATES))
    settings.setdefault("jinja2.filters", JINJA2_FILTERS)
    with Configurator(settings=settings) as config:
        config.registry.app_settings = app_settings
        config.registry.clock = settings.get("rcpyramid.clock") or utcnow
        config.include("pyramid_jinja2")
        config.include("rcpyramid.services")
        config.include(".security")
        config.include(".compression")
        config.include(".tokens")
        config.include(".callstore")
        config.include(".cache")
        config.include(".ringcentral")
        config.include(".routes")
        config.include(".views.person")
        config.include(".views.api")
        config.include(".guard")
        config.scan(".views")
    remember_missing_templates(config.registry)
    # Checked before Pyramid parses anything; `.registry` stays reachable through it.
    return RequestGuard(config.make_wsgi_app())


class _MissesRemembered(BaseLoader):
    """The Jinja2 loader, remembering which names it did not find.

    pyramid_jinja2 first looks a template up as an asset of the calling package
    (``rcpyramid.views:api_extensions.jinja2``), a file test and an exception on every
    render, before the search path finds it; Jinja2 caches what it finds, not what it
    misses. Only where templates are not reloaded: there no file can appear later.
    """

    def __init__(self, loader: BaseLoader) -> None:
        self.loader = loader
        self._missing: set[str] = set()

    def get_source(self, environment: Environment, template: str) -> Any:
        if template in self._missing:
            raise TemplateNotFound(template)
        try:
            return self.loader.get_source(environment, template)
        except TemplateNotFound:
            self._missing.add(template)
            raise


def remember_missing_templates(registry: Any) -> None:
    environment = registry.queryUtility(IJinja2Environment, name=".jinja2")
    if environment is not None and not environment.auto_reload:
        environment.loader = _MissesRemembered(environment.loader)
