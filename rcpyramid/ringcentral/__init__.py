"""RingCentral for the app: one pooled client per process, an API service per request."""

from datetime import timedelta

from pyramid.config import Configurator
from pyramid.request import Request

from rcpyramid.ringcentral.api import RingCentralApi
from rcpyramid.ringcentral.client import RingCentralClient
from rcpyramid.tokens.interfaces import TokenRepository


def includeme(config: Configurator) -> None:
    registry = config.registry
    client = RingCentralClient(registry.app_settings.ringcentral, registry.clock)
    config.register_service(client, RingCentralClient)
    # The prefork server gives each worker a fresh pool (rcpyramid.server).
    registry.ringcentral_client = client
    cache = registry.cache

    def api_factory(context: object, request: Request) -> RingCentralApi:
        return RingCentralApi(
            client,
            request.find_service(TokenRepository),
            registry.clock,
            max_age=timedelta(seconds=registry.app_settings.session.absolute_timeout),
            cache=cache,
        )

    config.register_service_factory(api_factory, RingCentralApi)
