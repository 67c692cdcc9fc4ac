"""Which rows a page holds: filters on the clear index, search through the per-process memo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select

from rcpyramid.callstore.interfaces import HistoryQuery
from rcpyramid.callstore.search import Needle, SearchIndex
from rcpyramid.callstore.sqla.sealing import open_search
from rcpyramid.callstore.sqla.store import SqlCallStore
from rcpyramid.callstore.sqla.tables import HISTORIES, NEWEST_FIRST, RECORDS, chunks
from rcpyramid.models.meta import AnyRow
from rcpyramid.tokens.sqla.rows import Executor

#: Up to this many search hits are looked up by id; more are matched against the range's ids.
HITS_BY_ID = 500


def filters(owner: str, query: HistoryQuery) -> list[ColumnElement[bool]]:
    """The query's filters as conditions on the index columns (the owner's first)."""
    conditions: list[ColumnElement[bool]] = [RECORDS.c.owner == owner]
    if query.date_from is not None:
        conditions.append(RECORDS.c.start_time >= query.date_from)
    if query.date_to is not None:
        conditions.append(RECORDS.c.start_time < query.date_to)
    if query.directions:
        conditions.append(RECORDS.c.direction.in_(query.directions))
    if query.types:
        conditions.append(RECORDS.c.type.in_(query.types))
    if query.results:
        conditions.append(RECORDS.c.result.in_(query.results))
    if query.extension_id is not None:
        conditions.append(RECORDS.c.extension_id == query.extension_id)
    return conditions


def search_index(store: SqlCallStore, ex: Executor, owner: str) -> SearchIndex:
    """The owner's search text, newest first, from this process's memo when it is current."""
    revision = ex.execute(
        select(HISTORIES.c.revision).where(HISTORIES.c.owner == owner)
    ).scalar_one_or_none()
    if revision is None:
        return SearchIndex(())
    index = store.memo.get(owner, revision)
    if index is None:
        found = ex.execute(
            select(RECORDS.c.record_id, RECORDS.c.key_id, RECORDS.c.search)
            .where(RECORDS.c.owner == owner)
            .order_by(*NEWEST_FIRST)
        ).all()
        index = SearchIndex(open_search(store.keyring, owner, row) for row in found)
        # Read after the revision: at least as new as it, so the label never overstates.
        store.memo.put(owner, revision, index)
    return index


def matching_ids(
    store: SqlCallStore, ex: Executor, owner: str, query: HistoryQuery, needle: Needle
) -> list[str]:
    """Every id the search and the filters match, newest first (the memo's order)."""
    hits = search_index(store, ex, owner).matching(needle)
    conditions = filters(owner, query)
    if not hits or len(conditions) == 1:  # the owner is the only condition
        return hits
    if len(hits) <= HITS_BY_ID:
        conditions.append(RECORDS.c.record_id.in_(hits))
    passing = set(ex.execute(select(RECORDS.c.record_id).where(*conditions)).scalars().all())
    return [record_id for record_id in hits if record_id in passing]


def page_rows(
    store: SqlCallStore, ex: Executor, owner: str, query: HistoryQuery, columns: Sequence[Any]
) -> tuple[list[AnyRow], int]:
    """The rows of the query's page (``columns``) in order, and how many match in all."""
    needle = Needle.parse(query.search)
    if needle is None:
        conditions = filters(owner, query)
        total = ex.execute(
            select(func.count()).select_from(RECORDS).where(*conditions)
        ).scalar_one()
        if query.limit == 0 or query.offset >= total:
            return [], total
        statement = select(*columns).where(*conditions).order_by(*NEWEST_FIRST).offset(query.offset)
        if query.limit is not None:
            statement = statement.limit(query.limit)
        return list(ex.execute(statement).all()), total
    matching = matching_ids(store, ex, owner, query, needle)
    end = None if query.limit is None else query.offset + query.limit
    wanted = matching[query.offset : end]
    found: dict[str, AnyRow] = {}
    for chunk in chunks(wanted):
        for row in ex.execute(
            select(*columns).where(RECORDS.c.owner == owner, RECORDS.c.record_id.in_(chunk))
        ):
            found[row.record_id] = row
    return [found[record_id] for record_id in wanted if record_id in found], len(matching)
