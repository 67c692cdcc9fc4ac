"""Webhook deliveries end to end over real HTTP: call events, blacklisting, reminders, quirks.

A small receiver (the test kit's WebhookReceiver, not the app) subscribes and receives.
"""

from __future__ import annotations

from rcpyramid.simulator.testing import wait_until

from .push import COMPANY_CALLS, MY_CALLS, MY_PRESENCE, SUBSCRIPTION, call, subscribe


def test_a_placed_call_arrives_in_order_with_the_verification_token(rc, webhook_receiver):
    token = rc.login("alice")["access_token"]
    mode = {"verificationToken": "shared-secret-2"}
    sub = subscribe(rc, token, webhook_receiver.url, [MY_CALLS, MY_PRESENCE], mode=mode).json()
    placed = rc.running.place_call("alice", direction="Inbound", result="Answered", duration=42)
    assert placed["deliveriesQueued"] == 6
    got = webhook_receiver.wait_for_count(6)
    for item in got:
        assert item.headers["verification-token"] == "shared-secret-2"
        assert item.headers["user-agent"] == "RingCentral-Webhook/8.3"
        assert item.headers["content-type"] == "application/json; charset=UTF-8"
        assert set(item.body) == {"uuid", "event", "timestamp", "subscriptionId", "ownerId", "body"}
        assert item.body["subscriptionId"] == sub["id"]
        assert item.body["ownerId"] == placed["extensionId"]
    calls = [d.body for d in got if d.body["event"].endswith("/telephony/sessions")]
    assert [c["body"]["sequence"] for c in calls] == [1, 2, 3]
    codes = [c["body"]["parties"][0]["status"]["code"] for c in calls]
    assert codes == ["Proceeding", "Answered", "Disconnected"]
    assert {c["body"]["telephonySessionId"] for c in calls} == {placed["telephonySessionId"]}
    presence = [d.body["body"] for d in got if "presence" in d.body["event"]]
    assert [p["telephonyStatus"] for p in presence] == ["Ringing", "CallConnected", "NoCall"]
    last = presence[-1]["activeCalls"][0]
    assert (last["telephonyStatus"], last["terminationType"]) == ("NoCall", "final")
    assert presence[0]["sequence"] < presence[1]["sequence"] < presence[2]["sequence"]
    wait_until(lambda: rc.counters()["deliveries"] == 6)


def test_the_company_filter_hears_everyone_and_others_hear_only_their_own(rc, webhook_receiver):
    account = rc.simulator.directory.account_id
    alice = rc.login("alice")["access_token"]
    bob = rc.login("bob")["access_token"]
    company = subscribe(rc, alice, webhook_receiver.url, [COMPANY_CALLS]).json()
    own = subscribe(rc, bob, webhook_receiver.url, [MY_CALLS]).json()
    carols = rc.running.place_call("carol", direction="Outbound", result="Missed")
    got = webhook_receiver.wait_for_count(3)
    assert {d.body["subscriptionId"] for d in got} == {company["id"]}
    assert {d.body["event"] for d in got} == {f"/restapi/v1.0/account/{account}/telephony/sessions"}
    statuses = [d.body["body"]["parties"][0]["status"] for d in got]
    assert [s["code"] for s in statuses] == ["Setup", "Proceeding", "Disconnected"]
    assert statuses[-1]["reason"] == "NoAnswer"
    assert got[0].body["body"]["telephonySessionId"] == carols["telephonySessionId"]
    bobs = rc.running.place_call("bob", direction="Inbound", result="Missed")
    got = webhook_receiver.wait_for_count(7)[3:]
    assert sorted(d.body["subscriptionId"] for d in got) == sorted(
        [own["id"]] * 2 + [company["id"]] * 2
    )
    assert {d.body["body"]["telephonySessionId"] for d in got} == {bobs["telephonySessionId"]}
    ends = [d.body["body"]["parties"][0] for d in got]
    ends = [p for p in ends if p["status"]["code"] == "Disconnected"]
    assert ends and all(p["missedCall"] is True for p in ends)


