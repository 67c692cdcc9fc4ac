"""The authorization code flow over real HTTP: authorize page, sign-in, code exchange."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

from rcpyramid.simulator import DEMO_CLIENT, DEMO_USERS, RegisteredClient

REDIRECT_URI = DEMO_CLIENT.redirect_uris[0]

SEED_AUTHORIZE = (
    "/restapi/oauth/authorize?response_type=code"
    "&redirect_uri=http%3A%2F%2Flocalhost%3A5000%2Foauth2callback"
    "&client_id=rcpyramid-demo-client&state=&brand_id=&display=&prompt="
)
OAU_109 = {
    "error": "invalid_grant",
    "errors": [{"errorCode": "OAU-109", "message": "Redirect URIs do not match"}],
    "error_description": "Redirect URIs do not match",
}


def _query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query, keep_blank_values=True)


def test_authorize_page_is_a_marked_sign_in_form(rc):
    page = rc.authorize(state="s1")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    body = page.text
    assert "SIMULATED RingCentral" in body
    assert 'action="/simulator/sign-in"' in body
    assert 'name="username"' in body and 'name="password"' in body
    # Authorize and Deny look different (the stylesheet styles the two classes apart).
    assert (
        '<button type="submit" name="action" value="authorize" class="primary">Authorize</button>'
        in body
    )
    assert (
        '<button type="submit" name="action" value="deny" class="secondary">Deny</button>' in body
    )
    hidden = rc.hidden_fields(body)
    assert hidden["client_id"] == DEMO_CLIENT.client_id
    assert hidden["redirect_uri"] == REDIRECT_URI
    assert hidden["state"] == "s1"
    for user in DEMO_USERS:
        assert f"<code>{user.username}</code>" in body
        assert f"<code>{user.password}</code>" in body
    assert "Alice Smith" in body and "Account administrator" in body
    # carol's name arrives escaped, never as markup.
    assert "<b>O'Hara</b>" not in body
    assert "Carol &#34;&lt;b&gt;O&#39;Hara&lt;/b&gt;&#34; &amp; Sons" in body
    assert page.headers["X-Frame-Options"] == "DENY"


def test_seed_authorize_url_with_empty_parameters_is_accepted(rc):
    page = rc.get(SEED_AUTHORIZE)
    assert page.status_code == 200
    assert rc.hidden_fields(page.text)["state"] == ""


def test_authorize_tolerates_unknown_parameters_and_missing_redirect(rc):
    page = rc.get(
        "/restapi/oauth/authorize?response_type=code&client_id=rcpyramid-demo-client"
        "&ui_options=hide_logo&ui_locales=en-US&localeId=&discovery=&scope=ReadCallLog"
    )
    assert page.status_code == 200
    code = rc.code(redirect_uri="")
    # Omitted at authorize, so the token request may omit it too.
    response = rc.token(grant_type="authorization_code", code=code)
    assert response.status_code == 200, response.text


def test_authorize_accepts_the_form_post_variant(rc):
    response = rc.post(
        "/restapi/oauth/authorize",
        data={"response_type": "code", "client_id": DEMO_CLIENT.client_id, "state": "p"},
    )
    assert response.status_code == 200
    assert rc.hidden_fields(response.text)["state"] == "p"


def test_bad_redirect_uri_is_400_oau_109(rc):
    response = rc.authorize(redirect_uri="http://evil.example/cb")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == OAU_109


def test_unknown_client_is_400_oau_153(rc):
    response = rc.authorize(client_id="nobody")
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_client",
        "errors": [
            {
                "errorCode": "OAU-153",
                "message": "Invalid client: ",
                "parameters": [{"parameterName": "client_id", "parameterValue": "nobody"}],
            }
        ],
        "error_description": "Invalid client: ",
    }


def test_response_type_must_be_code(rc):
    response = rc.authorize(response_type="token")
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_response_type"


def test_bad_pkce_method_is_rejected(rc, pkce):
    _, challenge = pkce()
    response = rc.authorize(code_challenge=challenge, code_challenge_method="S512")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_sign_in_post_revalidates_redirect_uri(rc):
    form = {
        "response_type": "code",
        "client_id": DEMO_CLIENT.client_id,
        "redirect_uri": "http://evil.example/cb",
        "username": "alice",
        "password": "alice-demo",
        "action": "authorize",
    }
    response = rc.post("/simulator/sign-in", data=form, allow_redirects=False)
    assert response.status_code == 400
    assert response.json() == OAU_109


def test_deny_redirects_with_access_denied_and_state(rc):
    response = rc.sign_in(action="deny", state="xyz")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = _query(location)
    assert query["error"] == ["access_denied"]
    assert query["error_description"][0]
    assert query["state"] == ["xyz"]
    assert "code" not in query


def test_wrong_password_rerenders_with_error_and_401(rc):
    response = rc.sign_in("alice", password="wrong", state="keep-me")
    assert response.status_code == 401
    assert 'role="alert"' in response.text
    assert "Wrong username or password" in response.text
    assert rc.hidden_fields(response.text)["state"] == "keep-me"
    assert rc.sign_in("mallory", password="x").status_code == 401


def test_authorize_redirects_with_code_state_and_expiry(rc):
    response = rc.sign_in(state="a b&c")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?code=")
    query = _query(location)
    assert query["state"] == ["a b&c"]
    assert query["expires_in"] == ["60"]
    assert len(query["code"][0]) >= 22  # >= 128 bits, url-safe
    # An empty state is not echoed.
    assert "state" not in _query(rc.sign_in(state="").headers["Location"])


def test_redirect_uri_query_is_preserved(make_rc):
    client = RegisteredClient("c-query", "s3cret", ("http://app.test/cb?tenant=7",))
    rc = make_rc(clients=(client,))
    response = rc.sign_in(client=client, redirect_uri=client.redirect_uris[0], state="s")
    location = response.headers["Location"]
    assert location.startswith("http://app.test/cb?tenant=7&code=")
    assert _query(location)["state"] == ["s"]


def test_code_exchange_with_basic_auth_returns_the_token_document(rc):
    code = rc.code()
    response = rc.exchange(code)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "refresh_token_expires_in",
        "scope",
        "owner_id",
        "endpoint_id",
        "session_id",
    }
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600 and isinstance(body["expires_in"], int)
    assert body["refresh_token_expires_in"] == 604800
    assert body["scope"] == "ReadAccounts ReadCallLog ReadPresence CallControl WebhookSubscriptions"
    # Opaque, required by RingCentral's spec, and the same after a refresh of this session.
    assert isinstance(body["session_id"], str) and body["session_id"]
    refreshed = rc.refresh(body["refresh_token"]).json()
    assert refreshed["session_id"] == body["session_id"]
    alice = rc.simulator.directory.extension_for("alice")
    assert body["owner_id"] == str(alice.id)
    assert isinstance(body["endpoint_id"], str) and body["endpoint_id"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", body["access_token"])
    assert body["access_token"] != body["refresh_token"]


def test_pkce_s256_exchange_and_wrong_or_missing_verifier(rc, pkce):
    verifier, challenge = pkce()
    params = {"code_challenge": challenge, "code_challenge_method": "S256"}
    ok = rc.exchange(rc.code(**params), code_verifier=verifier)
    assert ok.status_code == 200, ok.text

    wrong = rc.exchange(rc.code(**params), code_verifier=pkce()[0])
    assert wrong.status_code == 400
    body = wrong.json()
    assert body["error"] == "invalid_grant"
    assert body["errors"][0]["errorCode"] == "OAU-106"
    assert "verifier" in body["error_description"].lower()

    missing = rc.exchange(rc.code(**params))
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["errorCode"] == "OAU-106"


def test_pkce_plain_and_verifier_without_challenge(rc, pkce):
    verifier, _ = pkce()
    code = rc.code(code_challenge=verifier)  # method defaults to plain
    assert rc.exchange(code, code_verifier=verifier).status_code == 200
    # A verifier the authorize request never announced is a downgrade attempt.
    response = rc.exchange(rc.code(), code_verifier=verifier)
    assert response.status_code == 400
    assert response.json()["errors"][0]["errorCode"] == "OAU-106"


def test_code_is_single_use(rc):
    code = rc.code()
    assert rc.exchange(code).status_code == 200
    again = rc.exchange(code)
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "errors": [{"errorCode": "OAU-106", "message": "Invalid authorization code"}],
        "error_description": "Invalid authorization code",
    }


def test_code_expires_after_60_seconds(rc, sim_clock):
    code = rc.code()
    sim_clock.advance(59)
    assert rc.exchange(code).status_code == 200
    late = rc.code()
    sim_clock.advance(60)
    response = rc.exchange(late)
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "errorCode": "OAU-108",
        "message": "Authorization code is expired",
    }


def test_code_redirect_uri_and_client_binding(make_rc):
    other = RegisteredClient("other-app", "other-secret", ("http://other.test/cb",))
    rc = make_rc(clients=(DEMO_CLIENT, other))
    code = rc.code()
    mismatch = rc.token(grant_type="authorization_code", code=code, redirect_uri="http://x/")
    assert mismatch.status_code == 400
    assert mismatch.json()["errors"][0]["errorCode"] == "OAU-109"
    stolen = rc.token(
        other, grant_type="authorization_code", code=rc.code(), redirect_uri=REDIRECT_URI
    )
    assert stolen.status_code == 400
    assert stolen.json()["errors"][0]["errorCode"] == "OAU-110"


def test_client_authentication_errors(rc):
    code = rc.code()
    none = rc.token(basic=False, grant_type="authorization_code", code=code)
    assert none.status_code == 401
    assert none.json() == {
        "error": "invalid_client",
        "errors": [{"errorCode": "OAU-123", "message": "Client authentication is required"}],
        "error_description": "Client authentication is required",
    }
    wrong = rc.post(
        "/restapi/oauth/token",
        data={"grant_type": "authorization_code", "code": code},
        auth=(DEMO_CLIENT.client_id, "not-the-secret"),
    )
    assert wrong.status_code == 401
    assert wrong.json()["errors"][0] == {
        "errorCode": "OAU-146",
        "message": "Invalid client credentials",
    }
    garbage = rc.post(
        "/restapi/oauth/token",
        data={"grant_type": "authorization_code", "code": code},
        headers={"Authorization": "Basic !!!"},
    )
    assert garbage.status_code == 401
    # A confidential client cannot authenticate with its id alone.
    body_only = rc.token(
        basic=False, grant_type="authorization_code", code=code, client_id=DEMO_CLIENT.client_id
    )
    assert body_only.status_code == 401
    assert body_only.json()["errors"][0]["errorCode"] == "OAU-123"


def test_public_client_uses_client_id_in_body_never_an_empty_basic(make_rc, pkce):
    public = RegisteredClient("spa-client", "", ("http://spa.test/cb",))
    rc = make_rc(clients=(public,))
    verifier, challenge = pkce()
    code = rc.code(
        client=public,
        redirect_uri=public.redirect_uris[0],
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    response = rc.token(
        public,
        basic=False,
        grant_type="authorization_code",
        code=code,
        redirect_uri=public.redirect_uris[0],
        code_verifier=verifier,
        client_id=public.client_id,
    )
    assert response.status_code == 200, response.text
    refresh_token = response.json()["refresh_token"]
    # "spa-client:" would authenticate anyone who knows the id, so Basic is refused.
    empty_basic = base64.b64encode(b"spa-client:").decode()
    refused = rc.post(
        "/restapi/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers={"Authorization": f"Basic {empty_basic}"},
    )
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["errorCode"] == "OAU-146"
    refreshed = rc.token(
        public,
        basic=False,
        grant_type="refresh_token",
        refresh_token=refresh_token,
        client_id=public.client_id,
    )
    assert refreshed.status_code == 200, refreshed.text


def test_public_client_must_use_pkce(make_rc):
    public = RegisteredClient("spa-client", "", ("http://spa.test/cb",))
    rc = make_rc(clients=(public,))
    page = rc.authorize(client_id=public.client_id, redirect_uri=public.redirect_uris[0])
    assert page.status_code == 400
    body = page.json()
    assert body["error"] == "invalid_request"
    assert "code_challenge" in body["error_description"]
    # The sign-in form cannot be posted around it either.
    form = {
        "response_type": "code",
        "client_id": public.client_id,
        "redirect_uri": public.redirect_uris[0],
        "username": "alice",
        "password": "alice-demo",
        "action": "authorize",
    }
    response = rc.post("/simulator/sign-in", data=form, allow_redirects=False)
    assert response.status_code == 400
    assert rc.counters()["grants"]["authorization_code"] == 0


def test_a_code_redeemed_twice_revokes_the_session_it_started(rc):
    code = rc.code()
    tokens = rc.exchange(code).json()
    me = "/restapi/v1.0/account/~/extension/~"
    assert rc.get(me, tokens["access_token"]).status_code == 200
    again = rc.exchange(code)
    assert again.status_code == 400
    assert again.json()["errors"][0]["errorCode"] == "OAU-106"
    # RFC 6749 §4.1.2: the tokens issued from that code stop working, access and refresh.
    assert rc.get(me, tokens["access_token"]).status_code == 401
    refreshed = rc.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 400
    assert refreshed.json()["errors"][0]["errorCode"] == "OAU-211"


def test_a_second_redemption_revokes_the_session_even_after_a_refresh(rc):
    code = rc.code()
    first = rc.exchange(code).json()
    rotated = rc.refresh(first["refresh_token"]).json()
    assert rc.exchange(code).status_code == 400
    answer = rc.get("/restapi/v1.0/account/~/extension/~", rotated["access_token"])
    assert answer.status_code == 401


def test_a_failed_first_redemption_spends_the_code_and_revokes_nothing(rc):
    other = rc.login("alice")
    code = rc.code()
    wrong = rc.token(grant_type="authorization_code", code=code, redirect_uri="http://x/")
    assert wrong.status_code == 400
    assert rc.exchange(code).status_code == 400
    assert rc.get("/restapi/v1.0/account/~/extension/~", other["access_token"]).status_code == 200


def test_token_requests_that_are_not_forms_are_415(rc):
    code = rc.code()
    form = f"grant_type=authorization_code&code={code}&redirect_uri={REDIRECT_URI}"
    auth = (DEMO_CLIENT.client_id, DEMO_CLIENT.client_secret)
    for headers in ({}, {"Content-Type": "application/json"}, {"Content-Type": "text/plain"}):
        answer = rc.post("/restapi/oauth/token", data=form.encode(), headers=headers, auth=auth)
        assert answer.status_code == 415, headers
        assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
        body = answer.json()
        assert body["error"] == "invalid_request"
        assert body["error_description"] == body["errors"][0]["message"]
    as_json = rc.post(
        "/restapi/oauth/token",
        json={"grant_type": "authorization_code", "code": code},
        auth=auth,
    )
    assert as_json.status_code == 415
    # A 415 never spends the code: the form that follows still works.
    assert rc.exchange(code).status_code == 200
    with_charset = rc.post(
        "/restapi/oauth/token",
        data=f"grant_type=refresh_token&refresh_token={rc.login()['refresh_token']}",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
        auth=auth,
    )
    assert with_charset.status_code == 200, with_charset.text


def test_other_grant_types_are_unsupported(rc):
    for grant in ("password", "client_credentials", ""):
        response = rc.token(grant_type=grant, username="alice", password="alice-demo")
        assert response.status_code == 400
        assert response.json()["error"] == "unsupported_grant_type"


def test_token_ttls_are_clamped_never_rejected(rc):
    cases = [
        ({"access_token_ttl": "1", "refresh_token_ttl": "604801"}, 600, 604800),
        ({"access_token_ttl": "-1", "refresh_token_ttl": "-1"}, 600, 604800),
        ({"access_token_ttl": "NaN", "refresh_token_ttl": "NaN"}, 3600, 604800),
        ({"access_token_ttl": "3601", "refresh_token_ttl": "3600"}, 3600, 3600),
        ({"access_token_ttl": "", "refresh_token_ttl": ""}, 3600, 604800),
        ({"access_token_ttl": "900", "refresh_token_ttl": "86400"}, 900, 86400),
        ({"access_token_ttl": "abc", "refresh_token_ttl": "0"}, 3600, 604800),
    ]
    for form, expires_in, refresh_expires_in in cases:
        tokens = rc.login(**form)
        assert (tokens["expires_in"], tokens["refresh_token_expires_in"]) == (
            expires_in,
            refresh_expires_in,
        ), form
        refreshed = rc.refresh(tokens["refresh_token"], **form)
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["expires_in"] == expires_in
        assert refreshed.json()["refresh_token_expires_in"] == refresh_expires_in
