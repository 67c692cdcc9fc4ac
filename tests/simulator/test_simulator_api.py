"""The four REST endpoints, their errors, paging and navigation (reference §1, §6, §7)."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from rcpyramid.simulator import RegisteredClient
from rcpyramid.simulator.directory import EXTENSION_STATUSES, EXTENSION_TYPES

ACCOUNT = "/restapi/v1.0/account/~"
ME = ACCOUNT + "/extension/~"
EXTENSIONS = ACCOUNT + "/extension"
MY_LOG = ME + "/call-log"
COMPANY_LOG = ACCOUNT + "/call-log"


@pytest.fixture
def alice(rc) -> str:
    return rc.login("alice")["access_token"]


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _query(uri: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(uri).query)


def test_version_documents(rc):
    root = rc.get("/restapi")
    assert root.status_code == 200
    assert root.headers["Content-Type"] == "application/json; charset=utf-8"
    assert root.json()["apiVersions"][0]["uriString"] == "v1.0"
    assert root.json()["apiVersions"][0]["uri"] == rc.url + "/restapi/v1.0"
    v1 = rc.get("/restapi/v1.0").json()
    assert v1 == {
        "uri": rc.url + "/restapi/v1.0",
        "versionString": "1.0.31",
        "releaseDate": "2017-09-05T00:00:00.000Z",
        "uriString": "v1.0",
    }


def test_read_own_extension(rc, alice):
    response = rc.get(ME, alice)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    directory = rc.simulator.directory
    ext = directory.extension_for("alice")
    assert body["id"] == ext.id and isinstance(body["id"], int)
    assert body["uri"] == f"{rc.url}/restapi/v1.0/account/{directory.account_id}/extension/{ext.id}"
    assert body["extensionNumber"] == "101"
    assert body["name"] == "Alice Smith"
    assert body["type"] == "User" and body["status"] == "Enabled"
    assert body["account"] == {
        "uri": f"{rc.url}/restapi/v1.0/account/{directory.account_id}",
        "id": str(directory.account_id),
    }
    assert body["permissions"]["admin"] == {"enabled": True}
    assert body["contact"]["email"] == "alice.smith@example.com"
    assert "serviceFeatures" in body
    # Numeric ids work as well as "~".
    numeric = rc.get(f"/restapi/v1.0/account/{directory.account_id}/extension/{ext.id}", alice)
    assert numeric.json() == body


def test_bob_and_carol_are_not_admins(rc):
    bob = rc.get(ME, rc.login("bob")["access_token"]).json()
    assert bob["name"] == "Bob Johnson" and bob["extensionNumber"] == "102"
    assert bob["permissions"]["admin"] == {"enabled": False}
    carol = rc.get(ME, rc.login("carol")["access_token"]).json()
    assert carol["name"] == 'Carol "<b>O\'Hara</b>" & Sons'
    assert carol["extensionNumber"] == "103"


def test_bearer_scheme_is_case_insensitive(rc, alice):
    for scheme in ("bearer", "Bearer", "BEARER"):
        response = rc.get(ME, headers={"Authorization": f"{scheme} {alice}"})
        assert response.status_code == 200, scheme


def test_authorization_header_errors(rc, alice):
    missing = rc.get(ME)
    assert missing.status_code == 401
    assert missing.json()["errors"] == [{"errorCode": "OAU-149", "message": "Invalid token"}]
    malformed = rc.get(ME, headers={"Authorization": "Bearer"})
    assert malformed.json()["errors"][0]["errorCode"] == "OAU-149"
    garbage = rc.get(ME, headers={"Authorization": "Bearer {not a token}"})
    assert garbage.json()["errors"][0]["errorCode"] == "OAU-149"
    basic = rc.get(ME, headers={"Authorization": f"Basic {alice}"})
    assert basic.status_code == 401
    assert basic.json()["errors"][0]["errorCode"] == "OAU-151"
    unknown = rc.get(ME, "A" * 43)
    assert unknown.status_code == 401
    assert unknown.json() == {
        "errorCode": "TokenInvalid",
        "message": "Token not found",
        "errors": [{"errorCode": "OAU-213", "message": "Token not found"}],
    }


def test_unknown_path_and_account(rc, alice):
    response = rc.get("/restapi/v1.0/account/~/no-such-thing", alice)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {
        "errorCode": "CMN-120",
        "message": "Invalid URI",
        "errors": [{"errorCode": "CMN-120", "message": "Invalid URI"}],
    }
    assert rc.post(ME, headers={"Authorization": f"bearer {alice}"}).status_code == 404
    other = rc.get("/restapi/v1.0/account/123/extension/~", alice)
    assert other.status_code == 404
    assert other.json()["errorCode"] == "CMN-102"
    assert rc.get(ACCOUNT + "/extension/999", alice).json()["errorCode"] == "CMN-102"


def test_extension_list_paging_with_totals_and_navigation(rc, alice):
    first = rc.get(EXTENSIONS, alice)
    assert first.status_code == 200
    body = first.json()
    total = body["paging"]["totalElements"]
    assert total >= 120
    assert len(body["records"]) == 100
    base = f"{rc.url}/restapi/v1.0/account/{rc.simulator.directory.account_id}/extension"
    assert body["uri"] == base + "?page=1&perPage=100"
    assert body["paging"] == {
        "page": 1,
        "totalPages": 2,
        "perPage": 100,
        "totalElements": total,
        "pageStart": 0,
        "pageEnd": 99,
    }
    assert body["navigation"] == {
        "firstPage": {"uri": base + "?page=1&perPage=100"},
        "nextPage": {"uri": base + "?page=2&perPage=100"},
        "lastPage": {"uri": base + "?page=2&perPage=100"},
    }
    ids = [r["id"] for r in body["records"]]
    page2 = rc.get(EXTENSIONS + "?page=2&perPage=100", alice).json()
    assert page2["paging"]["pageStart"] == 100
    assert set(page2["navigation"]) == {"firstPage", "previousPage", "lastPage"}
    ids += [r["id"] for r in page2["records"]]
    assert len(ids) == len(set(ids)) == total
    numbers = [int(r["extensionNumber"]) for r in body["records"] + page2["records"]]
    assert numbers == sorted(numbers)


def test_extension_list_covers_types_statuses_and_hostile_names(rc, alice):
    records = rc.get(EXTENSIONS + "?perPage=1000", alice).json()["records"]
    types = {r["type"] for r in records}
    assert set(EXTENSION_TYPES) <= types
    statuses = {r.get("status") for r in records}
    assert set(EXTENSION_STATUSES) <= statuses
    names = {r["name"] for r in records}
    assert '<script>alert("x")</script>' in names
    assert "O'Brien & <Sons>" in names
    assert any("status" not in r and r["type"] == "Announcement" for r in records)
    assert any("contact" not in r for r in records)


def test_extension_list_filters(rc, alice):
    users = rc.get(EXTENSIONS + "?type=User&status=Enabled&perPage=1000", alice).json()
    assert users["records"]
    assert {(r["type"], r["status"]) for r in users["records"]} == {("User", "Enabled")}
    assert "type=User" in users["uri"] and "status=Enabled" in users["uri"]
    both = rc.get(EXTENSIONS + "?type=Department&type=IvrMenu&perPage=1000", alice).json()
    assert {r["type"] for r in both["records"]} == {"Department", "IvrMenu"}
    by_number = rc.get(EXTENSIONS + "?extensionNumber=102", alice).json()
    assert [r["name"] for r in by_number["records"]] == ["Bob Johnson"]
    by_email = rc.get(EXTENSIONS + "?email=ALICE.SMITH@example.com", alice).json()
    assert [r["extensionNumber"] for r in by_email["records"]] == ["101"]
    empty = rc.get(EXTENSIONS + "?extensionNumber=99999", alice).json()
    assert empty["records"] == [] and empty["paging"]["totalElements"] == 0
    paged = rc.get(EXTENSIONS + "?perPage=2&page=3", alice).json()
    assert paged["paging"]["pageStart"] == 4 and paged["paging"]["pageEnd"] == 5
    assert paged["navigation"]["previousPage"]["uri"].endswith("page=2&perPage=2")
    assert paged["navigation"]["nextPage"]["uri"].endswith("page=4&perPage=2")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("?status=Sleeping", "status"),
        ("?type=Robot", "type"),
        ("?page=0", "page"),
        ("?perPage=abc", "perPage"),
        ("?perPage=1001", "perPage"),
    ],
)
def test_extension_list_invalid_parameters(rc, alice, query, name):
    response = rc.get(EXTENSIONS + query, alice)
    assert response.status_code == 400
    message = f"Parameter [{name}] value is invalid."
    assert response.json() == {
        "errorCode": "CMN-101",
        "message": message,
        "errors": [{"errorCode": "CMN-101", "message": message, "parameterName": name}],
        "parameterName": name,
    }


def test_empty_parameters_and_trailing_question_mark_are_accepted(rc, alice):
    assert rc.get(EXTENSIONS + "?", alice).status_code == 200
    assert rc.get(EXTENSIONS + "?page=&perPage=&status=&type=", alice).status_code == 200
    response = rc.get(MY_LOG + "?dateFrom=&dateTo=&view=&type=&direction=&page=&perPage=", alice)
    assert response.status_code == 200
    assert response.json()["paging"] == {
        "page": 1,
        "perPage": 100,
        "pageStart": 0,
        "pageEnd": len(response.json()["records"]) - 1,
    }


def test_user_call_log_default_window_and_paging_without_totals(rc, alice, sim_clock):
    now = sim_clock()
    response = rc.get(MY_LOG + "?perPage=25", alice)
    assert response.status_code == 200
    body = response.json()
    paging = body["paging"]
    assert paging == {"page": 1, "perPage": 25, "pageStart": 0, "pageEnd": 24}
    nav = body["navigation"]
    assert set(nav) == {"firstPage", "nextPage"}
    assert _query(nav["nextPage"]["uri"])["page"] == ["2"]

    query = _query(body["uri"])
    assert query["view"] == ["Simple"] and query["perPage"] == ["25"] and query["page"] == ["1"]
    assert query["showBlocked"] == ["true"]
    assert _ts(query["dateFrom"][0]) == now - timedelta(hours=24)
    # RingCentral does not pin a defaulted dateTo: the window moves with "now".
    assert "dateTo" not in query
    assert "dateTo" not in _query(nav["nextPage"]["uri"])
    ext_id = rc.simulator.directory.extension_for("alice").id
    assert body["uri"].startswith(
        f"{rc.url}/restapi/v1.0/account/{rc.simulator.directory.account_id}"
        f"/extension/{ext_id}/call-log?"
    )

    records = []
    page = body
    while True:
        records += page["records"]
        if "nextPage" not in page["navigation"]:
            break
        page = rc.http.get(
            page["navigation"]["nextPage"]["uri"],
            headers={"Authorization": f"bearer {alice}"},
            timeout=10,
        ).json()
        assert "previousPage" in page["navigation"]
    assert len(records) >= 60
    starts = [_ts(r["startTime"]) for r in records]
    assert starts == sorted(starts, reverse=True)
    assert all(now - timedelta(hours=24) <= s <= now for s in starts)
    assert len({r["id"] for r in records}) == len(records)


def test_following_navigation_later_sees_a_window_ending_at_the_new_now(rc, alice, sim_clock):
    first = rc.get(MY_LOG + "?perPage=5", alice).json()
    sim_clock.advance(45 * 60)  # within the access token's hour
    later = rc.http.get(
        first["navigation"]["firstPage"]["uri"],
        headers={"Authorization": f"bearer {alice}"},
        timeout=10,
    ).json()
    # Same dateFrom, but 45 more minutes of calls at the top of the first page.
    assert _query(later["uri"])["dateFrom"] == _query(first["uri"])["dateFrom"]
    assert _ts(later["records"][0]["startTime"]) > _ts(first["records"][0]["startTime"])
    assert _ts(later["records"][0]["startTime"]) > sim_clock() - timedelta(minutes=45)
    # A dateTo that was given is echoed and holds.
    pinned = rc.get(MY_LOG + "?perPage=5&dateTo=" + first["records"][0]["startTime"], alice)
    assert "dateTo" in _query(pinned.json()["uri"])


def test_show_blocked_false_leaves_out_blocked_calls(rc, alice):
    everything = rc.get(MY_LOG + "?perPage=1000&dateFrom=2026-03-13T12:00:00Z", alice).json()
    blocked = [r for r in everything["records"] if r["result"] == "Blocked"]
    assert blocked, "the seeded data should have blocked calls in two days"
    for flag in ("false", "False"):
        body = rc.get(
            MY_LOG + f"?perPage=1000&dateFrom=2026-03-13T12:00:00Z&showBlocked={flag}", alice
        ).json()
        assert _query(body["uri"])["showBlocked"] == ["false"]
        assert all(r["result"] != "Blocked" for r in body["records"])
        assert len(body["records"]) == len(everything["records"]) - len(blocked)
        assert _query(body["navigation"]["firstPage"]["uri"])["showBlocked"] == ["false"]
    assert rc.get(MY_LOG + "?showBlocked=maybe", alice).status_code == 400


def test_call_log_record_shape(rc, alice):
    records = rc.get(MY_LOG + "?perPage=200", alice).json()["records"]
    record = records[0]
    for key in (
        "uri",
        "id",
        "sessionId",
        "startTime",
        "duration",
        "type",
        "direction",
        "action",
        "result",
        "from",
        "to",
    ):
        assert key in record, key
    assert isinstance(record["id"], str) and isinstance(record["sessionId"], str)
    assert isinstance(record["duration"], int)
    assert record["startTime"].endswith("Z") and len(record["startTime"]) == 24
    assert record["uri"].startswith(rc.url + "/restapi/v1.0/account/")
    assert record["uri"].endswith(f"/call-log/{record['id']}?view=Simple")
    assert "legs" not in record
    assert {r["type"] for r in records} <= {"Voice", "Fax"}
    assert {r["direction"] for r in records} == {"Inbound", "Outbound"}
    numbers = [p.get("phoneNumber", "") for r in records for p in (r["from"], r["to"])]
    assert any(n.startswith("+") for n in numbers)
    assert all("extensionNumber" in r["to"] or "extensionNumber" in r["from"] for r in records)


def test_detailed_view_adds_legs(rc, alice):
    body = rc.get(MY_LOG + "?view=Detailed&perPage=50", alice).json()
    assert _query(body["uri"])["view"] == ["Detailed"]
    for record in body["records"]:
        assert record["uri"].endswith("?view=Detailed")
        assert record["lastModifiedTime"].endswith("Z")
        assert record["legs"]
        assert record["legs"][0]["master"] is True
        assert all("legType" in leg for leg in record["legs"])


def test_legs_have_their_own_parties(rc, alice):
    body = rc.get(MY_LOG + "?view=Detailed&perPage=1000", alice).json()
    me = rc.simulator.directory.extension_for("alice")
    accepted = [r for r in body["records"] if len(r["legs"]) == 2]
    assert accepted, "some answered calls should ring through a second leg"
    for record in body["records"]:
        master = record["legs"][0]
        # The network's view of the call: numbers (or extension numbers), no names.
        assert (master["from"], master["to"]) != (record["from"], record["to"])
        assert all(
            "name" not in p or p["name"] == "Anonymous" for p in (master["from"], master["to"])
        )
    for record in accepted:
        answered = record["legs"][1]
        assert answered["legType"] == "Accept" and answered["master"] is False
        assert answered["to"] == {
            "extensionNumber": "101",
            "extensionId": str(me.id),
            "name": "Alice Smith",
        }
        assert answered["from"] == record["from"]


def test_results_carry_reasons_and_voicemails_their_message(rc, alice):
    body = rc.get(MY_LOG + "?perPage=1000&dateFrom=2026-03-13T12:00:00Z", alice).json()
    records = body["records"]
    assert all(r["reason"] and r["reasonDescription"] for r in records)
    missed = next(r for r in records if r["result"] == "Missed")
    assert missed["reason"] == "Not Answered"
    voicemails = [r for r in records if r["result"] == "Voicemail"]
    assert voicemails
    for record in voicemails:
        message = record["message"]
        assert message["type"] == "VoiceMail"
        assert message["uri"].endswith(f"/message-store/{message['id']}")
    faxes = [r for r in records if r["type"] == "Fax"]
    assert faxes and all(r["message"]["type"] == "Fax" for r in faxes)
    assert all("message" not in r for r in records if r["result"] in ("Accepted", "Missed"))


def test_ninety_days_of_history(rc, alice, sim_clock):
    now = sim_clock()
    old = (now - timedelta(days=89)).strftime("%Y-%m-%dT%H:%M:%SZ")
    older = (now - timedelta(days=88)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = rc.get(MY_LOG + f"?dateFrom={old}&dateTo={older}&perPage=1000", alice).json()
    assert len(body["records"]) >= 90


def test_demo_users_live_in_different_time_zones(rc):
    seen = {}
    for name in ("alice", "bob", "carol"):
        me = rc.get(ME, rc.login(name)["access_token"]).json()
        seen[name] = me
    zones = {name: me["regionalSettings"]["timezone"]["name"] for name, me in seen.items()}
    assert zones == {"alice": "US/Pacific", "bob": "US/Eastern", "carol": "Europe/London"}
    carol = seen["carol"]
    assert carol["regionalSettings"]["homeCountry"]["isoCode"] == "GB"
    assert carol["regionalSettings"]["timeFormat"] == "24h"
    assert carol["contact"]["businessPhone"].startswith("+44")
    assert carol["contact"]["department"] == "Support & Returns"
    assert seen["bob"]["contact"]["jobTitle"] == "Account Executive"
    assert seen["alice"]["regionalSettings"]["timezone"]["bias"] == "-480"


def test_call_log_filters_and_dates(rc, alice, sim_clock):
    voice_in = rc.get(MY_LOG + "?type=Voice&direction=Inbound&perPage=1000", alice).json()
    assert voice_in["records"]
    assert {(r["type"], r["direction"]) for r in voice_in["records"]} == {("Voice", "Inbound")}
    both = rc.get(MY_LOG + "?direction=Inbound&direction=Outbound&perPage=1000", alice).json()
    everything = rc.get(MY_LOG + "?perPage=1000", alice).json()
    assert len(both["records"]) == len(everything["records"])

    now = sim_clock()
    start = (now - timedelta(days=3)).replace(microsecond=0)
    end = start + timedelta(hours=6)
    fmt = "%Y-%m-%dT%H:%M:%S"
    window = rc.get(
        MY_LOG + f"?dateFrom={start.strftime(fmt)}.000Z"
        f"&dateTo={end.strftime(fmt)}%2B00:00&perPage=1000",
        alice,
    ).json()
    assert window["records"]
    assert all(start <= _ts(r["startTime"]) < end for r in window["records"])
    assert 20 <= len(window["records"]) <= 30  # four an hour for alice
    # The Python SDK does not encode '+', so an offset arrives as a space.
    spaced = rc.get(
        MY_LOG + f"?dateFrom={start.strftime(fmt)}+00:00"
        f"&dateTo={(end + timedelta(hours=2)).strftime(fmt)}+02:00&perPage=1000",
        alice,
    ).json()
    assert [r["id"] for r in spaced["records"]] == [r["id"] for r in window["records"]]

    nothing_future = rc.get(
        MY_LOG + f"?dateFrom={now.strftime('%Y-%m-%dT%H:%M:%S')}Z"
        f"&dateTo={(now + timedelta(days=1)).strftime('%Y-%m-%dT%H:%M:%S')}Z",
        alice,
    ).json()
    assert nothing_future["records"] == []


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("?view=Fancy", "view"),
        ("?type=SMS", "type"),
        ("?direction=Sideways", "direction"),
        ("?dateFrom=yesterday", "dateFrom"),
        ("?dateTo=2026-13-01T00:00:00Z", "dateTo"),
        ("?perPage=0", "perPage"),
        ("?perPage=1001", "perPage"),
        ("?page=-1", "page"),
    ],
)
def test_call_log_invalid_parameters(rc, alice, query, name):
    response = rc.get(MY_LOG + query, alice)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "CMN-101"
    assert response.json()["message"] == f"Parameter [{name}] value is invalid."


def test_company_call_log_for_admin_includes_everyone(rc, alice):
    body = rc.get(COMPANY_LOG + "?perPage=1000&view=Detailed", alice).json()
    owners = {r["extension"]["id"] for r in body["records"]}
    directory = rc.simulator.directory
    for name in ("alice", "bob", "carol"):
        assert directory.extension_for(name).id in owners
    assert len(owners) > 10
    assert body["uri"].startswith(
        f"{rc.url}/restapi/v1.0/account/{directory.account_id}/call-log?view=Detailed"
    )
    mine = rc.get(MY_LOG + "?perPage=1000", alice).json()["records"]
    assert {r["id"] for r in mine} <= {r["id"] for r in body["records"]}
    assert "totalPages" not in body["paging"]
    assert rc.get(COMPANY_LOG + "?perPage=max", alice).json()["paging"]["perPage"] == 1000


def test_bob_gets_403_cmn_408_on_the_company_log(rc):
    bob = rc.login("bob")["access_token"]
    response = rc.get(COMPANY_LOG, bob)
    assert response.status_code == 403
    message = (
        "In order to call this API endpoint, user needs to have [FullCompanyCallLog] "
        "permission for requested resource."
    )
    assert response.json() == {
        "errorCode": "CMN-408",
        "message": message,
        "errors": [
            {"errorCode": "CMN-408", "message": message, "permissionName": "FullCompanyCallLog"}
        ],
        "permissionName": "FullCompanyCallLog",
    }
    own = rc.get(MY_LOG, bob)
    assert own.status_code == 200 and own.json()["records"]
    alice_id = rc.simulator.directory.extension_for("alice").id
    other = rc.get(f"{ACCOUNT}/extension/{alice_id}/call-log", bob)
    assert other.status_code == 403 and other.json()["errorCode"] == "CMN-419"


def test_app_without_permission_gets_403_cmn_401(make_rc):
    client = RegisteredClient(
        "accounts-only", "secret-1", ("http://localhost:5000/oauth2callback",), ("ReadAccounts",)
    )
    rc = make_rc(clients=(client,))
    code = rc.code(client=client)
    tokens = rc.exchange(code, client=client).json()
    assert tokens["scope"] == "ReadAccounts"
    assert rc.get(ME, tokens["access_token"]).status_code == 200
    response = rc.get(MY_LOG, tokens["access_token"])
    assert response.status_code == 403
    assert response.json()["errorCode"] == "CMN-401"
    assert response.json()["permissionName"] == "ReadCallLog"
    assert "[ReadCallLog]" in response.json()["message"]
