"""Every route of the app. The seed's paths keep answering."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.add_static_view("static", "rcpyramid:static", cache_max_age=3600)
    config.add_route("home", "/")
    config.add_route("home.index", "/index")
    config.add_route("oauth.login", "/login")
    config.add_route("oauth.callback", "/oauth2callback")
    config.add_route("oauth.logout", "/logout")
    config.add_route("api.page", "/test")
    config.add_route("health", "/healthz")
