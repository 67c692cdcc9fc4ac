"""Refresh-token rotation with grace, revocation and the per-user session limit (§3, §4)."""

from __future__ import annotations

import threading

import requests

ME = "/restapi/v1.0/account/~/extension/~"
TOKEN_NOT_FOUND_API = {
    "errorCode": "TokenInvalid",
    "message": "Token not found",
    "errors": [{"errorCode": "OAU-213", "message": "Token not found"}],
}


def _grant_error(response) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_grant"
    assert body["error_description"] == body["errors"][0]["message"]
    return body["errors"][0]["errorCode"]


def test_refresh_rotates_and_kills_the_old_access_token(rc):
    first = rc.login()
    response = rc.refresh(first["refresh_token"])
    assert response.status_code == 200
    second = response.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["owner_id"] == first["owner_id"]
    assert second["endpoint_id"] == first["endpoint_id"]
    old = rc.get(ME, first["access_token"])
    assert old.status_code == 401
    assert old.json() == TOKEN_NOT_FOUND_API
    assert rc.get(ME, second["access_token"]).status_code == 200


def test_previous_refresh_token_replays_the_same_pair_until_10s_after_first_use(rc, sim_clock):
    first = rc.login()
    second = rc.refresh(first["refresh_token"]).json()
    sim_clock.advance(100)
    replay = rc.refresh(first["refresh_token"])
    assert replay.status_code == 200
    again = replay.json()
    assert again["access_token"] == second["access_token"]
    assert again["refresh_token"] == second["refresh_token"]
    assert again["expires_in"] == 3600 - 100  # what remains
    assert again["refresh_token_expires_in"] == 604800 - 100

    assert rc.get(ME, second["access_token"]).status_code == 200  # first use
    sim_clock.advance(9)
    assert rc.refresh(first["refresh_token"]).json()["access_token"] == second["access_token"]
    sim_clock.advance(1)
    assert _grant_error(rc.refresh(first["refresh_token"])) == "OAU-213"
    # The new pair is unaffected.
    assert rc.get(ME, second["access_token"]).status_code == 200


def test_previous_refresh_token_works_60_minutes_if_the_new_pair_is_never_used(rc, sim_clock):
    first = rc.login()
    second = rc.refresh(first["refresh_token"]).json()
    sim_clock.advance(59 * 60 + 59)
    assert rc.refresh(first["refresh_token"]).json()["refresh_token"] == second["refresh_token"]
    sim_clock.advance(1)
    assert _grant_error(rc.refresh(first["refresh_token"])) == "OAU-213"


def test_only_one_previous_generation_survives(rc):
    first = rc.login()
    second = rc.refresh(first["refresh_token"]).json()
    third = rc.refresh(second["refresh_token"]).json()
    assert _grant_error(rc.refresh(first["refresh_token"])) == "OAU-213"
    assert rc.refresh(second["refresh_token"]).json()["access_token"] == third["access_token"]


def test_unknown_refresh_token_is_oau_213(rc):
    response = rc.refresh("no-such-token")
    assert response.json() == {
        "error": "invalid_grant",
        "errors": [{"errorCode": "OAU-213", "message": "Token not found"}],
        "error_description": "Token not found",
    }
    assert _grant_error(rc.refresh("")) == "OAU-213"


def test_expired_refresh_token_is_oau_210(rc, sim_clock):
    tokens = rc.login(refresh_token_ttl="3600")
    sim_clock.advance(3600)
    assert _grant_error(rc.refresh(tokens["refresh_token"])) == "OAU-210"


def test_expired_access_token_is_401_oau_128(rc, sim_clock):
    tokens = rc.login(access_token_ttl="600")
    sim_clock.advance(600)
    response = rc.get(ME, tokens["access_token"])
    assert response.status_code == 401
    assert response.json()["errors"] == [
        {"errorCode": "OAU-128", "message": "Access token expired"}
    ]
    assert rc.refresh(tokens["refresh_token"]).status_code == 200


def test_revoke_ends_the_whole_session(rc):
    tokens = rc.login()
    response = rc.post(
        "/restapi/oauth/revoke",
        data={"token": tokens["access_token"]},
        auth=(
            rc.simulator.config.clients[0].client_id,
            rc.simulator.config.clients[0].client_secret,
        ),
    )
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    api = rc.get(ME, tokens["access_token"])
    assert api.status_code == 401
    assert api.json() == TOKEN_NOT_FOUND_API
    assert _grant_error(rc.refresh(tokens["refresh_token"])) == "OAU-211"


def test_revoke_by_refresh_token_in_the_query_string_and_by_grace_token(rc):
    client = rc.simulator.config.clients[0]
    auth = (client.client_id, client.client_secret)
    tokens = rc.login()
    response = rc.post("/restapi/oauth/revoke?token=" + tokens["refresh_token"], auth=auth)
    assert response.status_code == 200
    assert rc.get(ME, tokens["access_token"]).status_code == 401

    first = rc.login()
    second = rc.refresh(first["refresh_token"]).json()
    assert rc.post("/restapi/oauth/revoke", data={"token": first["refresh_token"]}, auth=auth)
    assert rc.get(ME, second["access_token"]).status_code == 401
    assert _grant_error(rc.refresh(second["refresh_token"])) == "OAU-211"
    assert _grant_error(rc.refresh(first["refresh_token"])) == "OAU-211"


def test_revoke_of_unknown_token_is_200_but_needs_client_auth(rc):
    client = rc.simulator.config.clients[0]
    ok = rc.post(
        "/restapi/oauth/revoke",
        data={"token": "whatever"},
        auth=(client.client_id, client.client_secret),
    )
    assert ok.status_code == 200 and ok.content == b""
    assert rc.post("/restapi/oauth/revoke", data={"token": "x"}).status_code == 401


def test_session_limit_revokes_the_oldest_session(make_rc):
    rc = make_rc(max_sessions_per_user=2)
    one, two, three = rc.login(), rc.login(), rc.login()
    assert rc.get(ME, one["access_token"]).status_code == 401
    assert _grant_error(rc.refresh(one["refresh_token"])) == "OAU-211"
    assert rc.get(ME, two["access_token"]).status_code == 200
    assert rc.get(ME, three["access_token"]).status_code == 200
    # Other users have their own limit.
    bob = rc.login("bob")
    assert rc.get(ME, two["access_token"]).status_code == 200
    assert rc.get(ME, bob["access_token"]).status_code == 200


def test_refresh_counters_distinguish_new_pairs_from_replays(rc):
    first = rc.login()
    rc.refresh(first["refresh_token"])
    rc.refresh(first["refresh_token"])
    rc.refresh("unknown")
    counters = rc.counters()
    assert counters["grants"] == {"authorization_code": 1, "refresh_token": 2}
    assert counters["refreshes"] == 1
    assert counters["token_errors"] == 1


def test_concurrent_refreshes_with_one_token_all_get_the_same_pair(rc):
    tokens = rc.login()
    url = rc.url + "/restapi/oauth/token"
    client = rc.simulator.config.clients[0]
    results: list[dict] = []

    def refresh() -> None:
        with requests.Session() as http:
            response = http.post(
                url,
                data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                auth=(client.client_id, client.client_secret),
                timeout=10,
            )
        results.append(response.json())

    workers = [threading.Thread(target=refresh) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len({r["access_token"] for r in results}) == 1
    assert len({r["refresh_token"] for r in results}) == 1
    assert rc.counters()["refreshes"] == 1
    assert rc.counters()["grants"]["refresh_token"] == 8
