"""Codes and sessions survive a restart when a state file is configured."""

from __future__ import annotations

import json
import stat

ME = "/restapi/v1.0/account/~/extension/~"


def test_sessions_survive_a_restart(make_rc, tmp_path):
    state_file = tmp_path / "state" / "sim.json"
    first = make_rc(state_file=state_file)
    tokens = first.login()
    rotated = first.refresh(tokens["refresh_token"]).json()
    pending_code = first.code("bob")

    second = make_rc(state_file=state_file)
    assert second.get(ME, rotated["access_token"]).status_code == 200
    # The grace replay still returns the same pair after the restart.
    replay = second.refresh(tokens["refresh_token"]).json()
    assert replay["access_token"] == rotated["access_token"]
    assert second.exchange(pending_code).status_code == 200
    assert second.refresh(rotated["refresh_token"]).status_code == 200


def test_revocation_survives_a_restart(make_rc, tmp_path):
    state_file = tmp_path / "sim.json"
    first = make_rc(state_file=state_file)
    tokens = first.login()
    client = first.simulator.config.clients[0]
    first.post(
        "/restapi/oauth/revoke",
        data={"token": tokens["refresh_token"]},
        auth=(client.client_id, client.client_secret),
    )
    second = make_rc(state_file=state_file)
    assert second.get(ME, tokens["access_token"]).status_code == 401
    assert second.refresh(tokens["refresh_token"]).json()["errors"][0]["errorCode"] == "OAU-211"


def test_state_file_is_private_and_holds_no_raw_secrets(make_rc, tmp_path):
    state_file = tmp_path / "private" / "sim.json"
    rc = make_rc(state_file=state_file)
    tokens = rc.login()
    rotated = rc.refresh(tokens["refresh_token"]).json()
    code = rc.code()
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(state_file.parent.stat().st_mode) == 0o700
    text = state_file.read_text()
    for pair in (tokens, rotated):
        assert pair["access_token"] not in text
        assert pair["refresh_token"] not in text
    assert code not in text
    data = json.loads(text)
    assert data["version"] == 1 and len(data["sessions"]) == 1
    # The spent code stays (as a hash) so a second redemption can revoke its session.
    assert sorted(c["spent"] for c in data["codes"].values()) == [False, True]
    assert [p.name for p in state_file.parent.iterdir()] == ["sim.json"]  # no temp leftovers


def test_corrupt_state_file_is_ignored(make_rc, tmp_path, caplog):
    state_file = tmp_path / "sim.json"
    state_file.write_text("{not json")
    rc = make_rc(state_file=state_file)
    assert "ignoring unreadable state file" in caplog.text
    assert rc.login()["token_type"] == "bearer"
    assert json.loads(state_file.read_text())["version"] == 1


def test_memory_only_by_default(rc, tmp_path):
    rc.login()
    assert rc.simulator.config.state_file is None
    assert list(tmp_path.iterdir()) == []
