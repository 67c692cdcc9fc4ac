"""Every route of the app, and the only place their paths are written. The seed's keep answering."""

from pyramid.config import Configurator

#: Where RingCentral delivers webhook events (``ringcentral.webhook_url`` ends with it).
WEBHOOK_PATH = "/webhooks/ringcentral"

#: The redirect URI's path: the default ``ringcentral.redirect_url`` ends with it.
CALLBACK_PATH = "/oauth2callback"
#: Asked by machines by address (load balancers, Prometheus): never sent to the canonical host.
MACHINE_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/version", "/metrics"})


def includeme(config: Configurator) -> None:
    config.add_static_view("static", "rcpyramid:static", cache_max_age=3600)
    config.add_route("home", "/")
    config.add_route("home.index", "/index")
    config.add_route("oauth.login", "/login")
    config.add_route("oauth.callback", CALLBACK_PATH)
    config.add_route("oauth.logout", "/logout")
    config.add_route("api.page", "/test")
    config.add_route("prefs.zone", "/time-zone")
    config.add_route("health", "/healthz")
    config.add_route("webhooks.ringcentral", WEBHOOK_PATH)
    config.add_route("history.updates", "/calls/updates")
    config.add_route("health.live", "/livez")
    config.add_route("health.ready", "/readyz")
    config.add_route("health.version", "/version")
    config.add_route("metrics", "/metrics")