def test_a_receiver_that_keeps_failing_gets_blacklisted_and_stops_receiving(rc, webhook_receiver):
    token = rc.login("alice")["access_token"]
    sub = subscribe(rc, token, webhook_receiver.url, [MY_CALLS]).json()
    webhook_receiver.status = 500
    rc.running.place_call("alice", result="Answered", duration=5)  # 3 events, 3 failures

    def blacklisted():
        body = call(rc, "GET", f"{SUBSCRIPTION}/{sub['id']}", token).json()
        return body if body["status"] == "Blacklisted" else None

    body = wait_until(blacklisted)
    assert body["blacklistedData"]["reason"] == (
        "Webhook responses with code: [500], reason: [Internal Server Error]"
    )
    assert body["blacklistedData"]["blacklistedAt"]
    assert rc.running.place_call("alice")["deliveriesQueued"] == 0
    (state,) = rc.running.subscriptions()
    assert state["status"] == "Blacklisted" and state["consecutive_failures"] == 3
    attempts = rc.running.deliveries()
    assert [a["status"] for a in attempts] == [500, 500, 500]


def test_failed_deliveries_control_blacklists_without_sending(rc, webhook_receiver):
    token = rc.login("alice")["access_token"]
    sub = subscribe(rc, token, webhook_receiver.url, [MY_CALLS]).json()
    assert rc.running.fail_deliveries(3) == 3
    rc.running.place_call("alice", direction="Outbound", result="Answered", duration=5)

    def reason():
        state = rc.running.subscriptions()[0]
        return state["blacklistedData"] and state["blacklistedData"]["reason"]

    assert "Connect timed out" in wait_until(reason)
    assert webhook_receiver.deliveries == []
    assert call(rc, "GET", f"{SUBSCRIPTION}/{sub['id']}", token).json()["status"] == "Blacklisted"


def test_renewal_reminders_follow_threshold_and_interval(rc, webhook_receiver):
    token = rc.login("alice")["access_token"]
    reminder = "/restapi/v1.0/subscription/~?threshold=50&interval=20"
    sub = subscribe(rc, token, webhook_receiver.url, [reminder], expiresIn=120).json()
    rc.advance(75)  # 45 s left: inside the threshold
    (first,) = webhook_receiver.wait_for_count(1)
    assert first.body["event"] == f"/restapi/v1.0/subscription/{sub['id']}?threshold=50&interval=20"
    assert 0 < first.body["body"]["expiresIn"] <= 50
    rc.advance(25)
    second = webhook_receiver.wait_for_count(2)[1]
    assert second.body["body"]["expiresIn"] < first.body["body"]["expiresIn"]


def test_duplicate_and_out_of_order_deliveries_on_demand(rc, webhook_receiver):
    token = rc.login("alice")["access_token"]
    subscribe(rc, token, webhook_receiver.url, [MY_CALLS])
    quirks = rc.running.delivery_quirks(duplicate=1, out_of_order=1)
    assert quirks == {"delay": 0.0, "duplicate": 1, "out_of_order": 1}
    rc.running.place_call("alice", direction="Inbound", result="Answered", duration=9)
    got = webhook_receiver.wait_for_count(4)
    sequences = [d.body["body"]["sequence"] for d in got]
    assert sequences == [3, 3, 2, 1]  # newest first, the first one twice
    assert got[0].body["uuid"] == got[1].body["uuid"]
    assert len({d.body["uuid"] for d in got}) == 3


def test_an_address_secret_stays_out_of_controls_and_pages(rc, webhook_receiver):
    token = rc.login("alice")["access_token"]
    address = webhook_receiver.url + "?auth_token=url-secret-77"
    sub = subscribe(rc, token, address, [MY_CALLS]).json()
    assert sub["deliveryMode"]["address"] == address  # the owner sees what it registered
    rc.running.place_call("alice")
    (first, *_) = webhook_receiver.wait_for_count(2)
    assert first.path.endswith("?auth_token=url-secret-77")
    wait_until(lambda: rc.running.deliveries())
    assert "url-secret-77" not in str(rc.running.subscriptions())
    assert "url-secret-77" not in str(rc.running.deliveries()[0]["address"])
    assert "url-secret-77" not in rc.get("/").text


def test_a_stuck_receiver_never_holds_up_the_api(make_rc, webhook_receiver):
    rc = make_rc(webhook_timeout=20)  # the held delivery must not time out meanwhile
    token = rc.login("alice")["access_token"]
    subscribe(rc, token, webhook_receiver.url, [MY_CALLS])
    webhook_receiver.pause()
    try:
        placed = rc.running.place_call("alice", result="Answered", duration=3)
        assert placed["deliveriesQueued"] == 3
        # While the first delivery hangs, the API and the controls answer.
        assert rc.get("/restapi/v1.0/account/~/extension/~", token).status_code == 200
        assert call(rc, "GET", SUBSCRIPTION, token).status_code == 200
        assert rc.running.deliveries() == []
    finally:
        webhook_receiver.resume()
    assert len(webhook_receiver.wait_for_count(3)) == 3
