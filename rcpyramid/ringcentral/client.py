"""RingCentral over HTTP for the whole process: one transport, its OAuth grants and REST.

What callers use as one thing (and what a forked worker renews: :meth:`new_pool`);
each job is in its own module: :mod:`~rcpyramid.ringcentral.transport`,
:mod:`~rcpyramid.ringcentral.grants`, :mod:`~rcpyramid.ringcentral.rest`.
"""

from __future__ import annotations

from rcpyramid.clock import Clock
from rcpyramid.config import RingCentralSettings
from rcpyramid.ringcentral.grants import Grants
from rcpyramid.ringcentral.rest import Rest
from rcpyramid.ringcentral.transport import Transport
from rcpyramid.tokens.interfaces import Token


class RingCentralClient(Rest):
    """One per process: :class:`Rest`'s calls on the shared pool and the OAuth grants; no tokens."""

    def __init__(self, settings: RingCentralSettings, clock: Clock) -> None:
        super().__init__(Transport(settings), clock)
        self.settings = settings
        self.grants = Grants(self.transport, clock)

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
