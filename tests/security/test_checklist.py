"""The security checklist (shared/security-checklist.md), one test per item, S1 to S16.

S10 (encryption at rest) is proven on the SQL backends in tests/sql; S14 (logs) in
test_logging.py. Each test here drives the real app against the simulator.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import webtest

from rcpyramid.tokens import open_repository
from rcpyramid.tokens.interfaces import state_digest
from tests.browser import authorize_at_simulator, local_path, query_of
from tests.clocks import MovableClock
from tests.journeys import SimulatorHandle, sign_in, start_sign_in
from tests.processes import ROOT
from tests.stores import RECORDING, only_token, recording, stored_logins

HTTPS = {"wsgi.url_scheme": "https", "HTTP_HOST": "app.example.com"}


def session_payload(testapp: webtest.TestApp) -> dict:
    """What the signed (not encrypted) session cookie tells anyone who reads it."""
    raw = testapp.cookies["rcpyramid_session"].strip('"')
    decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    # Pyramid's signed cookie: a 64-byte HMAC-SHA512 signature, then the JSON payload.
    return json.loads(decoded[64:])


def production_app(make_testapp) -> webtest.TestApp:
    testapp = make_testapp(
        **{
            "rcpyramid.environment": "production",
            "ringcentral.server_url": "https://platform.ringcentral.com",
            "ringcentral.client_id": "production-client-id",
            "ringcentral.client_secret": "production-client-secret-value",
            "ringcentral.redirect_url": "https://app.example.com/oauth2callback",
            "rcpyramid.session.cookie_name": "__Host-rcpyramid",
            "rcpyramid.session.cookie_secure": "true",
        }
    )
    testapp.extra_environ = dict(HTTPS)
    return testapp


def test_s1_state_is_random_single_use_bound_and_expiring(
    testapp: webtest.TestApp, clock: MovableClock, make_testapp
) -> None:
    states = [query_of(start_sign_in(testapp))["state"] for _ in range(3)]
    assert len(set(states)) == 3
    assert all(len(base64.urlsafe_b64decode(s + "=")) >= 16 for s in states)
    # Stored server-side under a digest, never as the raw value.
    with open_repository(testapp.app.registry) as repo:
        assert all(repo.take_pending(s, clock()) is None for s in states)
        assert all(repo.take_pending(state_digest(s), clock()) for s in states)
    callback = local_path(authorize_at_simulator(start_sign_in(testapp)))
    other_browser = make_testapp()
    other_browser.app = testapp.app
    assert "another browser" in other_browser.get(callback, status=400).text
    assert "already used" in testapp.get(callback, status=400).text  # consumed by that attempt
    fresh = local_path(authorize_at_simulator(start_sign_in(testapp)))
    clock.advance(601)
    testapp.get(fresh, status=400)


def test_s2_pkce_s256_on_every_sign_in(testapp: webtest.TestApp, clock: MovableClock) -> None:
    url = start_sign_in(testapp)
    query = query_of(url)
    with open_repository(testapp.app.registry) as repo:
        pending = repo.take_pending(state_digest(query["state"]), clock())
    assert pending is not None
    verifier = pending.code_verifier
    assert 43 <= len(verifier) <= 128
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert query["code_challenge"] == expected.decode()
    assert query["code_challenge_method"] == "S256"
    assert verifier not in url


def test_s3_redirect_uri_comes_from_config_not_the_host_header(make_testapp) -> None:
    testapp = make_testapp(**{"rcpyramid.canonical_host": "off"})
    testapp.extra_environ = {"HTTP_HOST": "evil.example"}
    url = start_sign_in(testapp)
    assert query_of(url)["redirect_uri"] == "http://localhost:5000/oauth2callback"


def test_s4_callback_page_sends_no_referrer_and_redirects_at_once(
    testapp: webtest.TestApp,
) -> None:
    callback = local_path(authorize_at_simulator(start_sign_in(testapp)))
    answer = testapp.get(callback)
    assert answer.status_int == 303
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Cache-Control"] == "no-store"
    error = testapp.get("/oauth2callback?error=access_denied", status=403)
    assert error.headers["Referrer-Policy"] == "no-referrer"


def test_s5_tokens_stay_on_the_server(testapp: webtest.TestApp) -> None:
    home = sign_in(testapp)
    token = only_token(testapp)
    payload = session_payload(testapp)
    cookie_text = json.dumps(payload)
    pages = [
        home.text,
        testapp.get("/test?api=extension").text,
        testapp.get("/test?api=extension&format=json").text,
        testapp.get("/logout").text,
    ]
    for secret in (token.access_token, token.refresh_token):
        assert secret not in cookie_text
        assert all(secret not in page for page in pages)
    assert set(payload[2]) <= {
        "browser",
        "login",
        "signed_in_at",
        "seen_at",
        "_csrft_",
        "_f_",
        # What the pages need of RingCentral's extension info: no name, number or id.
        "person",
        "zone",
        # The live history's keys: keyed hashes of the extension and account ids.
        "history",
        # Where the last sign-in landed: a path of this site, never its query.
        "landing",
    }
    assert set(payload[2].get("person", {})) <= {"admin", "tz", "cc"}
    assert "Alice" not in cookie_text


def test_s6_new_login_id_at_sign_in_and_logout_and_timeouts(
    testapp: webtest.TestApp, clock: MovableClock
) -> None:
    sign_in(testapp)
    first = session_payload(testapp)[2]["login"]
    csrf_first = session_payload(testapp)[2]["_csrft_"]
    sign_in(testapp)
    second = session_payload(testapp)[2]
    assert second["login"] != first and second["_csrft_"] != csrf_first
    testapp.get("/logout").forms[0].submit()
    assert "login" not in session_payload(testapp)[2]
    # Idle timeout (2 hours by default), checked against the server's clock.
    sign_in(testapp)
    clock.advance(7201)
    assert "timed out" in testapp.get("/").text
    assert stored_logins(testapp) == {}
    # Absolute timeout (12 hours), even for a session in constant use.
    sign_in(testapp)
    for _ in range(13):
        clock.advance(3600)
        testapp.get("/")
    assert "Sign in with RingCentral" in testapp.get("/").text


def test_s7_session_cookie_flags(testapp: webtest.TestApp, make_testapp) -> None:
    header = testapp.get("/").headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Domain" not in header
    production = production_app(make_testapp)
    header = production.get("/").headers["Set-Cookie"]
    assert header.startswith("__Host-rcpyramid=")
    for flag in ("secure", "httponly", "samesite=lax", "path=/"):
        assert flag in header.lower()
    assert "Domain" not in header


def test_s8_sign_in_and_logout_need_post_and_csrf(make_testapp) -> None:
    signed_in = make_testapp(**{"rcpyramid.tokens.backend": RECORDING})
    sign_in(signed_in)
    started = list(recording(signed_in).pending_added)
    signed_in.get("/login")  # a GET changes nothing
    assert recording(signed_in).pending_added == started
    signed_in.post("/login", {}, status=400)
    signed_in.post("/logout", {"csrf_token": "forged"}, status=400)
    assert "Signed in as" in signed_in.get("/").text
    # Over HTTPS Pyramid also checks the origin.
    production = production_app(make_testapp)
    token = production.get("/").forms[0]["csrf_token"].value
    production.post(
        "/login",
        {"csrf_token": token},
        headers={"Origin": "https://evil.example", "Referer": "https://evil.example/"},
        status=400,
    )
    answer = production.post(
        "/login",
        {"csrf_token": token},
        headers={"Origin": "https://app.example.com"},
    )
    assert answer.status_int == 303


def sign_in_returning_to(testapp: webtest.TestApp, return_to: str) -> str:
    """Sign in from a form that asks to come back to ``return_to``; where does it land?"""
    token = testapp.get("/").forms[0]["csrf_token"].value
    started = testapp.post("/login", {"csrf_token": token, "return_to": return_to})
    landed = testapp.get(local_path(authorize_at_simulator(started.headers["Location"])))
    return landed.headers["Location"]


def test_s9_redirects_after_sign_in_stay_on_this_site(testapp: webtest.TestApp) -> None:
    hostile = (
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\tx",
        "relative",
        "/%0d%0aSet-Cookie:x=1",
    )
    for value in hostile:
        assert sign_in_returning_to(testapp, value) == "http://localhost:5000/", value
    assert sign_in_returning_to(testapp, "/test?api=extension").endswith("/test?api=extension")


def test_s11_one_refresh_and_dead_tokens_sign_out(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    simulator.control("expire-access-tokens")
    for _ in range(3):
        assert signed_in.get("/test?api=extension").status_int == 200
    assert simulator.counters()["refreshes"] == 1
    simulator.control("advance-clock", seconds=8 * 86400)
    simulator.control("expire-access-tokens")
    page = signed_in.get("/test?api=extension", status=401)
    assert "session ended" in page.text
    assert stored_logins(signed_in) == {}


def test_s12_logout_revokes_then_deletes_even_when_revoke_fails(
    signed_in: webtest.TestApp, simulator: SimulatorHandle
) -> None:
    simulator.control("fail-next", status=503, count=1, path="/restapi/oauth/revoke")
    signed_in.get("/logout").forms[0].submit()
    assert stored_logins(signed_in) == {}
    assert "login" not in session_payload(signed_in)[2]


def test_s13_no_secret_in_committed_files() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    offenders = []
    for name in tracked:
        path = Path(ROOT, name)
        if path.suffix not in {".ini", ".py", ".cfg", ".toml", ".md", ".json", ".js", ""}:
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            key, _, value = line.partition("=")
            if key.strip() in {
                "ringcentral.client_secret",
                "rcpyramid.session.secret",
                "rcpyramid.tokens.keys",
            } and value.strip() not in {"", "simulator-demo-secret-not-a-real-credential"}:
                offenders.append(f"{name}:{number}")
            if "PRIVATE KEY-----" in line and "test" not in name:
                offenders.append(f"{name}:{number}")
    assert offenders == []


INSECURE_SWITCH_PROBE = """
import json, os, sys
from rcpyramid import main
main({"here": sys.argv[1]}, **json.loads(sys.argv[2]))
print(os.environ.get("OAUTHLIB_INSECURE_TRANSPORT"))
"""


def insecure_switch_after_start(tmp_path: Path, **settings: str) -> str:
    """Start the app in a fresh process; is oauthlib's process-wide http switch on?"""
    settings = {
        "ringcentral.client_id": "id-1234",
        "ringcentral.client_secret": "secret-1234",
        "rcpyramid.session.secret": "k" * 40,
        **settings,
    }
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", INSECURE_SWITCH_PROBE, str(tmp_path), json.dumps(settings)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    return out.stdout.strip()


def test_s15_insecure_transport_switch_only_for_loopback_http(tmp_path: Path) -> None:
    production = insecure_switch_after_start(
        tmp_path,
        **{
            "rcpyramid.environment": "production",
            "ringcentral.server_url": "https://platform.ringcentral.com",
            "ringcentral.redirect_url": "https://app.example.com/oauth2callback",
        },
    )
    assert production == "None"
    loopback = insecure_switch_after_start(
        tmp_path, **{"ringcentral.server_url": "http://127.0.0.1:5999"}
    )
    assert loopback == "1"


def test_s16_no_scope_requested(testapp: webtest.TestApp) -> None:
    assert "scope" not in query_of(start_sign_in(testapp))


def test_security_headers_on_every_page(signed_in: webtest.TestApp) -> None:
    answers = [
        signed_in.get("/"),
        signed_in.get("/test?api=extension"),
        signed_in.get("/test?api=nope", status=400),
        signed_in.get("/no-such-page", status=404),
        signed_in.get("/logout"),
    ]
    for answer in answers:
        csp = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "same-origin"
