"""The token repository: resolve the backend the ini names, check it, register it."""

from pyramid.config import Configurator
from pyramid.request import Request

from rcpyramid.config import SettingsError
from rcpyramid.tokens.interfaces import TokenRepository, iter_subclass_problems


def includeme(config: Configurator) -> None:
    registry = config.registry
    dotted = registry.app_settings.tokens_backend
    try:
        backend = config.maybe_dotted(dotted)
    except ImportError as error:
        raise SettingsError(
            f"rcpyramid.tokens.backend: cannot import {dotted!r} ({error})"
        ) from error
    problems = list(iter_subclass_problems(backend))
    if problems:
        raise SettingsError(f"rcpyramid.tokens.backend: {problems[0]}")
    repo = backend.from_settings(config.get_settings(), registry.clock)
    # The backend's own wiring: the SQL one brings pyramid_tm, pyramid_retry, request.dbsession.
    repo.configure(config)
    # The process-wide repository, for scripts, pshell and health checks.
    registry.token_repository = repo

    def per_request(context: object, request: Request) -> TokenRepository:
        return repo.for_request(request)

    config.register_service_factory(per_request, TokenRepository)
