"""Bad input, tried by machine: never a 5xx, never raw input echoed unescaped."""

from __future__ import annotations

import base64
import os
import string
from urllib.parse import urlencode

import webtest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.journeys import sign_in

FUZZ = settings(
    # RCPYRAMID_FUZZ_EXAMPLES=5000 pytest tests/security/test_fuzz.py for a longer hunt.
    max_examples=int(os.environ.get("RCPYRAMID_FUZZ_EXAMPLES", "150")),
    deadline=None,  # two cores, a real HTTP simulator: timing is not what is tested
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

any_text = st.text(max_size=300)
markup = st.sampled_from(["<script>alert(1)</script>", "\"'><img src=x>", "&amp;<b>", ""])
weird = st.one_of(
    any_text,
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.text(alphabet=string.printable, min_size=1000, max_size=5000),
    st.builds(lambda a, b: a + b, any_text, markup),
)


def query(**params: str | None) -> str:
    kept = {k: v.encode("utf-8", "surrogatepass") for k, v in params.items() if v is not None}
    return urlencode(kept)


def assert_safe(answer: webtest.TestResponse, *inputs: str | None) -> None:
    assert answer.status_int < 500, answer.text[:500]
    if answer.content_type == "text/html":
        for value in inputs:
            if value and ("<" in value or ">" in value) and len(value) > 2:
                assert value not in answer.text


@FUZZ
@given(
    code=st.none() | weird,
    state=st.none() | weird,
    error=st.none() | weird,
    description=st.none() | weird,
)
def test_callback_query_never_fails_or_echoes(
    testapp: webtest.TestApp, code, state, error, description
) -> None:
    path = "/oauth2callback?" + query(
        code=code, state=state, error=error, error_description=description
    )
    answer = testapp.get(path, expect_errors=True)
    assert_safe(answer, code, state, error, description)


@FUZZ
@given(
    api=st.none()
    | st.sampled_from(["extension", "extension-call-log", "account-call-log"])
    | weird,
    page=st.none() | st.integers(-5, 2000).map(str) | weird,
    per_page=st.none() | st.integers(-5, 2000).map(str) | weird,
    date_from=st.none() | st.dates().map(str) | weird,
    date_to=st.none() | st.dates().map(str) | weird,
    json_format=st.booleans(),
)
def test_api_parameters_never_fail_or_echo(
    signed_in: webtest.TestApp, api, page, per_page, date_from, date_to, json_format
) -> None:
    path = "/test?" + query(
        api=api,
        page=page,
        perPage=per_page,
        **{"from": date_from, "to": date_to},
        format="json" if json_format else None,
    )
    answer = signed_in.get(path, expect_errors=True)
    assert_safe(answer, api, page, per_page, date_from, date_to)


garbage_cookie = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "-_=", max_size=600),
    st.binary(max_size=300).map(lambda b: base64.urlsafe_b64encode(b).decode()),
)


@FUZZ
@given(cookie=garbage_cookie, path=st.sampled_from(["/", "/test?api=extension", "/logout"]))
def test_garbage_cookies_never_fail(testapp: webtest.TestApp, cookie: str, path: str) -> None:
    testapp.reset()
    testapp.set_cookie("rcpyramid_session", cookie)
    assert testapp.get(path, expect_errors=True).status_int < 500


def test_tampered_and_truncated_session_cookies_sign_out_quietly(testapp: webtest.TestApp) -> None:
    sign_in(testapp)
    good = testapp.cookies["rcpyramid_session"].strip('"')

    def swap(at: int) -> str:
        # A different base64 character inside the text always changes the decoded bytes
        # (the last one may only change padding bits).
        return good[:at] + ("A" if good[at] != "A" else "B") + good[at + 1 :]

    for bad in (good[:-5], good[:20], swap(0), swap(len(good) // 2)):
        assert bad != good
        testapp.set_cookie("rcpyramid_session", bad)
        page = testapp.get("/")
        assert page.status_int == 200
        assert "Sign in with RingCentral" in page.text
