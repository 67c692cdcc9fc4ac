"""The logins this process read from the token store a moment ago, used again for a while."""

from __future__ import annotations

from datetime import timedelta

from rcpyramid.clock import Clock
from rcpyramid.memo import LockedTTL
from rcpyramid.tokens.interfaces import Token

#: How long tokens read from the token store are used again without reading it.
SIGNED_IN_RECHECK = timedelta(seconds=2)


class RecentLogins:
    """Tokens this process read from the token store a moment ago (one per process).

    A login read within :data:`SIGNED_IN_RECHECK` is not read again: a cache hit needs
    to know who the person is, a miss its access token, and neither needs the database
    for it every time. What can change meanwhile elsewhere is safe: a refresh in
    another process invalidates this access token, and the 401 that follows refreshes
    through the repository's lock, which finds the new pair; a sign-out in another
    process replaces the person's generation, which is in every cache key, and the
    revoked token meets a 401, whose refresh finds the login gone.
    """

    def __init__(self, clock: Clock, max_entries: int = 10_000) -> None:
        self._seen: LockedTTL[str, Token] = LockedTTL(
            max_entries,
            SIGNED_IN_RECHECK.total_seconds(),
            # The app's clock, so a test that moves it sees the store read again.
            timer=lambda: clock().timestamp(),
        )

    def token(self, login_id: str) -> Token | None:
        """The tokens of a login read in the last few seconds, else None."""
        return self._seen.get(login_id)

    def note(self, login_id: str, token: Token) -> None:
        self._seen[login_id] = token

    def forget(self, login_id: str) -> None:
        self._seen.pop(login_id)
