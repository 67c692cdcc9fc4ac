"""What a process keeps for the SQL call history: the engine, the keys, the search memo."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from rcpyramid.callstore.search import SearchIndex
from rcpyramid.callstore.sqla.tables import RECORDS
from rcpyramid.memo import LockedTTL
from rcpyramid.tokens.crypto import Keyring
from rcpyramid.tokens.sqla.rows import insert_for

#: Decrypted search text a process keeps at most, in records (about 100 bytes each).
MEMO_RECORDS = 100_000
#: How long a process keeps an owner's decrypted search text after building it.
MEMO_SECONDS = 600.0


class SearchMemo:
    """Per-process decrypted search text, per owner, labelled with the owner's revision."""

    def __init__(self, max_records: int = MEMO_RECORDS, seconds: float = MEMO_SECONDS) -> None:
        self._cache: LockedTTL[str, tuple[str, SearchIndex]] = LockedTTL(
            max_records, seconds, getsizeof=lambda held: max(1, len(held[1]))
        )

    def get(self, owner: str, revision: str) -> SearchIndex | None:
        held = self._cache.get(owner)
        if held is None or held[0] != revision:
            return None
        return held[1]

    def put(self, owner: str, revision: str, index: SearchIndex) -> None:
        try:
            self._cache[owner] = (revision, index)
        except ValueError:
            # One owner larger than the whole memo: searched without it, every time.
            self._cache.pop(owner)

    def drop(self, owner: str) -> None:
        self._cache.pop(owner)


class SqlCallStore:
    """What a process keeps for the SQL call history: the engine, the keys, the search memo."""

    def __init__(self, engine: Engine, keyring: Keyring, memo: SearchMemo | None = None) -> None:
        self.engine = engine
        self.keyring = keyring
        self.memo = memo if memo is not None else SearchMemo()
        self.dialect = engine.dialect.name
        insert_for(self.dialect, RECORDS)  # refuse an unsupported database now, not per request

    def __repr__(self) -> str:
        return f"SqlCallStore(url={self.engine.url!r}, keyring={self.keyring!r})"
