"""Call-log sync: FSync, ISync, the record delay, token reset and RingCentral's limits."""

from __future__ import annotations

from datetime import timedelta

from tests.simulator.conftest import START

SYNC = "/restapi/v1.0/account/~/extension/~/call-log-sync"
COMPANY_SYNC = "/restapi/v1.0/account/~/call-log-sync"


def fsync(rc, token: str, path: str = SYNC, **params):
    return rc.get(path, token, params={"syncType": "FSync", "recordCount": "250", **params})


def isync(rc, token: str, sync_token: str, path: str = SYNC, **params):
    return rc.get(path, token, params={"syncType": "ISync", "syncToken": sync_token, **params})


def test_fsync_answers_newest_first_without_paging(rc):
    token = rc.login("alice")["access_token"]
    response = fsync(rc, token, recordCount="20", view="Detailed")
    assert response.status_code == 200
    assert response.headers["X-Rate-Limit-Group"] == "Heavy"
    body = response.json()
    assert set(body) == {"uri", "records", "syncInfo"}
    assert len(body["records"]) == 20
    starts = [r["startTime"] for r in body["records"]]
    assert starts == sorted(starts, reverse=True)
    assert "legs" in body["records"][0]
    info = body["syncInfo"]
    assert info["syncType"] == "FSync" and info["syncToken"]
    assert info["syncTime"].startswith(START.strftime("%Y-%m-%dT%H:%M:%S"))
    assert rc.counters()["syncs"] == 1


def test_fsync_limits_are_ringcentrals(rc):
    token = rc.login("alice")["access_token"]
    missing = rc.get(SYNC, token, params={"syncType": "FSync"})
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["parameterName"] == "recordCount"
    assert fsync(rc, token, recordCount="251").status_code == 400
    too_old = (START - timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ")
    refused = fsync(rc, token, dateFrom=too_old)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["parameterName"] == "dateFrom"
    assert rc.get(SYNC, token, params={"syncType": "ISync"}).status_code == 400
    forged = isync(rc, token, "AAAA" + "x" * 40)
    assert forged.status_code == 400 and forged.json()["errorCode"] == "CMN-101"


def test_a_placed_calls_record_appears_only_after_the_delay(rc):
    token = rc.login("alice")["access_token"]
    first = fsync(rc, token).json()["syncInfo"]["syncToken"]
    assert rc.running.set_record_delay(25) == 25
    placed = rc.running.place_call("alice", direction="Inbound", result="Missed", duration=0)
    early = isync(rc, token, first).json()
    assert placed["recordId"] not in [r["id"] for r in early["records"]]
    rc.advance(25)
    later = isync(rc, token, early["syncInfo"]["syncToken"]).json()
    (record,) = [r for r in later["records"] if r["id"] == placed["recordId"]]
    assert later["syncInfo"]["syncType"] == "ISync"
    assert record["result"] == "Missed" and record["direction"] == "Inbound"
    assert record["from"]["phoneNumber"] == "+16505550199"
    assert record["telephonySessionId"] == placed["telephonySessionId"]
    # The same record in the call log and by its id, now that it is there.
    log = rc.get("/restapi/v1.0/account/~/extension/~/call-log", token).json()
    assert placed["recordId"] in [r["id"] for r in log["records"]]
    one = rc.get(f"/restapi/v1.0/account/~/extension/~/call-log/{placed['recordId']}", token)
    assert one.status_code == 200
    # An ISync with nothing new answers no records and a fresh token.
    quiet = isync(rc, token, later["syncInfo"]["syncToken"]).json()
    assert quiet["records"] == [] and quiet["syncInfo"]["syncToken"]


def test_an_expired_sync_token_is_refused_and_fsync_recovers(rc):
    token = rc.login("alice")["access_token"]
    sync_token = fsync(rc, token).json()["syncInfo"]["syncToken"]
    rc.running.expire_sync_tokens()
    refused = isync(rc, token, sync_token)
    assert refused.status_code == 400
    assert refused.json()["errorCode"] == "CLG-104"
    assert "Sync token expired, call log was reset" in refused.json()["message"]
    fresh = fsync(rc, token).json()["syncInfo"]["syncToken"]
    assert isync(rc, token, fresh).status_code == 200


def test_more_than_250_changes_answer_ringcentrals_400(rc):
    token = rc.login("alice")["access_token"]
    sync_token = fsync(rc, token).json()["syncInfo"]["syncToken"]
    rc.advance(5 * 86400)  # alice's calls: about 96 a day
    token = rc.login("alice")["access_token"]  # the old access token has expired by now
    refused = isync(rc, token, sync_token)
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "Parameter [syncToken] is invalid [max sync record number limit is exceeded]"
    )


def test_a_token_belongs_to_its_log(rc):
    alice = rc.login("alice")["access_token"]
    bob = rc.login("bob")["access_token"]
    alices = fsync(rc, alice).json()["syncInfo"]["syncToken"]
    assert isync(rc, bob, alices).status_code == 400


def test_the_company_sync_is_for_administrators(rc):
    alice = rc.login("alice")["access_token"]
    body = fsync(rc, alice, COMPANY_SYNC, recordCount="100").json()
    owners = {r["extension"]["id"] for r in body["records"]}
    assert len(owners) > 1
    rc.running.set_record_delay(1)
    placed = rc.running.place_call("bob", direction="Outbound", result="Answered", duration=30)
    rc.advance(1)
    changes = isync(rc, alice, body["syncInfo"]["syncToken"], COMPANY_SYNC).json()
    assert placed["recordId"] in [r["id"] for r in changes["records"]]
    bob = rc.login("bob")["access_token"]
    refused = fsync(rc, bob, COMPANY_SYNC)
    assert refused.status_code == 403 and refused.json()["errorCode"] == "CMN-408"


def test_missed_status_group_keeps_to_missed_calls(rc):
    token = rc.login("alice")["access_token"]
    body = fsync(rc, token, statusGroup="Missed", recordCount="50").json()
    assert body["records"] and {r["result"] for r in body["records"]} <= {"Missed", "Voicemail"}
    assert "statusGroup=Missed" in body["uri"]
