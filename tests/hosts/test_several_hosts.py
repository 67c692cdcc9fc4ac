"""Several hosts behind a real load balancer: two app hosts (network namespaces, gunicorn
with two workers each) behind HAProxy, sharing PostgreSQL and Redis.

A person signs in through the load balancer and keeps working through either host; one
refresh serves sixteen concurrent requests spread over both; one host is killed under
wrk's load: HAProxy's readiness checks (``/readyz``) take it out, and no session and no
token is lost. Runs as root (CI); skips with its reason where namespaces cannot be made.
"""

from __future__ import annotations

import re
import secrets
import socket
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from rcpyramid.simulator import DEMO_CLIENT
from rcpyramid.simulator.testing import SimulatorControls
from tests.databases import TEST_KEYS, postgres_schema
from tests.functional.test_pserve import CLEAN_ENV, browse_journey
from tests.functional.test_workers import bench_ini_with
from tests.hosts.netns import Network, require_hosts
from tests.processes import BIN, Process, free_port, start_simulator_cli

APP_PORT = 8080
COOKIE = "rcpyramid_session"


def poll(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (requests.RequestException, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout:g} s")


HAPROXY = """
global
    maxconn 2000
    stats socket {socket} mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 2
    option redispatch
    option forwardfor
frontend people
    bind 127.0.0.1:{port}
    http-request set-header X-Request-ID lb-%[uuid()]
    default_backend app
backend app
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 250ms fall 2 rise 2
{servers}
"""


class LoadBalancer:
    """HAProxy in the machine's namespace, its admin socket read for each server's state."""

    def __init__(
        self, processes: list[Process], tmp_path: Path, port: int, servers: dict[str, str]
    ) -> None:
        self.port = port
        self.socket = tmp_path / "haproxy.sock"
        lines = "\n".join(
            f"    server {name} {address}:{APP_PORT} check" for name, address in servers.items()
        )
        config = tmp_path / "haproxy.cfg"
        config.write_text(HAPROXY.format(socket=self.socket, port=self.port, servers=lines))
        self.process = Process(["haproxy", "-f", str(config), "-db"])
        processes.append(self.process)
        self.url = f"http://localhost:{self.port}"

    def stats(self) -> dict[str, dict[str, str]]:
        """``show stat`` by server name (status, stot: sessions served, ...)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.socket))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {row["svname"]: row for row in rows if row.get("pxname") == "app"}


@pytest.fixture
def network() -> Iterator[Network]:
    require_hosts()
    made = Network()
    yield made
    made.close()


@pytest.fixture
def database_url() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


@pytest.mark.timeout(300)
def test_two_hosts_behind_haproxy_share_sessions_tokens_and_survive_losing_one(
    network: Network,
    processes: list[Process],
    tmp_path: Path,
    database_url: str,
    redis_url: str,
) -> None:
    lb_port = free_port()
    simulator_port = free_port()
    redirect = f"http://localhost:{lb_port}/oauth2callback"
    start_simulator_cli(
        processes, simulator_port, f"{DEMO_CLIENT.client_id}:{DEMO_CLIENT.client_secret}:{redirect}"
    )
    controls = SimulatorControls(f"http://127.0.0.1:{simulator_port}")

    # The machine's side of the forwarding: its loopback services, on the bridge address.
    gateway = network.gateway
    database_port, redis_port = (
        int(p) for p in re.findall(r":(\d+)", database_url + redis_url)[:2]
    )
    forwarded = {port: free_port() for port in (database_port, redis_port, simulator_port)}
    machine_side = Process(
        [sys.executable, "-m", "tests.hosts.forward"]
        + [f"{gateway}:{outer}=127.0.0.1:{inner}" for inner, outer in forwarded.items()]
    )
    processes.append(machine_side)
    machine_side.wait_for_line("forwarding")

    ini = bench_ini_with(
        tmp_path, f"trusted_proxy = {gateway}\ntrusted_proxy_headers = x-forwarded-for\n"
    )
    # Each host listens on its own address; eight threads per worker, as production.ini.
    text = ini.read_text().replace("host = 127.0.0.1", "host = 0.0.0.0")
    text = text.replace("threads = 4\n", "threads = 8\n")
    text = text.replace("rcpyramid.database.pool_size = 8\n", "rcpyramid.database.pool_size = 20\n")
    ini.write_text(text)
    shared = {
        **CLEAN_ENV,
        "RINGCENTRAL_SERVER_URL": f"http://127.0.0.1:{simulator_port}",
        "RINGCENTRAL_REDIRECT_URL": redirect,
        "RCPYRAMID_HTTP_PORT": str(APP_PORT),
        "RCPYRAMID_CACHE_URL": redis_url,
        "RCPYRAMID_DATABASE_URL": database_url,
        "RCPYRAMID_SESSION_SECRET": secrets.token_urlsafe(48),
        "RCPYRAMID_TOKEN_KEYS": TEST_KEYS,
    }
    hosts: dict[str, tuple[str, str]] = {}
    for name in ("a", "b"):
        namespace, address = network.add_host()
        hosts[name] = (namespace, address)
        host_side = Process(
            ["ip", "netns", "exec", namespace, sys.executable, "-m", "tests.hosts.forward"]
            + [f"127.0.0.1:{inner}={gateway}:{outer}" for inner, outer in forwarded.items()]
        )
        processes.append(host_side)
        host_side.wait_for_line("forwarding")
        app = Process(
            ["ip", "netns", "exec", namespace, str(BIN / "pserve"), str(ini)],
            env={**shared, "RCPYRAMID_VAR_DIR": str(tmp_path / f"var-{name}")},
        )
        processes.append(app)
        # One at a time: the first migrates the schema.
        poll(
            lambda address=address: (
                requests.get(f"http://{address}:{APP_PORT}/readyz", timeout=2).ok
            ),
            f"host {name} ready\n{app.output}",
        )

    balancer = LoadBalancer(processes, tmp_path, lb_port, {n: a for n, (_, a) in hosts.items()})
    poll(lambda: all(s["status"] == "UP" for s in balancer.stats().values()), "both hosts UP")

    # A person signs in through the load balancer (round robin: both hosts take part)...
    browser = browse_journey(balancer.url)
    cookie = {"Cookie": f"{COOKIE}={browser.cookies[COOKIE]}"}
    # ...and keeps working through either host.
    for _, address in hosts.values():
        page = requests.get(
            f"http://{address}:{APP_PORT}/test?api=extension",
            headers=cookie,
            timeout=20,
            allow_redirects=False,
        )
        assert page.status_code == 200 and '<table class="records' in page.text
    # The load balancer's request id is believed (it is the trusted proxy) and returned.
    assert (
        requests.get(balancer.url + "/livez", timeout=10).headers["X-Request-ID"].startswith("lb-")
    )

    # Sixteen requests at once over both hosts (four workers) meet an expired access token:
    # RingCentral sees one refresh.
    controls.control("expire-access-tokens")
    refreshes = controls.counters()["refreshes"]

    def fresh_page(number: int) -> int:
        # The extension list (Medium: 40 a minute; the call log's Heavy allows only 10).
        url = f"{balancer.url}/test?api=extension&perPage={10 + number}"
        return requests.get(url, headers=cookie, timeout=60, allow_redirects=False).status_code

    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(fresh_page, range(16)))
    assert got == [200] * 16
    assert controls.counters()["refreshes"] == refreshes + 1
    served = {name: int(row["stot"]) for name, row in balancer.stats().items() if name in hosts}
    assert all(count > 0 for count in served.values()), served

    # Host a dies under load.
    wrk = Process(
        [
            "wrk",
            "-t2",
            "-c8",
            "-d6s",
            "-H",
            f"Cookie: {cookie['Cookie']}",
            f"{balancer.url}/test?api=extension",
        ]
    )
    processes.append(wrk)
    before = int(balancer.stats()["a"]["stot"])
    poll(lambda: int(balancer.stats()["a"]["stot"]) > before + 50, "load reaching host a")
    network.kill_host(hosts["a"][0])
    assert wrk.popen.wait(timeout=60) == 0, wrk.output
    poll(lambda: balancer.stats()["a"]["status"].startswith("DOWN"), "host a taken out")
    assert balancer.stats()["b"]["status"] == "UP"
    done = re.search(r"(\d+) requests in", wrk.output)
    assert done and int(done.group(1)) > 0, wrk.output
    # Only what was in flight on host a when it died can fail (HAProxy sends the rest on).
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk.output)
    errors = int(failed.group(1)) if failed else 0
    assert errors < int(done.group(1)) // 20, wrk.output
    print("wrk while host a died:", " ".join(wrk.output.split()))

    # No session lost: the same cookie, through the load balancer, now host b alone.
    for _ in range(4):
        page = requests.get(
            f"{balancer.url}/test?api=extension", headers=cookie, timeout=20, allow_redirects=False
        )
        assert page.status_code == 200 and '<table class="records' in page.text
    # No token lost: the stored pair still refreshes (once), on the surviving host.
    controls.control("expire-access-tokens")
    refreshes = controls.counters()["refreshes"]
    page = requests.get(
        f"{balancer.url}/test?api=extension&perPage=7",
        headers=cookie,
        timeout=60,
        allow_redirects=False,
    )
    assert page.status_code == 200
    assert controls.counters()["refreshes"] == refreshes + 1
