"""App CPU per request: several rcpyramid variants (checkouts, settings) side by side.

Requests per second on two shared cores move by a fifth from run to run; the CPU an
app's process tree spends per request served moves far less, and it is what a change on
the request path changes. Each variant is its own ``pserve`` (its checkout's ``.venv``,
its ``bench.ini`` with the overrides given, its own Redis database) against one upstream:
the simulator behind nginx's canned extension list, as ``bench/page_vs_seed.py`` sets it
up. Each is signed in once; then, in interleaved rounds, wrk loads the signed-in page on
each variant in turn while the script reads the CPU seconds of its master and workers
before and after. It prints, per variant, the median requests per second and CPU per
request over the rounds, and the median per-round ratio of CPU per request to the first
variant's.

    python bench/cpu_per_request.py --variant before=../before --variant main=. \\
        --variant 'no access line=.:logger_rcpyramid/level=WARNING'

A variant is ``NAME=CHECKOUT[:SECTION/KEY=VALUE,...]``: the overrides are written into a
copy of the checkout's ``bench.ini`` (``app:main/rcpyramid.history.worker=false``). For
a checkout with the live history, its days are set to 1 unless given (the fill before the
measurement then takes seconds, not minutes; the page measured does not read the history).

This is a benchmark, not a test: it asserts nothing; its figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import configparser
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.page_vs_seed import (  # noqa: E402
    COOKIE_JAR_LUA,
    PAGE,
    Instance,
    cookie_header,
    history_synced,
    progress,
    sign_in_rcpyramid,
    start_rcpyramid_on,
    start_upstream,
    wrk,
)
from tests.processes import Process, free_port  # noqa: E402

#: Redis databases 5 and up, one per variant (page_vs_seed.py uses 3 and 4).
FIRST_REDIS_DB = 5


@dataclass
class Variant:
    name: str
    checkout: Path
    overrides: dict[tuple[str, str], str]
    rps: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)


def parse_variant(text: str) -> Variant:
    name, _, rest = text.partition("=")
    checkout, _, overrides = rest.partition(":")
    pairs: dict[tuple[str, str], str] = {}
    for item in filter(None, overrides.split(",")):
        where, _, value = item.partition("=")
        section, _, key = where.partition("/")
        pairs[(section, key)] = value
    return Variant(name, Path(checkout or ".").resolve(), pairs)


def write_ini(variant: Variant, folder: Path) -> Path:
    """A copy of the checkout's bench.ini with the variant's overrides (and 1 day of history)."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.optionxform = str  # type: ignore[assignment,method-assign]
    ini.read(variant.checkout / "bench.ini")
    has_history = (variant.checkout / "rcpyramid" / "livehistory").is_dir()
    overrides = dict(variant.overrides)
    if has_history:
        overrides.setdefault(("app:main", "rcpyramid.history.days"), "1")
    # %(here)s in the copy must still mean the checkout (migrations, var).
    for section in ini.sections():
        for key, value in ini[section].items():
            ini[section][key] = value.replace("%(here)s", str(variant.checkout))
    for (section, key), value in overrides.items():
        if not ini.has_section(section):
            ini.add_section(section)
        ini[section][key] = value
    path = folder / f"{variant.name.replace(' ', '-')}.ini"
    with path.open("w") as out:
        ini.write(out)
    return path


def tree_cpu(pid: int) -> float:
    """User and system CPU seconds of a process and every process under it."""
    master = psutil.Process(pid)
    total = 0.0
    for process in [master, *master.children(recursive=True)]:
        times = process.cpu_times()
        total += times.user + times.system
    return total


