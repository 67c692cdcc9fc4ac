"""The local call history: each person's (and each account's) call records, kept by the app.

The backend follows the token store, so one setting decides where everything lives:
SQL tokens (``rcpyramid.tokens.sqla``) keep histories in the same database, through
the same engine and key ring (:mod:`rcpyramid.callstore.sqla`); memory tokens keep
them in the process's memory (:mod:`rcpyramid.callstore.memory`). Include this after
``rcpyramid.tokens``. Views reach the request's history with
``request.find_service(CallHistory)``; work outside a request (a sync worker) uses
:func:`history_outside_requests`, whose every call is a transaction of its own.
"""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.registry import Registry

from rcpyramid.callstore.interfaces import CallHistory
from rcpyramid.tokens import resolve_backend
from rcpyramid.tokens.sqla import SQLAlchemyTokenRepository


def includeme(config: Configurator) -> None:
    tokens = resolve_backend(config.registry.app_settings.tokens.backend)
    if issubclass(tokens, SQLAlchemyTokenRepository):
        config.include("rcpyramid.callstore.sqla")
    else:
        config.include("rcpyramid.callstore.memory")


def history_outside_requests(registry: Registry) -> CallHistory:
    """The app's call history for work outside a web request (each call its own transaction)."""
    history: CallHistory = registry.call_history_outside_requests
    return history
