"""Pyramid events of the app: a login started, a login ended.

Subscribers (``config.add_subscriber``) keep what belongs to a login in step with it:
the live call history starts a person's history when their first login starts and
deletes it, with their webhook subscription, when their last login ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rcpyramid.tokens.interfaces import Token


@dataclass(frozen=True)
class LoginStarted:
    """A person signed in: ``login_id``'s tokens are saved; ``profile`` is their extension info."""

    request: Any
    login_id: str = field(repr=False)
    token: Token
    #: RingCentral's ``/restapi/v1.0/account/~/extension/~`` answer (None: not read).
    profile: Any = field(default=None, repr=False)


@dataclass(frozen=True)
class LoginEnded:
    """A login ended: signed out, timed out, purged, or its tokens died at RingCentral.

    ``usable``: its access token may still work (a sign-out tells before it revokes);
    False when RingCentral already refused it.
    """

    registry: Any
    login_id: str = field(repr=False)
    token: Token
    usable: bool
