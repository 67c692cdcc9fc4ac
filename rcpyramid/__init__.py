"""rcpyramid: sign in with RingCentral (OAuth 2.0 authorization code flow) on Pyramid."""

from __future__ import annotations

import os
from typing import Any

from pyramid.config import Configurator

from rcpyramid import config as settings_table
from rcpyramid.clock import utcnow
from rcpyramid.compression import CompressingApp
from rcpyramid.guard import RequestGuard

#: The templates' filters (pyramid_jinja2's ``jinja2.filters``): each is the function of its
#: name in rcpyramid.views.formatting.
JINJA2_FILTERS = {
    name: f"rcpyramid.views.formatting:{name}"
    for name in (
        "duration",
        "when",
        "party",
        "result",
        "status_words",
        "extension_status",
        "short_duration",
        "talk_time",
        "clock",
        "iso",
        "contact",
        "colleague",
    )
}


#: Variables `pserve development.ini NAME=VALUE` may set, and the settings they fill.
CONFIG_VARIABLES = {
    "http_port": "rcpyramid.http_port",
    "simulator_port": "rcpyramid.simulator.port",
}


def main(global_config: dict[str, Any] | None, **settings: Any) -> CompressingApp:
    """Build the WSGI app from the ini file's ``[app:main]`` settings."""
    global_config = global_config or {}
    here = global_config.get("here") or settings.get("here") or os.getcwd()
    # `pserve development.ini http_port=8080` hands its variables over in global_config.
    for variable, key in CONFIG_VARIABLES.items():
        if global_config.get(variable):
            settings[key] = global_config[variable]
    app_settings = settings_table.load({"here": here, **settings})
    settings.setdefault("jinja2.filters", JINJA2_FILTERS)
    with Configurator(settings=settings) as config:
        config.registry.app_settings = app_settings
        config.registry.clock = settings.get("rcpyramid.clock") or utcnow
        config.include("pyramid_jinja2")
        config.include("rcpyramid.services")
        config.include(".security")
        config.include(".tokens")
        config.include(".callstore")
        config.include(".cache")
        config.include(".ringcentral")
        config.include(".livehistory")
        config.include(".ops")
        config.include(".routes")
        config.include(".views.signed_in")
        config.include(".views.api.views")
        config.include(".guard")
        config.scan(".views")
    # Checked before Pyramid parses anything; `.registry` stays reachable through it.
    return CompressingApp(RequestGuard(config.make_wsgi_app()))
