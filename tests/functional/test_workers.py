"""Several worker processes: gunicorn under egg:rcpyramid#main, and what it refuses."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest
import requests

from rcpyramid.config import SettingsError, load
from rcpyramid.simulator import DEMO_CLIENT
from rcpyramid.simulator.testing import SimulatorControls, wait_until
from tests.functional.test_pserve import CLEAN_ENV, browse_journey
from tests.processes import BIN, ROOT, Process, free_port, start_simulator_cli, wait_until_answering
from tests.services import REDIS_URL, require_redis

PREFORK = {
    "rcpyramid.workers": "2",
    "rcpyramid.tokens.backend": "rcpyramid.tokens.sqla.SQLAlchemyTokenRepository",
    "rcpyramid.cache.backend": "dogpile.cache.redis",
    "rcpyramid.cache.url": REDIS_URL,
    "rcpyramid.session.secret": "s" * 40,
    "ringcentral.client_id": DEMO_CLIENT.client_id,
    "ringcentral.client_secret": DEMO_CLIENT.client_secret,
}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            {"rcpyramid.tokens.backend": "rcpyramid.tokens.memory.MemoryTokenRepository"},
            "rcpyramid.tokens.backend",
        ),
        ({"rcpyramid.cache.backend": "dogpile.cache.memory"}, "rcpyramid.cache.backend"),
        ({"rcpyramid.cache.backend": "dogpile.cache.null", "rcpyramid.cache.url": ""}, "cache.url"),
    ],
)
def test_more_than_one_worker_refuses_what_one_process_would_keep_to_itself(
    tmp_path: Path, change: dict[str, str], named: str
) -> None:
    settings = {**PREFORK, "rcpyramid.var_dir": str(tmp_path), **change}
    with pytest.raises(SettingsError, match=r"rcpyramid\.workers") as refused:
        load(settings, environ={})
    assert named in str(refused.value)
    load({**settings, "rcpyramid.workers": "1"}, environ={})


def bench_ini_with(tmp_path: Path, server_keys: str) -> Path:
    """bench.ini, with more [server:main] keys (its paths still pointing at the checkout)."""
    text = (ROOT / "bench.ini").read_text()
    text = text.replace("%(here)s/migrations", str(ROOT / "migrations"))
    text = text.replace("threads = 4\n", "threads = 4\n" + server_keys)
    path = tmp_path / "bench.ini"
    path.write_text(text)
    return path


def bench_env(simulator_port: int, http_port: int, var: Path) -> dict[str, str]:
    """``pserve bench.ini``'s environment: the simulator CLI, its port, var/ and Redis."""
    return {
        **CLEAN_ENV,
        "RINGCENTRAL_SERVER_URL": f"http://127.0.0.1:{simulator_port}",
        "RCPYRAMID_HTTP_PORT": str(http_port),
        "RCPYRAMID_VAR_DIR": str(var),
        "RCPYRAMID_CACHE_URL": REDIS_URL,
    }


def both_workers_forked(app: Process) -> None:
    """The first worker may answer while gunicorn still forks the second (slow under load)."""
    deadline = time.monotonic() + 30
    while len(psutil.Process(app.popen.pid).children()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(psutil.Process(app.popen.pid).children()) == 2, app.output


@pytest.mark.redis
@pytest.mark.subprocess
def test_bench_ini_serves_the_journey_with_two_gunicorn_workers_behind_a_trusted_proxy(
    processes: list[Process], tmp_path: Path
) -> None:
    require_redis()  # the workers share one budget in Redis (skip or fail: tests/services.py)
    http_port, simulator_port = free_port(), free_port()
    redirect = f"http://localhost:{http_port}/oauth2callback"
    start_simulator_cli(
        processes,
        simulator_port,
        f"{DEMO_CLIENT.client_id}:{DEMO_CLIENT.client_secret}:{redirect}",
    )
    ini = bench_ini_with(
        tmp_path,
        "trusted_proxy = 127.0.0.1\n"
        "trusted_proxy_headers = x-forwarded-for x-forwarded-host x-forwarded-proto\n"
        "clear_untrusted_proxy_headers = yes\n",
    )
    app_env = {
        **bench_env(simulator_port, http_port, tmp_path / "var"),
        "RCPYRAMID_CANONICAL_HOST": f"localhost:{http_port}",
        "RINGCENTRAL_WEBHOOK_URL": f"http://localhost:{http_port}/webhooks/ringcentral",
    }
    app = Process([str(BIN / "pserve"), str(ini)], env=app_env)
    processes.append(app)
    app_url = f"http://localhost:{http_port}"
    wait_until_answering(app_url + "/healthz", app)
    both_workers_forked(app)
    browse_journey(app_url)
    assert requests.get(app_url + "/healthz", timeout=10).json()["cache"] == "ok"
    # The live history's worker thread runs in the forked workers: it subscribed alice,
    # and the simulator's handshake reached one of them.
    controls = SimulatorControls(f"http://127.0.0.1:{simulator_port}")
    wait_until(lambda: [s for s in controls.subscriptions() if s["status"] == "Active"], 30)
    # The proxy's X-Forwarded-Host is believed (it comes from 127.0.0.1): that host is not
    # the canonical one, so the app sends the browser there, as waitress would.
    proxied = requests.get(
        app_url + "/",
        headers={"X-Forwarded-Host": "public.example.com", "X-Forwarded-Proto": "https"},
        allow_redirects=False,
        timeout=10,
    )
    assert proxied.status_code == 308
    assert proxied.headers["Location"] == f"http://localhost:{http_port}/"

    # Each worker listens on a socket of its own (SO_REUSEPORT): a second server started
    # by mistake on the same port must refuse, not quietly take half the connections.
    second = Process([str(BIN / "pserve"), str(ini)], env=app_env)
    processes.append(second)
    assert second.popen.wait(timeout=60) != 0
    assert f"{http_port} is in use" in second.output, second.output
    assert requests.get(app_url + "/healthz", timeout=10).ok
