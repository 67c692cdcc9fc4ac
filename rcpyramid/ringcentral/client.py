"""RingCentral over HTTP for the whole process: one transport, its OAuth grants and REST.

What callers use as one thing (and what a forked worker renews: :meth:`new_pool`);
each job is in its own module: :mod:`~rcpyramid.ringcentral.transport`,
:mod:`~rcpyramid.ringcentral.grants`, :mod:`~rcpyramid.ringcentral.rest`.
"""

from __future__ import annotations

from typing import Any

from rcpyramid.clock import Clock
from rcpyramid.config import RingCentralSettings
from rcpyramid.ringcentral.grants import Grants
from rcpyramid.ringcentral.rest import ApiResponse, Rest
from rcpyramid.ringcentral.transport import Transport
from rcpyramid.tokens.interfaces import Token


class RingCentralClient:
    """One per process: configuration plus the shared connection pool. Keeps no tokens."""

    def __init__(self, settings: RingCentralSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.transport = Transport(settings)
        self.grants = Grants(self.transport, clock)
        self.rest = Rest(self.transport, clock)

    def new_pool(self) -> None:
        """A fresh connection pool: a forked worker must not share its parent's sockets."""
        self.transport.new_pool()

    def authorize_url(self, state: str, verifier: str) -> str:
        return self.grants.authorize_url(state, verifier)

    def exchange_code(self, code: str, verifier: str) -> Token:
        return self.grants.exchange_code(code, verifier)

    def refresh(self, token: Token) -> Token:
        return self.grants.refresh(token)

    def revoke(self, token: Token) -> None:
        self.grants.revoke(token)

    def get(self, path: str, token: Token, params: dict[str, Any] | None = None) -> ApiResponse:
        return self.rest.get(path, token, params)
