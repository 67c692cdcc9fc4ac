"""rcpyramid's signed-in extension page against the Node quick start's, on one fast upstream;
and its call log read from the local history against the seed's live call log.

What runs, each as its own process on loopback:

- ``rcpyramid-simulator`` (rate limits off): OAuth for both apps;
- nginx in front of it: ``/restapi/v1.0/account/~/extension`` answered from a canned copy
  of the simulator's answer (with rate-limit headers as for an app whose limits
  RingCentral raised to 100,000 a minute), everything else passed to the simulator;
  measured alone too;
- the seed (``../shared/peers/seed-express``, copied to a temporary folder and installed
  with ``npm ci``), one Node process, as the quick start serves it;
- rcpyramid under ``pserve bench.ini`` twice: answers cached in Redis, and with
  ``dogpile.cache.null``.

Both apps are signed in once; wrk then loads ``/test?api=extension`` (rcpyramid: the
HTML page and ``format=json``) in interleaved rounds, and the script prints the median
of the per-round ratios to the seed, p99 latencies, and each rcpyramid worker's PSS at
start and after 100,000 requests. Run it from the checkout (needs nginx, wrk, node, npm
and Redis at 127.0.0.1:6379):

    python bench/page_vs_seed.py [--rounds 5] [--seconds 10] [--connections 8]

``--call-log-only`` measures only the two call logs (the seed's live one and rcpyramid's
from the history, side by side in the same rounds) and skips the PSS readings.

``--before PATH`` adds an earlier checkout (a ``git worktree`` with its own ``.venv``,
its ``pserve`` and ``bench.ini``), both its instances, to the same interleaved rounds, and
prints each page's median per-round ratio to it: before and after measured in one run,
so the seed's own swing from run to run (up to half as much again) does not enter.

This is a benchmark, not a test: it asserts nothing and its figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import psutil
import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rcpyramid.simulator import DEMO_CLIENT  # noqa: E402
from rcpyramid.simulator.testing import parse_form  # noqa: E402
from tests.browser import authorize_at_simulator  # noqa: E402
from tests.processes import BIN, Process, free_port, wait_until_answering  # noqa: E402

#: The seed beside the checkout (``../shared``), or beside the folder of worktrees.
SEED_CANDIDATES = [base / "shared" / "peers" / "seed-express" for base in ROOT.parents]
EXTENSION = "/restapi/v1.0/account/~/extension"
PAGE = "/test?api=extension"
#: The call log: the seed asks RingCentral live; rcpyramid reads its local history.
CALL_LOG_PAGE = "/test?api=extension-call-log"
REDIS_URL = os.environ.get("RCPYRAMID_BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
#: The earlier checkout's (``--before``): its keys must not meet this checkout's.
BEFORE_REDIS_URL = os.environ.get("RCPYRAMID_BENCH_BEFORE_REDIS_URL", "redis://127.0.0.1:6379/4")
TARGET_REQUESTS = 100_000

NGINX_CONF = """
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {work}/nginx-body;
  proxy_temp_path {work}/nginx-proxy;
  fastcgi_temp_path {work}/nginx-fastcgi;
  uwsgi_temp_path {work}/nginx-uwsgi;
  scgi_temp_path {work}/nginx-scgi;
  server {{
    listen 127.0.0.1:{port};
    location = {extension} {{
      default_type application/json;
      alias {work}/extension.json;
      # As RingCentral answers an app whose limits it raised: the cache-off instance
      # then measures fetching, not its own pacing page once 40 a minute are spent.
      add_header X-Rate-Limit-Group medium always;
      add_header X-Rate-Limit-Limit 100000 always;
      add_header X-Rate-Limit-Remaining 99999 always;
      add_header X-Rate-Limit-Window 60 always;
    }}
    location / {{
      proxy_pass http://127.0.0.1:{simulator_port};
      proxy_set_header Host $http_host;
    }}
  }}
}}
"""


#: wrk alone sends the first cookie on every request; a browser keeps what the app sets.
#: rcpyramid re-signs its session cookie when the idle clock moves (once a minute for a
#: browser, on every request for a client that replays an old cookie), so this keeps
#: the cookie as a browser would, for both apps alike. One cookie table per wrk thread.
COOKIE_JAR_LUA = r"""
local jar = {}
local header = nil

