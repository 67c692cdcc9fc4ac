"""The token repository: resolve the backend the ini names, check it, register it."""

from pyramid.config import Configurator
from pyramid.path import DottedNameResolver
from pyramid.request import Request

from rcpyramid.config import SettingsError
from rcpyramid.tokens.interfaces import TokenRepository, iter_subclass_problems


def resolve_backend(dotted: str) -> type[TokenRepository]:
    """The class ``rcpyramid.tokens.backend`` names; refuse one that is not a repository."""
    try:
        backend = DottedNameResolver().maybe_resolve(dotted)
    except ImportError as error:
        raise SettingsError(
            f"rcpyramid.tokens.backend: cannot import {dotted!r} ({error})"
        ) from error
    problems = list(iter_subclass_problems(backend))
    if problems:
        raise SettingsError(f"rcpyramid.tokens.backend: {problems[0]}")
    return backend


def includeme(config: Configurator) -> None:
    registry = config.registry
    backend = resolve_backend(registry.app_settings.tokens.backend)
    repo = backend.from_settings(registry.app_settings, registry.clock)
    # What the server runner calls with its thread count; a backend with a pool replaces it.
    registry.check_server_threads = lambda threads: None
    # The backend's own wiring: the SQL one brings pyramid_tm, pyramid_retry, request.dbsession.
    repo.configure(config)
    # The process-wide repository, for scripts, pshell and health checks.
    registry.token_repository = repo

    def per_request(context: object, request: Request) -> TokenRepository:
        return repo.for_request(request)

    config.register_service_factory(per_request, TokenRepository)
