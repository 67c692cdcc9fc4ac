"""Rotating the session secret: nobody is signed out, new cookies carry the new signature,
and a retired secret signs nobody in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import webtest
from webob.cookies import SignedSerializer

from rcpyramid.config import SettingsError, load
from rcpyramid.ops.session_secrets import HASHALG, SALT
from tests.databases import TEST_KEYS
from tests.journeys import sign_in

OLD = "old-session-secret-" + "o" * 40
NEW = "new-session-secret-" + "n" * 40
COOKIE = "rcpyramid_session"
EXTENSION = "/test?api=extension"


@pytest.fixture
def make_host(make_testapp: Callable[..., webtest.TestApp], tmp_path: Path) -> Callable:
    """App processes sharing one token store, each with the session secrets it is given."""

    def make(secrets: str) -> webtest.TestApp:
        return make_testapp(
            **{
                "rcpyramid.session.secret": secrets,
                "rcpyramid.tokens.backend": "rcpyramid.tokens.sqla.SQLAlchemyTokenRepository",
                "sqlalchemy.url": f"sqlite:///{tmp_path / 'tokens.sqlite'}",
                "rcpyramid.tokens.keys": TEST_KEYS,
                "rcpyramid.database.auto_upgrade": "true",
            }
        )

    return make


def session_cookie(testapp: webtest.TestApp) -> str:
    return next(c.value for c in testapp.cookiejar if c.name == COOKIE)


def signed_by(cookie: str, secret: str) -> bool:
    signer = SignedSerializer(secret, SALT, HASHALG)
    try:
        signer.loads(cookie.strip('"').encode())
    except ValueError:
        return False
    return True


def visit(testapp: webtest.TestApp, cookie: str) -> webtest.TestResponse:
    return testapp.get(EXTENSION, headers={"Cookie": f"{COOKIE}={cookie}"}, expect_errors=True)


def test_a_new_first_secret_keeps_people_signed_in_and_signs_their_cookie_anew(
    make_host: Callable,
) -> None:
    before = make_host(OLD)
    sign_in(before)
    held = session_cookie(before)
    assert signed_by(held, OLD) and not signed_by(held, NEW)

    after = make_host(f"{NEW},{OLD}")
    page = visit(after, held)
    assert page.status_int == 200 and "Sign in with RingCentral" not in page.text
    # The same answer sets the cookie again, signed with the new secret only.
    renewed = page.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert signed_by(renewed, NEW) and not signed_by(renewed, OLD)
    assert visit(after, renewed).status_int == 200
    # Once the old secret is retired, the renewed cookie still works...
    retired = make_host(NEW)
    assert visit(retired, renewed).status_int == 200


def test_a_retired_secret_signs_nobody_in(make_host: Callable) -> None:
    before = make_host(OLD)
    sign_in(before)
    held = session_cookie(before)
    retired = make_host(NEW)
    page = visit(retired, held)
    assert page.status_int in (302, 303, 401), page.status
    home = retired.get("/", headers={"Cookie": f"{COOKIE}={held}"})
    assert "Sign in with RingCentral" in home.text


def test_new_sign_ins_are_signed_with_the_first_secret(make_host: Callable) -> None:
    host = make_host(f"{NEW} {OLD}")
    sign_in(host)
    assert signed_by(session_cookie(host), NEW)
    assert not signed_by(session_cookie(host), OLD)


def test_every_listed_secret_must_be_a_real_one(tmp_path: Path) -> None:
    ini = {
        "rcpyramid.var_dir": str(tmp_path),
        "ringcentral.client_id": "id-1",
        "ringcentral.client_secret": "a-real-looking-client-secret",
    }
    settings = load({**ini, "rcpyramid.session.secret": f"{NEW}, {OLD}"}, environ={})
    assert settings.session.secret == NEW and settings.session.secrets == (NEW, OLD)
    with pytest.raises(SettingsError, match=r"rcpyramid\.session\.secret"):
        load({**ini, "rcpyramid.session.secret": f"{NEW},short"}, environ={})
    with pytest.raises(SettingsError, match=r"rcpyramid\.session\.secret"):
        load(
            {**ini, "rcpyramid.session.secret": f"{NEW},<change-me-please-to-a-real-secret>"},
            environ={},
        )
