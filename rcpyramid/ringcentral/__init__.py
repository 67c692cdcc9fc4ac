"""RingCentral for the app: one pooled client per process, an API service per request."""

from collections.abc import Callable
from datetime import timedelta

from pyramid.config import Configurator
from pyramid.request import Request

from rcpyramid.events import LoginEnded
from rcpyramid.ringcentral.api import RecentLogins, RingCentralApi
from rcpyramid.ringcentral.client import RingCentralClient
from rcpyramid.tokens.interfaces import Token, TokenRepository


def includeme(config: Configurator) -> None:
    registry = config.registry
    client = RingCentralClient(registry.app_settings.ringcentral, registry.clock)
    config.register_service(client, RingCentralClient)
    # The prefork server gives each worker a fresh pool (rcpyramid.server).
    registry.ringcentral_client = client
    cache = registry.cache
    recent = RecentLogins()
    max_age = timedelta(seconds=registry.app_settings.session.absolute_timeout)

    def ended(login_id: str, token: Token, usable: bool) -> None:
        registry.notify(LoginEnded(registry, login_id, token, usable))

    def make_api(repo: TokenRepository | Callable[[], TokenRepository]) -> RingCentralApi:
        return RingCentralApi(
            client,
            repo,
            registry.clock,
            max_age=max_age,
            cache=cache,
            recent=recent,
            ended=ended,
        )

    def api_factory(context: object, request: Request) -> RingCentralApi:
        # Asked on first use: a cache hit opens no database session.
        return make_api(lambda: request.find_service(TokenRepository))

    config.register_service_factory(api_factory, RingCentralApi)
    #: The same client outside a request (the history worker), on a repository it opened.
    registry.make_ringcentral_api = make_api