local function joined()
  local parts = {}
  for name, value in pairs(jar) do parts[#parts + 1] = name .. "=" .. value end
  return table.concat(parts, "; ")
end

init = function(args)
  for pair in string.gmatch(wrk.headers["Cookie"] or "", "[^;]+") do
    local name, value = pair:match("^%s*([^=]+)=(.*)$")
    if name then jar[name] = value end
  end
  header = joined()
end

request = function()
  wrk.headers["Cookie"] = header
  return wrk.format()
end

response = function(status, headers, body)
  local set = headers["Set-Cookie"] or headers["set-cookie"]
  if set then
    local name, value = set:match("^%s*([^=;]+)=([^;]*)")
    if name then
      jar[name] = value
      header = joined()
    end
  end
end
"""


@dataclass(frozen=True)
class Instance:
    """One rcpyramid under ``pserve``: which checkout, which cache, which Redis database."""

    name: str
    backend: str
    pserve: Path = BIN / "pserve"
    ini: Path = ROOT / "bench.ini"
    redis_url: str = REDIS_URL


@dataclass
class Load:
    rps: float
    p99_ms: float
    requests: int
    errors: int


def wrk(url: str, cookie: str, seconds: int, connections: int, jar: Path | None = None) -> Load:
    """One wrk run (2 threads); its requests per second, p99 and request count.

    With ``jar`` (a file holding :data:`COOKIE_JAR_LUA`), cookies the server sets are
    sent from then on, as a browser sends them.
    """
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if cookie:
        args[1:1] = ["-H", f"Cookie: {cookie}"]
    if jar is not None:
        args[1:1] = ["-s", str(jar)]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout  # noqa: S603
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    total = int(re.search(r"(\d+) requests in", out)[1])
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return Load(rps, p99, total, int(failed[1]) if failed else 0)


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def sign_in_rcpyramid(app_url: str) -> requests.Session:
    browser = requests.Session()
    form = parse_form(browser.get(app_url + "/", timeout=10).text)
    started = browser.post(app_url + form.action, data=form.fields, allow_redirects=False)
    landed = browser.get(authorize_at_simulator(started.headers["Location"]), timeout=10)
    assert "Signed in as" in landed.text, landed.text[:500]
    return browser


def sign_in_seed(seed_url: str) -> requests.Session:
    browser = requests.Session()
    home = browser.get(seed_url + "/", timeout=10).text
    authorize = re.search(r'href="([^"]*oauth/authorize[^"]*)"', home)[1].replace("&amp;", "&")
    browser.get(authorize_at_simulator(authorize), timeout=10)
    answer = browser.get(seed_url + PAGE, timeout=10)
    assert answer.text.startswith("{"), answer.text[:300]
    return browser


def worker_pss(master: Process) -> list[float]:
    """PSS (MB) of each worker of a gunicorn master: shared pages counted once."""
    children = psutil.Process(master.popen.pid).children()
    return [child.memory_full_info().pss / 1e6 for child in children]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--pss-requests",
        type=int,
        default=TARGET_REQUESTS,
        help="requests each rcpyramid instance serves before the second PSS reading",
    )
    parser.add_argument(
        "--call-log-only",
        action="store_true",
        help="only the seed's call log against rcpyramid's from the history; no PSS",
    )
    parser.add_argument("--seed", type=Path, help="the seed-express folder (default: ../shared)")
    parser.add_argument(
        "--before",
        type=Path,
        help="an earlier checkout with its own .venv, measured in the same rounds",
    )
    args = parser.parse_args()
    if args.before is not None and not (args.before / ".venv" / "bin" / "pserve").exists():
        raise SystemExit(f"{args.before}/.venv/bin/pserve not found: give the checkout a venv")
    if args.call_log_only:
        args.pss_requests = 0
    seed_source = args.seed or next((p for p in SEED_CANDIDATES if p.is_dir()), None)
    if seed_source is None:
        raise SystemExit("the seed-express folder was not found; pass --seed")
    for tool in ("nginx", "wrk", "node", "npm"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed (apt-get install -y nginx wrk nodejs npm)")
    for url in (REDIS_URL, BEFORE_REDIS_URL) if args.before else (REDIS_URL,):
        redis.Redis.from_url(url).flushdb()  # the benchmark's own databases
    # A timeout's SIGTERM still stops every process this script started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    processes: list[Process] = []
    work = Path(tempfile.mkdtemp(prefix="rcpyramid-bench-"))
    try:
        seed_port = free_port()
        ports: dict[str, int] = {"seed": seed_port}
        # This checkout's two instances (with the cache and without), and the earlier
        # checkout's two with --before.
        instances = [
            Instance("rcpyramid cached", "dogpile.cache.redis"),
            Instance("rcpyramid cache off", "dogpile.cache.null"),
        ]
        if args.call_log_only:
            instances = instances[:1]
        elif args.before is not None:
            instances += [
                replace(
                    mine,
                    name=mine.name.replace("rcpyramid", "before"),
                    pserve=args.before / ".venv" / "bin" / "pserve",
                    ini=args.before / "bench.ini",
                    redis_url=BEFORE_REDIS_URL,
                )
                for mine in instances
            ]
        rc_ports = [free_port() for _ in instances]
        redirects = [f"http://localhost:{p}/oauth2callback" for p in (seed_port, *rc_ports)]
        upstream = start_upstream(work, redirects, processes)

        seed_dir = work / "seed"
        shutil.copytree(seed_source, seed_dir)
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],  # noqa: S607
            cwd=seed_dir,
            check=True,
        )
        seed = Process(
            ["node", str(seed_dir / "index.js")],
            env={
                "PORT": str(seed_port),
                "RINGCENTRAL_SERVER_URL": upstream,
                "RINGCENTRAL_CLIENT_ID": DEMO_CLIENT.client_id,
                "RINGCENTRAL_CLIENT_SECRET": DEMO_CLIENT.client_secret,
                "RINGCENTRAL_REDIRECT_URL": redirects[0],
            },
            cwd=seed_dir,
        )
        processes.append(seed)
        seed_url = f"http://localhost:{seed_port}"
        wait_until_answering(seed_url + "/", seed)

        apps = {}
        # Before anyone signs in: the code and the settings, no history filled yet.
        pss_idle: dict[str, list[float]] = {}
        for instance, port in zip(instances, rc_ports, strict=True):
            url, process = start_rcpyramid_on(work, instance, upstream, port, processes)
            apps[instance.name] = (url, process)
            pss_idle[instance.name] = worker_pss(process)
            ports[instance.name] = port

        seed_cookie = cookie_header(sign_in_seed(seed_url))
        targets = {"seed (JSON text)": (f"http://127.0.0.1:{seed_port}{PAGE}", seed_cookie)}
        call_targets = {
            "seed call log (live)": (f"http://127.0.0.1:{seed_port}{CALL_LOG_PAGE}", seed_cookie)
        }
        for name, (url, _) in apps.items():
            session = sign_in_rcpyramid(url)
            cookie = cookie_header(session)
            base = f"http://127.0.0.1:{ports[name]}{PAGE}"
            targets[f"{name}, HTML"] = (base, cookie)
            targets[f"{name}, format=json"] = (base + "&format=json", cookie)
            # Every instance with a live history fills it on sign-in: a fill still
            # running would be measured with the pages.
            history_synced(url, session)
            if name == "rcpyramid cached":
                call_base = f"http://127.0.0.1:{ports[name]}{CALL_LOG_PAGE}"
                call_targets["rcpyramid call log (history), HTML"] = (call_base, cookie)
        targets = call_targets if args.call_log_only else {**targets, **call_targets}
        jar = work / "cookie-jar.lua"
        jar.write_text(COOKIE_JAR_LUA)
        # Warm up every target (imports, pools, the first cache fill), then measure.
        for url, cookie in targets.values():
            wrk(url, cookie, 2, args.connections, jar)
        nginx_alone = wrk(upstream + EXTENSION, "", args.seconds, args.connections)
        pss_start = {name: worker_pss(process) for name, (_, process) in apps.items()}
        served = {name: 0 for name in apps}

        results: dict[str, list[Load]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, (url, cookie) in targets.items():
                load = wrk(url, cookie, args.seconds, args.connections, jar)
                progress(f"{name}: {load.rps:,.0f} requests/s, p99 {load.p99_ms:.1f} ms")
                results[name].append(load)
                for app in apps:
                    if name.startswith(f"{app},"):
                        served[app] += load.requests
        for app in [] if args.call_log_only else apps:
            # Top up to 100,000 requests on the HTML page before the second PSS reading.
            base, cookie = targets[f"{app}, HTML"]
            rate = statistics.median(load.rps for load in results[f"{app}, HTML"])
            while served[app] < args.pss_requests:
                seconds = max(2, min(120, int((args.pss_requests - served[app]) / rate) + 1))
                progress(f"{app}: {served[app]:,} requests so far, {seconds} s more")
                served[app] += wrk(base, cookie, seconds, args.connections, jar).requests
        pss_end = {name: worker_pss(process) for name, (_, process) in apps.items()}
    finally:
        for process in reversed(processes):
            process.stop()
        shutil.rmtree(work, ignore_errors=True)

    report(args, nginx_alone, results, (pss_idle, pss_start, pss_end), served)


def start_upstream(work: Path, redirects: list[str], processes: list[Process]) -> str:
    """The simulator (rate limits off) behind nginx's canned extension list; nginx's URL.

    ``redirects``: the apps' callback addresses, the first one used for the probe.
    """
    simulator_port = free_port()
    simulator = Process(
        [
            str(BIN / "rcpyramid-simulator"),
            f"--port={simulator_port}",
            "--rate-limits=off",
            "--no-test-controls",
            f"--client={DEMO_CLIENT.client_id}:{DEMO_CLIENT.client_secret}:" + ",".join(redirects),
        ]
    )
    processes.append(simulator)
    simulator.wait_for_line("listening on")

    # The canned answer: what the simulator answers for the page rcpyramid shows.
    probe = sign_in_probe(simulator_port, redirects[0])
    (work / "extension.json").write_bytes(probe)
    # nginx's worker runs as an unprivileged user: it must be able to read the copy.
    work.chmod(0o755)
    (work / "extension.json").chmod(0o644)
    nginx_port = free_port()
    (work / "nginx.conf").write_text(
        NGINX_CONF.format(
            work=work, port=nginx_port, extension=EXTENSION, simulator_port=simulator_port
        )
    )
    nginx = Process(["nginx", "-c", str(work / "nginx.conf"), "-p", str(work)])
    processes.append(nginx)
    upstream = f"http://127.0.0.1:{nginx_port}"
    wait_until_answering(upstream + "/restapi/v1.0", nginx)
    canned = requests.get(upstream + EXTENSION, timeout=5)
    if canned.content != probe:
        raise SystemExit(f"nginx does not answer the canned copy: {canned.status_code}")
    return upstream


def history_synced(app_url: str, session: requests.Session) -> None:
    """Wait until the live history has filled the person's calls and the company's.

    A checkout from before the live history answers 404: nothing to wait for.

    Both: an administrator's company history fills in the same worker thread, and a
    fill still running while wrk measures would be measured with the pages.
    """
    # 90 days at one 1000-record page per Heavy request, 6 a minute: a few minutes.
    deadline = time.monotonic() + 900
    for scope in ("", "?scope=company"):
        while True:
            answer = session.get(app_url + "/calls/updates" + scope, timeout=10)
            if answer.status_code == 404:
                return  # a checkout from before the live history
            state = answer.json()
            # Filled once the first sync has ended (its counter may stay 0: it counts
            # the calls that came in after).
            if answer.status_code == 403 or state.get("filling") is False:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"the call history{scope} never filled")
            time.sleep(0.5)


def start_rcpyramid_on(
    work: Path, instance: Instance, upstream: str, port: int, processes: list[Process]
) -> tuple[str, Process]:
    folder = instance.name.replace(" ", "-")
    # Its log (an access line per request) goes to a file: read here, it would take
    # this process's CPU from the two cores being measured.
    app = Process(
        [str(instance.pserve), str(instance.ini)],
        output=work / f"{folder}.log",
        env={
            "RINGCENTRAL_SERVER_URL": upstream,
            "RINGCENTRAL_CLIENT_ID": DEMO_CLIENT.client_id,
            "RINGCENTRAL_CLIENT_SECRET": DEMO_CLIENT.client_secret,
            "RINGCENTRAL_REDIRECT_URL": f"http://localhost:{port}/oauth2callback",
            "RCPYRAMID_HTTP_PORT": str(port),
            "RCPYRAMID_VAR_DIR": str(work / folder),
            "RCPYRAMID_CACHE_BACKEND": instance.backend,
            "RCPYRAMID_CACHE_URL": instance.redis_url,
        },
    )
    processes.append(app)
    url = f"http://localhost:{port}"
    wait_until_answering(url + "/healthz", app, timeout=60)
    return url, app


def sign_in_probe(simulator_port: int, redirect: str) -> bytes:
    """The simulator's extension list as rcpyramid asks for it (page 1, 25 a page)."""
    from tests.browser import query_of

    sim = f"http://127.0.0.1:{simulator_port}"
    authorize = (
        f"{sim}/restapi/oauth/authorize?response_type=code&client_id={DEMO_CLIENT.client_id}"
        f"&redirect_uri={redirect}"
    )
    code = query_of(authorize_at_simulator(authorize))["code"]
    token = requests.post(
        f"{sim}/restapi/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
        auth=(DEMO_CLIENT.client_id, DEMO_CLIENT.client_secret),
        timeout=10,
    ).json()["access_token"]
    answer = requests.get(
        f"{sim}{EXTENSION}",
        params={"page": 1, "perPage": 25},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.content


def report(
    args: argparse.Namespace,
    nginx_alone: Load,
    results: dict[str, list[Load]],
    pss: tuple[dict[str, list[float]], ...],
    served: dict[str, int],
) -> None:
    """``pss``: each instance's worker PSS before sign-in, at the start, at the end."""
    seed = results.get("seed (JSON text)", [])
    cpus = os.cpu_count()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"machine: {platform.machine()}, {cpus} vCPUs, Python {platform.python_version()}, "
        f"load average at the end {load}"
    )
    print(
        f"wrk -t2 -c{args.connections}, {args.rounds} interleaved rounds of {args.seconds} s; "
        f"canned upstream (nginx) alone: {nginx_alone.rps:,.0f} requests/s"
    )
    before = any(name.startswith("before ") for name in results)
    print(
        f"{'page':34} {'median req/s':>12} {'vs seed':>8} {'p99 ms':>8} {'errors':>7}"
        + (f" {'vs before':>9}" if before else "")
    )
    for name, loads in results.items():
        # The call log against the seed's call log, in the same rounds; the rest against
        # the seed's extension page.
        against = results.get("seed call log (live)", seed) if "call log" in name else seed
        ratios = [load.rps / base.rps for load, base in zip(loads, against, strict=True)]
        median_rps = statistics.median(load.rps for load in loads)
        p99 = statistics.median(load.p99_ms for load in loads)
        errors = sum(load.errors for load in loads)
        # This checkout's page against the earlier checkout's, round by round.
        earlier = results.get(name.replace("rcpyramid ", "before ", 1), [])
        against_before = ""
        if before and name.startswith("rcpyramid ") and earlier:
            pairs = zip(loads, earlier, strict=True)
            against_before = f" {statistics.median(a.rps / b.rps for a, b in pairs):8.2f}x"
        print(
            f"{name:34} {median_rps:12,.0f} {statistics.median(ratios):7.2f}x {p99:8.1f} {errors:7}"
            + against_before
        )
    for name in pss[1]:
        idle, start, end = (", ".join(f"{v:.1f}" for v in when[name]) for when in pss)
        print(
            f"{name}: worker PSS MB before sign-in [{idle}], at start [{start}], "
            f"after {served[name]:,} requests [{end}]"
        )


if __name__ == "__main__":
    main()
