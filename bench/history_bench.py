"""Call history benchmark: search, pages and merges over one person's 10,000 calls.

Not a test. Run from the checkout (PostgreSQL is optional):

    python bench/history_bench.py
    RCPYRAMID_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test \\
        python bench/history_bench.py --records 10000 --searches 300

Each backend is filled through ``merge`` in batches of 250 (an FSync's worth), for
the measured person and for ``--others`` colleagues of the same size, with records
shaped as RingCentral's Detailed view sends them (about 900 bytes of JSON each). Then:

* search: the first page (100 records) of a search, as the call-log page asks for it,
  for needles drawn at random from the person's contacts (numbers written as people
  type them, parts of names, extension numbers) and some that match nothing; warm
  (the process's search memo is current) and, separately, the first search after a
  change (the memo rebuilt);
* page: the first page of the newest calls without a search, and the index of a
  month of calls for the dashboard's chart (``entries``);
* merge: 250 new records, each batch in its own transaction, as one ISync stores them.

Goal of issue 21: search over 10,000 records of one person under 50 ms at the median.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import postgres_schema

from rcpyramid.callstore.interfaces import CallHistory, HistoryQuery, person_history
from rcpyramid.callstore.memory import MemoryCallHistory
from rcpyramid.callstore.sqla import SQLAlchemyCallHistory, SqlCallStore
from rcpyramid.models import make_engine, metadata
from rcpyramid.tokens.crypto import Keyring, new_key_text

NOW = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
API = "https://platform.ringcentral.com/restapi/v1.0/account/400"
FIRST = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
         "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter",
         "Zoë"]  # fmt: skip
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "García", "Miller", "Davis", "Müller",
        "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "O'Brien",
        "Nguyen", "Kowalski", "Rossi"]  # fmt: skip
RESULTS = ["Accepted", "Accepted", "Call connected", "Missed", "Voicemail", "No Answer", "Busy"]


def contacts(count: int, rng: random.Random) -> list[dict[str, str]]:
    made = []
    for n in range(count):
        made.append(
            {
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "phoneNumber": f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{n % 10000:04d}",
            }
        )
    return made


def record(
    n: int, extension_id: int, people: list[dict[str, str]], rng: random.Random
) -> dict[str, Any]:
    start = NOW - timedelta(seconds=rng.randint(0, 90 * 86400))
    other = dict(rng.choice(people), location="Palo Alto, CA")
    me = {"extensionNumber": str(extension_id - 900), "extensionId": str(extension_id),
          "name": "Benchmark Person", "phoneNumber": "+16505550100"}  # fmt: skip
    inbound = rng.random() < 0.6
    record_id = f"I{extension_id}x{n:07d}AbCdEf"
    return {
        "uri": f"{API}/extension/{extension_id}/call-log/{record_id}?view=Detailed",
        "id": record_id,
        "sessionId": f"{400000000000 + n}",
        "telephonySessionId": f"s-a0d{n:012x}z19d2a1f0dd",
        "startTime": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "duration": rng.randint(0, 1800),
        "durationMs": 0,
        "type": "Voice",
        "direction": "Inbound" if inbound else "Outbound",
        "action": "Phone Call",
        "result": rng.choice(RESULTS),
        "to": me if inbound else other,
        "from": other if inbound else me,
        "extension": {"uri": f"{API}/extension/{extension_id}", "id": extension_id},
        "transport": "PSTN",
        "lastModifiedTime": (start + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "billing": {"costIncluded": 0.0, "costPurchased": 0.0},
        "legs": [{"startTime": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "duration": 5,
                  "type": "Voice", "direction": "Inbound" if inbound else "Outbound",
                  "action": "Phone Call", "result": "Accepted", "legType": "Accept", "master": True,
                  "to": me if inbound else other, "from": other if inbound else me}],
    }  # fmt: skip


def needles(people: list[dict[str, str]], rng: random.Random, count: int) -> list[str]:
    made = []
    for _ in range(count):
        person = rng.choice(people)
        digits = person["phoneNumber"][2:]
        kind = rng.randrange(6)
        if kind == 0:
            made.append(f"+1 {digits[:3]}-{digits[3:6]}-{digits[6:]}")
        elif kind == 1:
            made.append(f"({digits[:3]}) {digits[3:6]}-{digits[6:]}")
        elif kind == 2:
            made.append(digits[-7:])
        elif kind == 3:
            made.append(person["name"].split()[1].lower())
        elif kind == 4:
            made.append(person["name"][:5])
        else:
            made.append(rng.choice(["nobody here", "999999999", "101", "Smith"]))
    return made


@contextmanager
def backends(selected: list[str]) -> Iterator[list[tuple[str, CallHistory]]]:
    keyring = Keyring.parse(new_key_text("bench"))
    made: list[tuple[str, CallHistory]] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as schemas:
        if "memory" in selected:
            made.append(("memory", MemoryCallHistory()))
        urls = {}
        if "sqlite" in selected:
            urls["sqlite"] = f"sqlite:///{Path(tmp) / 'history.sqlite'}"
        if "postgresql" in selected and os.environ.get("RCPYRAMID_TEST_POSTGRES_URL", ""):
            urls["postgresql"] = schemas.enter_context(postgres_schema())
        engines = [make_engine(url, pool_size=4) for url in urls.values()]
        for name, engine in zip(urls, engines, strict=True):
            metadata.create_all(engine)
            made.append((name, SQLAlchemyCallHistory(SqlCallStore(engine, keyring))))
        try:
            yield made
        finally:
            for engine in engines:
                engine.dispose()


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered):7.2f} ms  p95 {p95:7.2f} ms  (n={len(ordered)})"


def run(history: CallHistory, name: str, args: argparse.Namespace) -> None:
    rng = random.Random(21)
    people = contacts(2000, rng)
    owner = person_history("400", "1001")
    print(f"\n== {name}: {args.records:,} records of one person, {args.others} colleagues as large")
    load: list[float] = []
    for extension_id in [1001, *range(1002, 1002 + args.others)]:
        batch_owner = person_history("400", str(extension_id))
        records = [record(n, extension_id, people, rng) for n in range(args.records)]
        for start in range(0, len(records), 250):
            chunk = records[start : start + 250]
            load.append(timed(lambda o=batch_owner, c=chunk: history.merge(o, c)))
    print(f"fill, merge of 250 (FSync-sized) batches:   {summary(load)}")

    search_needles = needles(people, rng, args.searches)
    history.page(owner, HistoryQuery(search="warm up"))
    warm = [timed(lambda n=n: history.page(owner, HistoryQuery(search=n))) for n in search_needles]
    print(f"search, first page of 100, memo current:    {summary(warm)}")
    filtered = [
        timed(
            lambda n=n: history.page(
                owner,
                HistoryQuery(search=n, date_from=NOW - timedelta(days=30), directions=("Inbound",)),
            )
        )
        for n in search_needles
    ]
    print(f"  the same, 30 days of incoming calls only: {summary(filtered)}")
    hits = [history.page(owner, HistoryQuery(search=n, limit=0)).total for n in search_needles[:50]]
    print(f"  (matches per search: median {statistics.median(hits):.0f}, max {max(hits)})")

    plain = [timed(lambda: history.page(owner, HistoryQuery())) for _ in range(50)]
    print(f"page of the newest 100, no search:          {summary(plain)}")
    month = HistoryQuery(date_from=NOW - timedelta(days=30), limit=None)
    chart = [timed(lambda: history.entries(owner, month)) for _ in range(20)]
    print(f"index of 30 days for the chart (entries):   {summary(chart)}")

    merges: list[float] = []
    after_change: list[float] = []
    for round_ in range(args.merges):
        fresh = [record(args.records + round_ * 250 + n, 1001, people, rng) for n in range(250)]
        merges.append(timed(lambda f=fresh: history.merge(owner, f)))
        after_change.append(
            timed(lambda: history.page(owner, HistoryQuery(search=rng.choice(search_needles))))
        )
    print(f"merge of 250 new records (one transaction): {summary(merges)}")
    print(f"first search after a change (memo rebuilt): {summary(after_change)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=2)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--merges", type=int, default=10)
    parser.add_argument("--backends", default="sqlite,postgresql,memory")
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {started}")
    with backends(args.backends.split(",")) as made:
        for name, history in made:
            run(history, name, args)


if __name__ == "__main__":
    main()
