"""RingCentral for the app: one pooled client and budget per process, a service per request.

The modules, by job: :mod:`.endpoints` (paths, rate groups, time format),
:mod:`.transport` (the pooled HTTP transport, deadlines and the one error mapping),
:mod:`.grants` (OAuth), :mod:`.rest` (API calls), :mod:`.client` (the three together),
:mod:`.ratelimit` (the budget), :mod:`.signed_in` (a person's calls), :mod:`.refresh` (the
refresh protocol) and :mod:`.cached` (the answer cache in front of it), :mod:`.errors`.
"""

from collections.abc import Callable
from datetime import timedelta

from pyramid.config import Configurator
from pyramid.request import Request

from rcpyramid.cache import Cache
from rcpyramid.events import LoginEnded
from rcpyramid.ringcentral.cached import CachedRingCentral
from rcpyramid.ringcentral.client import RingCentralClient
from rcpyramid.ringcentral.ratelimit import RateLimitBudget
from rcpyramid.ringcentral.recent import RecentLogins
from rcpyramid.ringcentral.signed_in import SignedInRingCentral
from rcpyramid.services import process_service
from rcpyramid.tokens.interfaces import Token, TokenRepository


def includeme(config: Configurator) -> None:
    registry = config.registry
    client = RingCentralClient(registry.app_settings.ringcentral, registry.clock)
    config.register_service(client, RingCentralClient)
    # The prefork server gives each worker a fresh pool (rcpyramid.server).
    config.add_after_fork(client.new_pool)
    cache = process_service(registry, Cache)
    # RingCentral's counts, kept where the cache keeps its entries (shared when it is).
    budget = RateLimitBudget(cache.keys, cache.store)
    config.register_service(budget, RateLimitBudget)
    recent = RecentLogins(registry.clock)
    config.register_service(recent, RecentLogins)
    max_age = timedelta(seconds=registry.app_settings.session.absolute_timeout)

    def ended(login_id: str, token: Token, usable: bool) -> None:
        registry.notify(LoginEnded(registry, login_id, token, usable))

    def make_signed_in(
        repo: TokenRepository | Callable[[], TokenRepository],
    ) -> CachedRingCentral:
        return CachedRingCentral(
            client,
            repo,
            registry.clock,
            max_age=max_age,
            budget=budget,
            cache=cache,
            recent=recent,
            ended=ended,
        )

    def signed_in_factory(context: object, request: Request) -> CachedRingCentral:
        # Asked on first use: a cache hit opens no database session.
        return make_signed_in(lambda: request.find_service(TokenRepository))

    config.register_service_factory(signed_in_factory, CachedRingCentral)
    # One object per request whichever name a caller asks by.
    config.register_service_factory(
        lambda context, request: request.find_service(CachedRingCentral), SignedInRingCentral
    )
    #: The same client outside a request (the history worker), on a repository it opened.
    registry.make_signed_in = make_signed_in
