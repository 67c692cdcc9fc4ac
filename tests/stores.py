"""The app's token store as tests see it: through the contract's verbs, never private state."""

from __future__ import annotations

from datetime import UTC, datetime

import webtest

from rcpyramid.tokens import open_repository
from rcpyramid.tokens.interfaces import PendingLimits, PendingSignIn, Token
from rcpyramid.tokens.memory import MemoryTokenRepository

#: Every login was last seen before this: ``idle_logins`` before it lists them all.
END_OF_TIME = datetime(2999, 12, 31, tzinfo=UTC)


def stored_logins(testapp: webtest.TestApp) -> dict[str, Token]:
    """Every login the app's repository holds, by login id."""
    with open_repository(testapp.app.registry) as repo:
        return dict(repo.idle_logins(END_OF_TIME, limit=10_000))


def only_token(testapp: webtest.TestApp) -> Token:
    """The one login's tokens (the test signed one person in)."""
    tokens = list(stored_logins(testapp).values())
    assert len(tokens) == 1
    return tokens[0]


class RecordingTokenRepository(MemoryTokenRepository):
    """The memory backend, also listing the sign-ins the app started (for tests to read)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.pending_added: list[PendingSignIn] = []

    def add_pending(self, pending: PendingSignIn, *, now: datetime, limits: PendingLimits) -> None:
        super().add_pending(pending, now=now, limits=limits)
        self.pending_added.append(pending)


#: ``rcpyramid.tokens.backend`` for an app whose started sign-ins a test reads.
RECORDING = "tests.stores.RecordingTokenRepository"


def recording(testapp: webtest.TestApp) -> RecordingTokenRepository:
    with open_repository(testapp.app.registry) as repo:
        assert isinstance(repo, RecordingTokenRepository)
        return repo
