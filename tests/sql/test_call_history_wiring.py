"""The app's call history follows its token store: memory with memory, SQL with SQL."""

from __future__ import annotations

from pathlib import Path

from pyramid.scripting import prepare

from rcpyramid import main
from rcpyramid.callstore import history_outside_requests
from rcpyramid.callstore.interfaces import CallHistory
from rcpyramid.callstore.memory import MemoryCallHistory
from rcpyramid.callstore.sqla import SQLAlchemyCallHistory
from rcpyramid.callstore.testing.data import ALICE, NOON, make_record
from tests.databases import sql_app_settings, sqlite_url
from tests.processes import ROOT


def request_history(app: object) -> tuple[CallHistory, CallHistory]:
    registry = app.registry  # type: ignore[attr-defined]
    env = prepare(registry=registry)
    try:
        first = env["request"].find_service(CallHistory)
        return first, history_outside_requests(registry)
    finally:
        env["closer"]()


def test_memory_tokens_keep_histories_in_memory(tmp_path: Path) -> None:
    settings = sql_app_settings(
        tmp_path,
        "",
        **{"rcpyramid.tokens.backend": "rcpyramid.tokens.memory.MemoryTokenRepository"},
    )
    app = main({"here": str(ROOT)}, **settings)
    in_request, outside = request_history(app)
    assert isinstance(in_request, MemoryCallHistory)
    assert in_request is outside


def test_sql_tokens_keep_histories_in_the_same_database(tmp_path: Path) -> None:
    settings = sql_app_settings(
        tmp_path, sqlite_url(tmp_path), **{"rcpyramid.database.auto_upgrade": "true"}
    )
    app = main({"here": str(ROOT)}, **settings)
    try:
        in_request, outside = request_history(app)
        assert isinstance(in_request, SQLAlchemyCallHistory)
        assert isinstance(outside, SQLAlchemyCallHistory)
        outside.merge(ALICE, [make_record("rec-1", NOON)])
        assert outside.get(ALICE, "rec-1") == make_record("rec-1", NOON)
    finally:
        app.registry.close_token_store()
