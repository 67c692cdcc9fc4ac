"""Token repository benchmark: get and save per second, p50 and p99, per backend and size.

Not a test. Run from the checkout (PostgreSQL is optional):

    python bench/tokens_bench.py
    RCPYRAMID_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test \\
        python bench/tokens_bench.py --sizes 1000,1000000 --ops 3000

Each store is loaded in bulk (the memory dict directly, SQLite by executemany,
PostgreSQL by COPY) with encrypted rows like the ones the app writes, then read and
written one login at a time, as requests do: a get is one SELECT by primary key, a
save one upsert in its own transaction. Lookup should stay flat as the table grows.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from common import postgres_schema

from rcpyramid.models import make_engine, metadata
from rcpyramid.tokens.crypto import Keyring, associated_data, new_key_text
from rcpyramid.tokens.interfaces import Token, TokenRepository
from rcpyramid.tokens.memory import MemoryTokenRepository
from rcpyramid.tokens.sqla import LOGINS, SQLAlchemyTokenRepository, SqlTokenStore

ACCESS = "U0pDMTFQMDFQQVMwMHxBQUFfTWpBeU1UVXhNVEExTlRrNE1qVXdOREkwTkRVeU1UZ3haVE01T0RnMg"
REFRESH = "U0pDMTFQMDFQQVMwMHxBQUNvSVpxMGhMSmJFWEFXMHlTc2ZBWkxNMEE3S1Z6djQ3Rk1vZXc3d1NZ"
COLUMNS = [column.name for column in LOGINS.columns]


@dataclass
class Result:
    backend: str
    rows: int
    get_per_s: float
    get_p50: float
    get_p99: float
    save_per_s: float
    save_p50: float
    save_p99: float
    load_s: float


def token(now: datetime, n: int = 0) -> Token:
    return Token(
        access_token=f"{ACCESS}{n}",
        access_expires_at=now + timedelta(hours=1),
        refresh_token=f"{REFRESH}{n}",
        refresh_expires_at=now + timedelta(days=7),
        scope="ReadAccounts ReadCallLog",
        owner_id="101",
        endpoint_id="endpoint-1",
        owner_name="Alice Smith",
    )


def login_ids(count: int) -> list[str]:
    return [secrets.token_urlsafe(32) for _ in range(count)]


def encrypted_rows(keyring: Keyring, ids: list[str], now: datetime) -> Iterator[tuple]:
    """Rows as the repository writes them: both tokens sealed, bound to their login id."""
    later, much_later = now + timedelta(hours=1), now + timedelta(days=7)
    for login_id in ids:
        yield (
            login_id,
            keyring.primary,
            keyring.encrypt(ACCESS, associated_data("access_token", login_id)),
            later,
            keyring.encrypt(REFRESH, associated_data("refresh_token", login_id)),
            much_later,
            "bearer",
            "ReadAccounts ReadCallLog",
            "101",
            "Alice Smith",
            "endpoint-1",
            now,
            now,
            now,  # last seen
            None,  # no refresh failure remembered
            None,
        )


def load_memory(repo: MemoryTokenRepository, ids: list[str], now: datetime) -> None:
    # Through the contract's own verb: a dict write under the backend's lock, each.
    stored = replace(token(now), created_at=now, updated_at=now)
    for login_id in ids:
        repo.save(login_id, stored)


def load_sqlite(repo: SQLAlchemyTokenRepository, ids: list[str], now: datetime) -> None:
    # The driver's executemany, with times in the text form SQLAlchemy stores (naive UTC).
    def text_times(row: tuple) -> tuple:
        return tuple(
            value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            if isinstance(value, datetime)
            else value
            for value in row
        )

    statement = (
        f"INSERT INTO logins ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"  # noqa: S608 - our own column names
    )
    raw = repo.engine.raw_connection()
    try:
        cursor = raw.cursor()
        # In key order: appending to the primary key's B-tree is much faster than
        # inserting at random places (the order of the rows does not matter otherwise).
        rows = encrypted_rows(repo.keyring, sorted(ids), now)
        cursor.executemany(statement, map(text_times, rows))
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def load_postgresql(repo: SQLAlchemyTokenRepository, ids: list[str], now: datetime) -> None:
    raw = repo.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY logins ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in encrypted_rows(repo.keyring, sorted(ids), now):
                copy.write_row(row)
        raw.commit()
        cursor.execute("ANALYZE logins")
        raw.commit()
    finally:
        raw.close()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def timed(operation: Callable[[str], object], keys: list[str]) -> tuple[float, float, float]:
    """Operations per second, p50 and p99 in milliseconds."""
    samples = []
    started = time.perf_counter()
    for key in keys:
        before = time.perf_counter()
        operation(key)
        samples.append((time.perf_counter() - before) * 1000)
    total = time.perf_counter() - started
    return len(keys) / total, statistics.median(samples), percentile(samples, 0.99)


def measure(
    name: str,
    repo: TokenRepository,
    rows: int,
    load: Callable[[list[str], datetime], None],
    ops: int,
) -> Result:
    now = datetime.now(UTC)
    ids = login_ids(rows)
    started = time.perf_counter()
    load(ids, now)
    load_s = time.perf_counter() - started
    rng = random.Random(rows)
    warm = [rng.choice(ids) for _ in range(min(ops, 500))]
    for key in warm:
        assert repo.get(key) is not None
    gets = timed(repo.get, [rng.choice(ids) for _ in range(ops)])
    fresh = token(now, 1)
    saves = timed(lambda key: repo.save(key, fresh), [rng.choice(ids) for _ in range(ops)])
    return Result(name, rows, *gets, *saves, load_s)


@contextmanager
def memory_store() -> Iterator[tuple[TokenRepository, Callable]]:
    repo = MemoryTokenRepository()
    yield repo, lambda ids, now: load_memory(repo, ids, now)


@contextmanager
def sql_store(url: str, load: Callable) -> Iterator[tuple[TokenRepository, Callable]]:
    """A repository on ``url`` (tables from the models), with its bulk loader."""
    engine = make_engine(url, pool_size=4)
    metadata.create_all(engine)
    repo = SQLAlchemyTokenRepository(SqlTokenStore(engine, Keyring.parse(new_key_text("bench"))))
    try:
        yield repo, lambda ids, now: load(repo, ids, now)
    finally:
        repo.store.close()


@contextmanager
def sqlite_store() -> Iterator[tuple[TokenRepository, Callable]]:
    with (
        tempfile.TemporaryDirectory() as folder,
        sql_store(f"sqlite:///{folder}/bench.sqlite", load_sqlite) as made,
    ):
        yield made


@contextmanager
def postgresql_store() -> Iterator[tuple[TokenRepository, Callable]]:
    with postgres_schema() as url, sql_store(url, load_postgresql) as made:
        yield made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,1000000", help="stored logins, comma-separated")
    parser.add_argument("--ops", type=int, default=3000, help="gets and saves measured per run")
    parser.add_argument("--backends", default="memory,sqlite,postgresql")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    postgres = os.environ.get("RCPYRAMID_TEST_POSTGRES_URL", "").strip()
    stores: dict[str, Callable[[], contextmanager]] = {
        "memory": memory_store,
        "sqlite": sqlite_store,
    }
    if postgres:
        stores["postgresql"] = postgresql_store
    results: list[Result] = []
    for name in args.backends.split(","):
        if name not in stores:
            print(f"skipping {name}: set RCPYRAMID_TEST_POSTGRES_URL to include it")
            continue
        for size in sizes:
            with stores[name]() as (repo, load):
                results.append(measure(name, repo, size, load, args.ops))
            print(f"  done: {name} with {size:,} rows", file=sys.stderr)

    header = (
        "| backend | stored logins | get/s | get p50 ms | get p99 ms "
        "| save/s | save p50 ms | save p99 ms | bulk load s |"
    )
    print(header)
    print("|" + "---|" * 9)
    for r in results:
        print(
            f"| {r.backend} | {r.rows:,} | {r.get_per_s:,.0f} | {r.get_p50:.3f} | "
            f"{r.get_p99:.3f} | {r.save_per_s:,.0f} | {r.save_p50:.3f} | {r.save_p99:.3f} | "
            f"{r.load_s:.1f} |"
        )
    flat = True
    if len(sizes) > 1:
        print()
        for name in dict.fromkeys(r.backend for r in results):
            small, large = (
                next(r for r in results if r.backend == name and r.rows == min(sizes)),
                next(r for r in results if r.backend == name and r.rows == max(sizes)),
            )
            ratio = large.get_p50 / small.get_p50
            verdict = "flat" if ratio <= 1.5 else "NOT flat"
            if name == "memory":
                # A dict lookup takes about a microsecond at any size; at that scale the
                # ratio measures CPU cache misses and timer noise, not the store.
                verdict = "a dict: about a microsecond either way, not judged"
            else:
                flat = flat and ratio <= 1.5
            print(
                f"{name}: get p50 at {max(sizes):,} rows is {ratio:.2f}x the "
                f"{min(sizes):,}-row figure ({verdict}; the goal is at most 1.5x)"
            )
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