def profile_round(
    variant: Variant, page: str, cookie: str, process: Process, args: argparse.Namespace, jar: Path
) -> None:
    """py-spy on each worker while wrk loads the page; the request count in the file's name."""
    workers = psutil.Process(process.popen.pid).children()
    name = variant.name.replace(" ", "-")
    spies = [
        subprocess.Popen(  # noqa: S603
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--gil",
                "--rate=1000",
                "--format=raw",
                f"--duration={args.seconds}",
                f"--pid={worker.pid}",
                f"--output={args.profile / f'{name}-{number}.txt'}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for number, worker in enumerate(workers)
    ]
    load = wrk(page, cookie, args.seconds, args.connections, jar)
    for spy in spies:
        spy.wait()
    (args.profile / f"{name}.requests").write_text(str(load.requests))
    progress(f"profiled {variant.name}: {load.requests:,} requests")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", action="append", type=parse_variant, required=True)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--query", default="", help="added to the page's URL, e.g. &format=json")
    parser.add_argument(
        "--cache-off",
        action="store_true",
        help="dogpile.cache.null: every view asks the (canned) upstream and renders again",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="after the rounds, one more (not counted) with py-spy --gil on every worker: "
        "collapsed stacks in this folder, one file per worker",
    )
    args = parser.parse_args()
    variants: list[Variant] = args.variant
    for variant in variants:
        if not (variant.checkout / ".venv" / "bin" / "pserve").exists():
            raise SystemExit(f"{variant.checkout}/.venv/bin/pserve not found")
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed (apt-get install -y nginx wrk)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    processes: list[Process] = []
    work = Path(tempfile.mkdtemp(prefix="rcpyramid-cpu-"))
    try:
        ports = [free_port() for _ in variants]
        redirects = [f"http://localhost:{port}/oauth2callback" for port in ports]
        upstream = start_upstream(work, redirects, processes)

        targets = []
        for number, (variant, port) in enumerate(zip(variants, ports, strict=True)):
            redis_url = f"redis://127.0.0.1:6379/{FIRST_REDIS_DB + number}"
            redis.Redis.from_url(redis_url).flushdb()
            instance = Instance(
                variant.name,
                "dogpile.cache.null" if args.cache_off else "dogpile.cache.redis",
                pserve=variant.checkout / ".venv" / "bin" / "pserve",
                ini=write_ini(variant, work),
                redis_url=redis_url,
            )
            url, process = start_rcpyramid_on(work, instance, upstream, port, processes)
            session = sign_in_rcpyramid(url)
            if variant.overrides.get(("app:main", "rcpyramid.history.worker")) != "false":
                history_synced(url, session)  # with no worker nothing fills it
            page = f"http://127.0.0.1:{port}{PAGE}{args.query}"
            targets.append((variant, page, cookie_header(session), process))
            progress(f"{variant.name}: signed in on port {port}")

        jar = work / "cookie-jar.lua"
        jar.write_text(COOKIE_JAR_LUA)
        for _, page, cookie, _ in targets:
            wrk(page, cookie, 2, args.connections, jar)
        for number in range(args.rounds):
            # Each round starts with another variant: none always runs first.
            order = targets[number % len(targets) :] + targets[: number % len(targets)]
            for variant, page, cookie, process in order:
                time.sleep(0.5)  # let the previous variant's last requests settle
                before = tree_cpu(process.popen.pid)
                load = wrk(page, cookie, args.seconds, args.connections, jar)
                spent = tree_cpu(process.popen.pid) - before
                variant.rps.append(load.rps)
                variant.cpu_us.append(spent / load.requests * 1e6)
                progress(
                    f"round {number + 1} {variant.name}: {load.rps:,.0f} requests/s, "
                    f"{variant.cpu_us[-1]:,.0f} µs CPU a request, {load.errors} errors"
                )
        if args.profile is not None:
            args.profile.mkdir(parents=True, exist_ok=True)
            for variant, page, cookie, process in targets:
                profile_round(variant, page, cookie, process, args, jar)
    finally:
        for process in reversed(processes):
            process.stop()
        shutil.rmtree(work, ignore_errors=True)

    first = variants[0]
    print(f"wrk -t2 -c{args.connections}, {args.rounds} interleaved rounds of {args.seconds} s")
    against = f"vs {first.name}"
    print(f"{'variant':30} {'req/s':>8} {'µs CPU/request':>16} {'range':>13} {against:>14}")
    for variant in variants:
        ratio = statistics.median(
            mine / base for mine, base in zip(variant.cpu_us, first.cpu_us, strict=True)
        )
        print(
            f"{variant.name:30} {statistics.median(variant.rps):8,.0f} "
            f"{statistics.median(variant.cpu_us):16,.0f} "
            f"{min(variant.cpu_us):6,.0f}-{max(variant.cpu_us):<6,.0f} {ratio:13.2f}x"
        )


if __name__ == "__main__":
    main()
