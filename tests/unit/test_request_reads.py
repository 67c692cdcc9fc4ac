"""The cheap reads of a request on every page: each says what WebOb's own would."""

from __future__ import annotations

from typing import Any

import pytest
from webob import Request

from rcpyramid.compression import _varying
from rcpyramid.ops.request_id import logged_path
from rcpyramid.views.safety import _LONGEST_KEPT_ACCEPT, wants_json

PATHS = ["/", "/test", "/a%20b/%C3%BC", "/x%2Fy", "/~!$&'()*+,;=:@", "/a//b"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("script_name", ["", "/mounted"])
def test_the_logged_path_is_webobs_request_path(path: str, script_name: str) -> None:
    request = Request.blank(path, base_url=f"http://localhost{script_name}")
    assert logged_path(request.environ) == request.path


def test_a_path_that_is_not_utf8_is_logged_quoted() -> None:
    """WebOb raises on such a path; the access line still names it."""
    environ = {"SCRIPT_NAME": "", "PATH_INFO": "/\xff\x00"}
    assert logged_path(environ) == "/%FF%00"


ACCEPTS = [
    None,
    "",
    "text/html",
    "application/json",
    "*/*",
    "application/*",
    "text/html;q=0.5, application/json",
    "application/json;q=0.1, text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "not a ;; valid = header",
]


@pytest.mark.parametrize("accept", ACCEPTS)
def test_wants_json_answers_as_webobs_accept_parse(accept: str | None) -> None:
    headers = {} if accept is None else {"Accept": accept}
    request = Request.blank("/test?api=extension", headers=headers)
    offers = request.accept.acceptable_offers(["text/html", "application/json"])
    expected = bool(offers) and offers[0][0] == "application/json"
    assert wants_json(request) is expected
    assert wants_json(request) is expected  # the second answer comes from the memo


def test_a_long_accept_header_is_read_each_time_not_kept() -> None:
    long_json = "application/json, " + ", ".join(f"x/y{n}" for n in range(60))
    assert len(long_json) > _LONGEST_KEPT_ACCEPT
    assert wants_json(Request.blank("/", headers={"Accept": long_json})) is True
    assert wants_json(Request.blank("/", headers={"Accept": "text/html," + long_json})) is False


def _started(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen.append(headers)

    _varying(start_response)("200 OK", headers)
    return seen[0]


def test_a_text_answer_says_it_varies_with_accept_encoding() -> None:
    html = [("Content-Type", "text/html; charset=UTF-8")]
    assert ("Vary", "Accept-Encoding") in _started(html)
    kept = _started([*html, ("Vary", "Accept")])
    assert [v for k, v in kept if k == "Vary"] == ["Accept, Accept-Encoding"]
    already = _started([*html, ("vary", "accept-encoding")])
    assert [v for k, v in already if k.lower() == "vary"] == ["accept-encoding"]


def test_an_image_answer_gets_no_vary() -> None:
    assert _started([("Content-Type", "image/png")]) == [("Content-Type", "image/png")]
