"""Services by interface: ``config.register_service[_factory]`` and ``request.find_service``.

Also the after-fork hooks (``config.add_after_fork``): what each component reopens in
a new prefork worker, so the server runner needs to know none of them.

The same directives and request method as pyramid_services, for the part of it this app
uses (a service per class, no context or name). pyramid_services 2.2 resolves through
wired 0.4, which builds zope.interface registries for every request's container: on
the cached page that was a third of a request's CPU time, and it grew with the weak
references those registries leave behind. Here a lookup is two dict reads: the
factories live in a dict on the registry, and a request keeps what its factories made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pyramid.config import Configurator
from pyramid.request import Request

T = TypeVar("T")

#: ``factory(context, request)``, called once per request on first need.
Factory = Callable[[Any, Request], Any]


def register_service(config: Configurator, service: object, iface: type) -> None:
    """One instance for every request of every thread: it must be thread-safe."""
    config.registry.rcpyramid_services[iface] = lambda context, request: service


def register_service_factory(config: Configurator, factory: Factory, iface: type) -> None:
    """``factory(context, request)`` makes the request's own instance on first need."""
    config.registry.rcpyramid_services[iface] = factory


def find_service(request: Request, iface: type[T]) -> T:
    """The request's ``iface`` service (LookupError when none is registered)."""
    made: dict[type, Any] = request.__dict__.setdefault("rcpyramid_services", {})
    service: T
    try:
        service = made[iface]
    except KeyError:
        pass
    else:
        return service
    try:
        factory = request.registry.rcpyramid_services[iface]
    except KeyError:
        raise LookupError(f"no service is registered for {iface.__name__}") from None
    made[iface] = service = factory(getattr(request, "context", None), request)
    return service


def process_service(registry: Any, iface: type[T]) -> T:
    """A service registered with ``register_service``, outside any request (wiring, scripts)."""
    try:
        factory = registry.rcpyramid_services[iface]
    except KeyError:
        raise LookupError(f"no service is registered for {iface.__name__}") from None
    service: T = factory(None, None)
    return service


def add_after_fork(config: Configurator, hook: Callable[[], None]) -> None:
    """``hook()`` runs in each new prefork worker: reopen what the master opened."""
    config.registry.rcpyramid_after_fork.append(hook)


def after_fork(registry: Any) -> None:
    """In a new worker: every component's hook, in the order they were added."""
    for hook in getattr(registry, "rcpyramid_after_fork", ()):
        hook()


def includeme(config: Configurator) -> None:
    if not hasattr(config.registry, "rcpyramid_services"):
        config.registry.rcpyramid_services = {}
        config.registry.rcpyramid_after_fork = []
    config.add_directive("add_after_fork", add_after_fork)
    config.add_directive("register_service", register_service)
    config.add_directive("register_service_factory", register_service_factory)
    config.add_request_method(find_service, "find_service")
