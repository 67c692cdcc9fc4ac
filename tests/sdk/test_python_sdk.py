"""The official RingCentral Python SDK (`ringcentral` 0.9.2), unchanged, against the simulator."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from ringcentral import SDK
from ringcentral.http.api_exception import ApiException
from ringcentral.platform.platform import Platform

from rcpyramid.simulator import DEMO_CLIENT, RegisteredClient, SimulatorConfig
from rcpyramid.simulator.testing import RunningSimulator
from tests.sdk.kit import REDIRECT_URI, START, browser_sign_in

ME = "/restapi/v1.0/account/~/extension/~"
EXTENSIONS = "/restapi/v1.0/account/~/extension"
MY_CALL_LOG = "/restapi/v1.0/account/~/extension/~/call-log"
COMPANY_CALL_LOG = "/restapi/v1.0/account/~/call-log"


def authorize_url(sim: RunningSimulator, client: RegisteredClient, state: str) -> str:
    # Built by hand, as RingCentral's own Python quick start does: the SDK's login_url()
    # raises NameError in 0.9.2 (it uses urllib.parse without importing it).
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT_URI,
        "state": state,
    }
    return f"{sim.url}/restapi/oauth/authorize?{urlencode(query)}"


def signed_in_platform(sim: RunningSimulator, username: str = "alice") -> Platform:
    callback = browser_sign_in(authorize_url(sim, DEMO_CLIENT, "py-state"), username=username)
    assert callback["state"] == "py-state"
    platform = SDK(DEMO_CLIENT.client_id, DEMO_CLIENT.client_secret, sim.url).platform()
    platform.login(code=callback["code"], redirect_uri=REDIRECT_URI)
    return platform


def failure(call: Any, *args: Any) -> tuple[int, dict[str, Any], Any]:
    """Status, JSON body and headers of the ApiException the SDK raises for a call."""
    with pytest.raises(ApiException) as raised:
        call(*args)
    response = raised.value.api_response().response()
    return response.status_code, response.json(), response.headers


def test_python_sdk_signs_in_reads_refreshes_and_logs_out(start_simulator) -> None:
    # RingCentral's default limits, enforced: a normal session must fit inside them.
    sim = start_simulator(rate_limits=dict(SimulatorConfig.DEFAULT_RATE_LIMITS))
    alice = sim.simulator.directory.extension_for("alice")

    callback = browser_sign_in(authorize_url(sim, DEMO_CLIENT, "xyz"))
    assert callback["state"] == "xyz"
    assert callback["expires_in"] == "60"
    platform = SDK(DEMO_CLIENT.client_id, DEMO_CLIENT.client_secret, sim.url).platform()
    token = platform.login(code=callback["code"], redirect_uri=REDIRECT_URI).json_dict()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 3600
    assert token["refresh_token_expires_in"] == 604800
    assert token["owner_id"] == str(alice.id)
    assert platform.logged_in()

    me = platform.get(ME).json_dict()
    assert (me["name"], me["extensionNumber"], me["contact"]["email"]) == (
        "Alice Smith",
        "101",
        "alice.smith@example.com",
    )

    users = platform.get(EXTENSIONS, {"status": "Enabled", "type": "User", "perPage": 5})
    listing = users.json_dict()
    assert len(listing["records"]) == 5
    assert {(r["type"], r["status"]) for r in listing["records"]} == {("User", "Enabled")}
    assert listing["paging"]["totalElements"] == sum(
        1 for e in sim.simulator.directory.extensions if (e.type, e.status) == ("User", "Enabled")
    )
    assert "Alice Smith" in [r["name"] for r in listing["records"]]

    # Given a dict, the SDK sends values without percent-encoding: the offsets' '+' arrive
    # as spaces, and the simulator must still read them as the times the app meant.
    date_from = START - timedelta(days=7)
    query = {
        "dateFrom": (date_from + timedelta(hours=2)).isoformat().replace("+00:00", "+02:00"),
        "dateTo": START.isoformat(),
        "direction": "Inbound",
        "view": "Detailed",
        "perPage": 1000,
    }
    assert "+" in query["dateFrom"] and "+" in query["dateTo"]
    log = platform.get(MY_CALL_LOG, query).json_dict()
    assert "dateFrom=2026-03-08T12:34:56.000Z" in log["uri"]
    assert "dateTo=2026-03-15T12:34:56.000Z" in log["uri"]
    expected = sim.simulator.call_log.query(
        owner_id=alice.id,
        date_from=date_from,
        date_to=START,
        now=START,
        directions=frozenset({"Inbound"}),
    )
    assert expected, "the seeded data should give Alice inbound calls in a week"
    assert [r["id"] for r in log["records"]] == [r.id for r in expected]
    assert all(r["direction"] == "Inbound" and r["legs"] for r in log["records"])

    # The SDK has no 401 retry: an expired access token surfaces, the app refreshes.
    sim.control("expire-access-tokens")
    status, body, _ = failure(platform.get, ME)
    assert (status, body["errors"][0]["errorCode"]) == (401, "OAU-128")
    before = platform.auth().data()
    platform.refresh()
    after = platform.auth().data()
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]
    assert platform.get(ME).json_dict()["name"] == "Alice Smith"

    session = platform.auth().data()
    platform.logout()
    assert platform.auth().access_token() == ""
    # The revoked session is dead for any copy of its tokens, as an app that kept them finds.
    stale = SDK(DEMO_CLIENT.client_id, DEMO_CLIENT.client_secret, sim.url).platform()
    stale.auth().set_data(session)
    status, body, _ = failure(stale.get, ME)
    assert (status, body["errors"][0]["errorCode"]) == (401, "OAU-213")
    status, body, _ = failure(stale.refresh)
    assert (status, body["error"]) == (400, "invalid_grant")

    counters = sim.counters()
    assert counters["grants"] == {"authorization_code": 1, "refresh_token": 1}
    assert counters["refreshes"] == 1
    assert counters["revokes"] == 1
    assert counters["token_errors"] == 1
    assert counters["rate_limited"] == 0


def test_python_sdk_sees_the_rate_limit_and_its_end(start_simulator) -> None:
    sim = start_simulator(rate_limits={"Heavy": 2})
    platform = signed_in_platform(sim)
    for _ in range(2):
        platform.get(MY_CALL_LOG, {"perPage": 1})

    status, body, headers = failure(platform.get, MY_CALL_LOG, {"perPage": 1})
    assert (status, body["errors"][0]["errorCode"]) == (429, "CMN-301")
    assert headers["Retry-After"] == "60"
    assert headers["X-Rate-Limit-Group"] == "Heavy"
    assert headers["X-Rate-Limit-Limit"] == "2"
    # Other groups are counted apart.
    assert platform.get(ME).json_dict()["name"] == "Alice Smith"

    sim.control("advance-clock", seconds=61)
    assert platform.get(MY_CALL_LOG, {"perPage": 1}).json_dict()["paging"]["perPage"] == 1
    assert sim.counters()["rate_limited"] == 1


def test_python_sdk_lists_for_a_standard_user_and_is_refused_the_company_log(
    start_simulator,
) -> None:
    sim = start_simulator()
    platform = signed_in_platform(sim, username="bob")
    assert platform.get(ME).json_dict()["name"] == "Bob Johnson"
    # A list of pairs is percent-encoded by the SDK and may repeat a key.
    listing = platform.get(
        EXTENSIONS, [("status", "Enabled"), ("status", "Disabled"), ("perPage", 1000)]
    ).json_dict()
    assert {r["status"] for r in listing["records"]} == {"Enabled", "Disabled"}
    status, body, _ = failure(platform.get, COMPANY_CALL_LOG)
    assert (status, body["errors"][0]["errorCode"]) == (403, "CMN-408")


def test_python_sdk_pages_through_the_company_log_by_its_navigation_uris(start_simulator) -> None:
    sim = start_simulator(rate_limits=dict(SimulatorConfig.DEFAULT_RATE_LIMITS))
    platform = signed_in_platform(sim)
    date_from = START - timedelta(days=2)
    query = {"dateFrom": date_from.isoformat(), "perPage": 100}
    body = platform.get(COMPANY_CALL_LOG, query).json_dict()
    ids = [r["id"] for r in body["records"]]
    pages = 1
    while "nextPage" in body["navigation"]:
        # An absolute URI: the SDK sends it as it is, query and all.
        body = platform.get(body["navigation"]["nextPage"]["uri"]).json_dict()
        ids += [r["id"] for r in body["records"]]
        pages += 1
    expected = sim.simulator.call_log.query(
        owner_id=None, date_from=date_from, date_to=START, now=START
    )
    assert pages == math.ceil(len(expected) / 100) > 1
    assert ids == [r.id for r in expected]


def test_python_sdk_subscribes_a_webhook_and_hears_a_call(start_simulator, webhook_receiver):
    sim = start_simulator()
    platform = signed_in_platform(sim)
    body = {
        "eventFilters": ["/restapi/v1.0/account/~/extension/~/telephony/sessions"],
        "deliveryMode": {
            "transportType": "WebHook",
            "address": webhook_receiver.url,
            "verificationToken": "py-sdk-token",
        },
    }
    created = platform.post("/restapi/v1.0/subscription", body).json_dict()
    assert created["status"] == "Active" and "verificationToken" not in created["deliveryMode"]
    sim.place_call("alice", direction="Outbound", result="Answered", duration=4)
    got = webhook_receiver.wait_for_count(4)
    assert {d.headers["verification-token"] for d in got} == {"py-sdk-token"}
    assert [d.body["body"]["sequence"] for d in got] == [1, 2, 3, 4]
    renewed = platform.post(f"/restapi/v1.0/subscription/{created['id']}/renew").json_dict()
    assert renewed["id"] == created["id"]
    platform.delete(f"/restapi/v1.0/subscription/{created['id']}")
    assert sim.subscriptions() == []
