"""The app's links with a query are the ones Pyramid's own route_path makes."""

from __future__ import annotations

import pytest
from pyramid import testing
from pyramid.request import Request

from rcpyramid.views.links import readable_path_qs, route_with_query


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"api": "no-such-page", "page": 2, "perPage": 25, "view": "json"},
        {"from": "2026-01-01 x&y=\u00e9", "to": "/?#+%"},
        {"next": "/test?api=extension&page=2"},
    ],
)
def test_route_with_query_is_what_route_path_makes(query: dict[str, object]) -> None:
    with testing.testConfig() as config:
        config.add_route("api.page", "/test")
        request = testing.DummyRequest()
        request.script_name = "/mounted"
        expected = request.route_path("api.page", _query=query)
        assert route_with_query(request, "api.page", query) == expected
        # Asked again (now remembered), the same link.
        assert route_with_query(request, "api.page", query) == expected


def test_an_api_pages_link_is_its_readable_address_with_the_same_query() -> None:
    with testing.testConfig() as config:
        config.add_route("api.page", "/test")
        request = testing.DummyRequest()
        request.script_name = "/mounted"
        query = {"page": 2, "perPage": 25, "view": "json"}
        expected = request.route_path("api.page", _query=query).replace("/test", "/directory")
        assert route_with_query(request, "api.page", {"api": "extension", **query}) == expected


@pytest.mark.parametrize(
    ("asked", "readable"),
    [
        (
            "/test?api=extension-call-log&search=bob&result=missed",
            "/calls?search=bob&result=missed",
        ),
        ("/test?api=account-call-log&colleague=7&page=2", "/company/calls?colleague=7&page=2"),
        ("/test?search=a+b%26c&api=extension", "/directory?search=a+b%26c"),
        ("/test?api=extension-call-log", "/calls"),
        # Not one of the readable pages: the address as it was asked for.
        ("/test?api=no-such-page&page=2", "/test?api=no-such-page&page=2"),
        ("/time-zone?return_to=%2Fcalls", "/time-zone?return_to=%2Fcalls"),
        # What the local-path check refuses stays refusable, never re-encoded past it.
        (
            "/test?api=extension&next=http://evil.example/",
            "/test?api=extension&next=http://evil.example/",
        ),
    ],
)
def test_the_address_asked_for_is_written_readable(asked: str, readable: str) -> None:
    request = Request.blank(asked)
    assert readable_path_qs(request) == readable
    request = Request.blank(asked, base_url="http://localhost/mounted")
    assert readable_path_qs(request) == "/mounted" + readable
