"""Webhook subscriptions: the API, the Validation-Token handshake, limits and refusals.

A small receiver (the test kit's WebhookReceiver, not the app) subscribes.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from rcpyramid.simulator import DEMO_CLIENT, RegisteredClient

from .push import COMPANY_CALLS, MY_CALLS, MY_PRESENCE, SUBSCRIPTION, call, subscribe


def test_create_handshakes_then_answers_with_ids_expanded_and_no_token(rc, webhook_receiver):
    tokens = rc.login("alice")
    alice = rc.simulator.directory.extension_for("alice")
    account = rc.simulator.directory.account_id
    response = subscribe(
        rc,
        tokens["access_token"],
        webhook_receiver.url,
        [MY_CALLS, MY_PRESENCE, "/restapi/v1.0/subscription/~?threshold=60&interval=30"],
        mode={"verificationToken": "shared-secret-1"},
    )
    assert response.status_code == 200, response.text
    (handshake,) = webhook_receiver.handshakes
    assert handshake.headers["validation-token"]
    assert handshake.headers["content-type"] == "application/json"
    assert handshake.body is None
    body = response.json()
    assert body["status"] == "Active"
    assert body["expiresIn"] == 604800
    assert body["deliveryMode"] == {
        "transportType": "WebHook",
        "encryption": False,
        "address": webhook_receiver.url,
    }
    assert "shared-secret-1" not in response.text
    assert body["eventFilters"] == [
        f"/restapi/v1.0/account/{account}/extension/{alice.id}/telephony/sessions",
        f"/restapi/v1.0/account/{account}/extension/{alice.id}/presence"
        "?detailedTelephonyState=true",
        f"/restapi/v1.0/subscription/{body['id']}?threshold=60&interval=30",
    ]
    assert body["uri"] == f"{rc.url}{SUBSCRIPTION}/{body['id']}"
    assert response.headers["X-Rate-Limit-Group"] == "Medium"
    listed = call(rc, "GET", SUBSCRIPTION, tokens["access_token"])
    assert listed.headers["X-Rate-Limit-Group"] == "Light"
    assert [s["id"] for s in listed.json()["records"]] == [body["id"]]
    read = call(rc, "GET", f"{SUBSCRIPTION}/{body['id']}", tokens["access_token"])
    assert read.json() == body
    assert rc.counters()["subscriptions"] == 1 and rc.counters()["handshakes"] == 1


def test_a_handshake_answered_wrongly_fails_the_create_with_sub_525(rc, webhook_receiver):
    token = rc.login("alice")["access_token"]
    webhook_receiver.echo_token = False
    refused = subscribe(rc, token, webhook_receiver.url, [MY_CALLS])
    assert refused.status_code == 400
    assert refused.json()["errorCode"] == "SUB-525"
    webhook_receiver.echo_token = True
    webhook_receiver.handshake_status = 404
    assert subscribe(rc, token, webhook_receiver.url, [MY_CALLS]).json()["errorCode"] == "SUB-525"
    assert rc.running.subscriptions() == []


def test_a_handshake_answer_over_1024_bytes_fails_with_sub_525(rc, webhook_receiver):
    token = rc.login("alice")["access_token"]
    webhook_receiver.handshake_body = b"x" * 700
    assert subscribe(rc, token, webhook_receiver.url, [MY_CALLS]).status_code == 200
    webhook_receiver.handshake_body = b"x" * 1000  # with the status line and headers: > 1024
    too_big = subscribe(rc, token, webhook_receiver.url, [MY_CALLS])
    assert too_big.status_code == 400 and too_big.json()["errorCode"] == "SUB-525"


def test_an_unreachable_or_plain_http_public_address_is_refused(rc, webhook_receiver):
    token = rc.login("alice")["access_token"]
    webhook_receiver.stop()
    gone = subscribe(rc, token, webhook_receiver.url, [MY_CALLS])
    assert gone.status_code == 400
    assert gone.json()["errors"][0]["parameterName"] == "deliveryMode.address"
    public = subscribe(rc, token, "http://example.com/hook", [MY_CALLS])
    assert public.status_code == 400 and public.json()["errorCode"] == "CMN-101"
    for bad in ("http://[::1", "http://127.0.0.1:99999/x", "ftp://127.0.0.1/", 7, "", None):
        refused = subscribe(rc, token, bad, [MY_CALLS])
        assert refused.status_code == 400, bad
        assert refused.json()["errors"][0]["parameterName"] == "deliveryMode.address"
    odd = subscribe(rc, token, webhook_receiver.url, [MY_CALLS, 7, {"x": 1}], expiresIn=1.5)
    assert odd.status_code == 400
    for body in ([], "text", {"eventFilters": "x", "deliveryMode": {}}):
        answer = call(rc, "POST", SUBSCRIPTION, token, json=body)
        assert answer.status_code == 400 and answer.json()["errors"]


def test_thirty_subscriptions_per_user_and_app_then_sub_505(make_rc, webhook_receiver):
    rc = make_rc(rate_limits=None)
    token = rc.login("alice")["access_token"]
    for _ in range(30):
        assert subscribe(rc, token, webhook_receiver.url, [MY_CALLS]).status_code == 200
    refused = subscribe(rc, token, webhook_receiver.url, [MY_CALLS])
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "SUB-505"
    assert refused.json()["message"] == "Subscriptions limit exceeded"
    # Another person of the same app has their own thirty.
    bob = rc.login("bob")["access_token"]
    assert subscribe(rc, bob, webhook_receiver.url, [MY_CALLS]).status_code == 200


def test_filters_a_client_or_person_may_not_use_are_refused(make_rc, webhook_receiver):
    no_call_control = RegisteredClient(
        "no-call-control",
        "s3cret",
        DEMO_CLIENT.redirect_uris,
        ("ReadAccounts", "ReadCallLog", "ReadPresence", "WebhookSubscriptions"),
    )
    no_webhooks = RegisteredClient(
        "no-webhooks", "s3cret", DEMO_CLIENT.redirect_uris, ("ReadAccounts", "CallControl")
    )
    rc = make_rc(clients=(DEMO_CLIENT, no_call_control, no_webhooks))

    def token_for(client, username="alice"):
        response = rc.sign_in(username, client=client)
        code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
        return rc.exchange(code, client).json()["access_token"]

    refused = subscribe(rc, token_for(no_call_control), webhook_receiver.url, [MY_CALLS])
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "CMN-401"
    assert refused.json()["permissionName"] == "CallControl"
    presence_only = subscribe(rc, token_for(no_call_control), webhook_receiver.url, [MY_PRESENCE])
    assert presence_only.status_code == 200
    refused = subscribe(rc, token_for(no_webhooks), webhook_receiver.url, [MY_CALLS])
    assert refused.status_code == 403
    assert refused.json()["permissionName"] == "WebhookSubscriptions"
    bob = rc.login("bob")["access_token"]
    company = subscribe(rc, bob, webhook_receiver.url, [COMPANY_CALLS])
    assert company.status_code == 403 and company.json()["errorCode"] == "CMN-408"
    alice_id = rc.simulator.directory.extension_for("alice").id
    others = f"/restapi/v1.0/account/~/extension/{alice_id}/telephony/sessions"
    assert subscribe(rc, bob, webhook_receiver.url, [others]).json()["errorCode"] == "SUB-405"
    unknown = subscribe(rc, bob, webhook_receiver.url, ["/restapi/v1.0/glip/posts"])
    assert unknown.status_code == 400 and unknown.json()["errorCode"] == "SUB-508"


def test_subscriptions_end_with_the_session_that_made_them(rc, webhook_receiver):
    tokens = rc.login("alice")
    assert subscribe(rc, tokens["access_token"], webhook_receiver.url, [MY_CALLS]).ok
    assert len(rc.running.subscriptions()) == 1
    client = rc.simulator.config.clients[0]
    revoked = rc.post(
        "/restapi/oauth/revoke",
        data={"token": tokens["access_token"]},
        auth=(client.client_id, client.client_secret),
    )
    assert revoked.status_code == 200
    assert rc.running.subscriptions() == []


def test_renew_update_and_delete(rc, webhook_receiver):
    token = rc.login("alice")["access_token"]
    sub = subscribe(rc, token, webhook_receiver.url, [MY_CALLS], expiresIn=3600).json()
    assert sub["expiresIn"] == 3600
    rc.advance(1800)
    path = f"{SUBSCRIPTION}/{sub['id']}"
    renewed = call(rc, "POST", path + "/renew", token)
    assert renewed.status_code == 200 and renewed.json()["expiresIn"] == 3600
    assert renewed.headers["X-Rate-Limit-Group"] == "Light"
    assert renewed.json()["expirationTime"] > sub["expirationTime"]
    default = call(rc, "PUT", path, token)
    assert default.json()["expiresIn"] == 604800
    changed = call(rc, "PUT", path, token, json={"eventFilters": [MY_PRESENCE], "expiresIn": 900})
    assert changed.json()["expiresIn"] == 900
    assert changed.json()["eventFilters"][0].endswith("/presence?detailedTelephonyState=true")
    assert len(webhook_receiver.handshakes) == 1  # an update does not handshake again
    gone = call(rc, "DELETE", path, token)
    assert gone.status_code == 204 and gone.content == b""
    assert call(rc, "GET", path, token).status_code == 404
    bob = rc.login("bob")["access_token"]
    other = subscribe(rc, bob, webhook_receiver.url, [MY_CALLS]).json()
    assert call(rc, "GET", f"{SUBSCRIPTION}/{other['id']}", token).status_code == 404


def test_an_expired_subscription_answers_sub_507_and_receives_nothing(rc, webhook_receiver):
    token = rc.login("alice")["access_token"]
    sub = subscribe(rc, token, webhook_receiver.url, [MY_CALLS], expiresIn=60).json()
    rc.advance(61)
    expired = call(rc, "GET", f"{SUBSCRIPTION}/{sub['id']}", token)
    assert expired.status_code == 404 and expired.json()["errorCode"] == "SUB-507"
    assert rc.running.place_call("alice")["deliveriesQueued"] == 0
    assert rc.running.subscriptions()[0]["status"] == "Expired"
