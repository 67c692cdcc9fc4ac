"""RingCentral for the app: one pooled client per process, an API service per request."""

from datetime import timedelta

from pyramid.config import Configurator
from pyramid.request import Request

from rcpyramid.ringcentral.api import RecentLogins, RingCentralApi
from rcpyramid.ringcentral.client import RingCentralClient
from rcpyramid.tokens.interfaces import TokenRepository


def includeme(config: Configurator) -> None:
    registry = config.registry
    client = RingCentralClient(registry.app_settings.ringcentral, registry.clock)
    config.register_service(client, RingCentralClient)
    # The prefork server gives each worker a fresh pool (rcpyramid.server).
    registry.ringcentral_client = client
    cache = registry.cache
    recent = RecentLogins()
    max_age = timedelta(seconds=registry.app_settings.session.absolute_timeout)

    def api_factory(context: object, request: Request) -> RingCentralApi:
        return RingCentralApi(
            client,
            # Asked on first use: a cache hit opens no database session.
            lambda: request.find_service(TokenRepository),
            registry.clock,
            max_age=max_age,
            cache=cache,
            recent=recent,
        )

    config.register_service_factory(api_factory, RingCentralApi)
