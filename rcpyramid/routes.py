"""Every route of the app, and the only place their paths are written. The seed's keep answering."""

from urllib.parse import parse_qsl, urlencode

from pyramid.config import Configurator
from pyramid.events import NewRequest

#: Readable addresses of the API pages, and the ``api`` key each one means. The seed's
#: ``/test?api=...`` keeps serving the same pages (their canonical link names these).
READABLE = {
    "/calls": "extension-call-log",
    "/company/calls": "account-call-log",
    "/directory": "extension",
}
READABLE_PATHS = {api: path for path, api in READABLE.items()}

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
    config.add_subscriber(serve_readable_address, NewRequest)


def serve_readable_address(event: NewRequest) -> None:
    """``/calls?from=...`` is served as ``/test?api=extension-call-log&from=...``.

    Before routing, so every view, link and check sees the one address it knows; the
    links the app writes are readable again (:func:`rcpyramid.views.links.route_with_query`).
    """
    request = event.request
    api = READABLE.get(request.path_info.rstrip("/") or "/")
    if api is None:
        return
    kept = [
        (k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True) if k != "api"
    ]
    request.environ["rcpyramid.readable_path"] = request.path_info
    request.path_info = "/test"
    request.query_string = urlencode([("api", api), *kept])
