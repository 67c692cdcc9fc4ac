"""Ending a login: RingCentral is told when the reason calls for it; the login goes regardless."""

from __future__ import annotations

from typing import Any

import pytest

from rcpyramid.clock import utcnow
from rcpyramid.logins import EndReason, end_login
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


@pytest.mark.parametrize(
    "reason", [EndReason.SIGNED_OUT, EndReason.TIMED_OUT, EndReason.IDLE, EndReason.REPLACED]
)
def test_a_login_ended_here_is_revoked_at_ringcentral_and_deleted(reason: EndReason) -> None:
    client = RecordingClient()
    repo, services = ending(client)
    assert end_login(services, reason, login_id="login-1") is True
    assert client.revoked == ["access-1"]
    assert repo.get("login-1") is None


def test_a_session_ringcentral_ended_is_not_revoked_again() -> None:
    client = RecordingClient()
    _, services = ending(client)
    # The signed-in client forgot the stored login when RingCentral refused it.
    assert end_login(services, EndReason.ENDED_AT_RINGCENTRAL, login_id="login-1") is True
    assert client.revoked == []


def test_a_revoke_ringcentral_does_not_answer_still_ends_the_login_here() -> None:
    repo, services = ending(RecordingClient(fails=True))
    assert end_login(services, EndReason.SIGNED_OUT, login_id="login-1") is False
    assert repo.get("login-1") is None


def test_no_login_is_nothing_to_end() -> None:
    client = RecordingClient()
    _, services = ending(client)
    assert end_login(services, EndReason.SIGNED_OUT) is True
    assert client.revoked == []
