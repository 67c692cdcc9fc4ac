"""Readiness: may the load balancer send this process people right now?

Each hard dependency is checked on its own, under its own deadline
(``rcpyramid.health.timeout``), in a small pool of threads: a database that does not
answer costs the check that deadline, not the request's thread, and the answer names
which dependency failed. Other parts add their own checks with
``config.add_readiness_check(name, check)`` (the subscriptions of the live call history
will): ``check()`` returns normally when ready and raises with a short reason when not.

Liveness (``/livez``) checks none of this: a process whose database is down is alive,
and restarting it would not bring the database back.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from typing import Any

from pyramid.config import Configurator
from pyramid.registry import Registry

from rcpyramid.cache import Cache
from rcpyramid.models.deadline import DatabaseBusyError
from rcpyramid.tokens.interfaces import TokenRepository, TokenStoreError

log = logging.getLogger(__name__)

#: ``check()``: returns when ready (None, or a word to report such as "busy"), raises when not.
Check = Callable[[], str | None]

#: Threads that may run checks at once in one process: a hung check holds one until the
#: dependency's own timeout frees it; more checks than this wait and time out.
POOL_SIZE = 4


class NotReadyError(Exception):
    """A dependency is not ready; the message is a short machine word or phrase."""


class Readiness:
    """The checks of one process, run together, each under its own deadline."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.checks: dict[str, Callable[[Any], Check | None]] = {}
        #: What ready checks answered ("ok", "busy", ...).
        self.ready_words: set[str] = {"ok"}
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def add(self, name: str, prepare: Callable[[Any], Check | None]) -> None:
        """``prepare(request)`` returns the check to run (in another thread), or None to skip."""
        self.checks[name] = prepare

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            # A forked worker does not have its parent's threads: it makes its own pool.
            if self._pool is None or self._pid != os.getpid():
                self._pool = ThreadPoolExecutor(POOL_SIZE, thread_name_prefix="rcpyramid-ready")
                self._pid = os.getpid()
            return self._pool

    def run(self, request: Any) -> dict[str, str]:
        """``{name: "ok" | why not}`` for every check that applies here."""
        futures: dict[str, Future[str | None]] = {}
        results: dict[str, str] = {}
        for name, prepare in self.checks.items():
            check = prepare(request)
            if check is not None:
                futures[name] = self._executor().submit(check)
        for name, future in futures.items():
            try:
                word = future.result(timeout=self.timeout)
            except FutureTimeoutError:
                results[name] = "timeout"
            except Exception as error:
                results[name] = _reason(error)
            else:
                results[name] = word or "ok"
                self.ready_words.add(results[name])
        return results

    def failed(self, results: dict[str, str]) -> list[str]:
        """The checks that failed (not those that answered with a word of their own)."""
        return sorted(name for name, word in results.items() if word not in self.ready_words)


def _reason(error: BaseException) -> str:
    """A short word for the answer: the error's class only (its text may hold a URL)."""
    if isinstance(error, NotReadyError):
        return str(error)[:100] or "not ready"
    return type(error).__name__


def add_readiness_check(config: Configurator, name: str, prepare: Callable[[Any], Any]) -> None:
    """The ``config.add_readiness_check`` directive."""
    config.registry.readiness.add(name, prepare)


def _token_store(request: Any) -> Check:
    # Found in the request's thread (services are per request); ping() uses the
    # store's own engine, never the request's session, so another thread may call it.
    repo = request.find_service(TokenRepository)

    def ping() -> str | None:
        try:
            repo.ping()
        except TokenStoreError as error:
            if isinstance(error.__cause__, DatabaseBusyError):
                # The database answers; this process's threads are all waiting on it. Taking
                # every equally loaded host out at once would turn load into an outage.
                return "busy"
            raise
        return None

    return ping


def _redis(request: Any) -> Check | None:
    store = request.find_service(Cache).store
    if store is None:
        return None  # not configured: each process keeps its own cache and budget

    def ping() -> None:
        if not store.ping():
            raise NotReadyError("down")

    return ping


def includeme(config: Configurator) -> None:
    registry: Registry = config.registry
    registry.readiness = Readiness(registry.app_settings.ops.health_timeout)
    config.add_directive("add_readiness_check", add_readiness_check)
    registry.readiness.add("token_store", _token_store)
    registry.readiness.add("redis", _redis)
