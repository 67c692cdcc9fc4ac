"""The app's links with a query are the ones Pyramid's own route_path makes."""

from __future__ import annotations

import pytest
from pyramid import testing

from rcpyramid.views.links import route_with_query


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
