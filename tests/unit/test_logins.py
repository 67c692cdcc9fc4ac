"""Ending a login: RingCentral is told when the reason calls for it; the login goes regardless."""

from __future__ import annotations

from typing import Any

import pytest

from rcpyramid.clock import utcnow
from rcpyramid.logins import Ending, end_login
from rcpyramid.ringcentral.errors import RingCentralUnavailableError
from rcpyramid.ringcentral.signed_in import SignedInRingCentral
from rcpyramid.scripts import ScriptServices
from rcpyramid.tokens.memory import MemoryTokenRepository
from rcpyramid.tokens.testing import make_token


class RecordingClient:
    """Stands in for RingCentral's revoke endpoint."""

    def __init__(self, *, fails: bool = False) -> None:
        self.fails = fails
        self.revoked: list[str] = []

    def revoke(self, token: Any) -> None:
        if self.fails:
            raise RingCentralUnavailableError("RingCentral could not be reached")
        self.revoked.append(token.access_token)


def ending(client: RecordingClient) -> tuple[MemoryTokenRepository, ScriptServices]:
    repo = MemoryTokenRepository()
    repo.save("login-1", make_token(utcnow(), "1"))
    signed_in = SignedInRingCentral(client, repo, utcnow)
    return repo, ScriptServices({SignedInRingCentral: signed_in})


@pytest.mark.parametrize("reason", [Ending.SIGNED_OUT, Ending.TIMED_OUT, Ending.IDLE])
def test_a_login_ended_here_is_revoked_at_ringcentral_and_deleted(reason: Ending) -> None:
    client = RecordingClient()
    repo, services = ending(client)
    assert end_login(services, "login-1", reason) is True
    assert client.revoked == ["access-1"]
    assert repo.get("login-1") is None


def test_a_session_ringcentral_ended_is_not_revoked_again_but_deleted() -> None:
    client = RecordingClient()
    repo, services = ending(client)
    assert end_login(services, "login-1", Ending.REFUSED) is False
    assert client.revoked == []
    assert repo.get("login-1") is None


def test_a_revoke_ringcentral_does_not_answer_still_ends_the_login_here() -> None:
    repo, services = ending(RecordingClient(fails=True))
    assert end_login(services, "login-1", Ending.SIGNED_OUT) is False
    assert repo.get("login-1") is None


def test_no_login_is_nothing_to_end() -> None:
    client = RecordingClient()
    _, services = ending(client)
    assert end_login(services, None, Ending.SIGNED_OUT) is True
    assert client.revoked == []
