"""The serving tier under test: waitress with each ini's keys, and gunicorn's workers.

``served`` runs a test against waitress with ``development.ini``'s and
``production.ini``'s ``[server:main]`` keys (in this process), and against
``pserve bench.ini``: two gunicorn workers reading the same keys (rcpyramid.gate), as
people start it, tokens in SQLite and the answers in Redis.
"""

from __future__ import annotations

import configparser
from collections.abc import Iterator

import pytest
import webtest

from tests.functional.test_pserve import CLEAN_ENV
from tests.functional.test_workers import bench_ini_with
from tests.processes import BIN, ROOT, Process, free_port, wait_until_answering
from tests.services import REDIS_URL, require_redis
from tests.serving import serve

GUNICORN = pytest.param(
    "bench.ini", marks=[pytest.mark.subprocess, pytest.mark.redis], id="gunicorn-bench.ini"
)


def serving_keys(ini: str) -> dict[str, str]:
    """waitress's own keys from the ini's ``[server:main]`` (not where it listens)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / ini)
    keys = dict(parser["server:main"])
    for key in ("use", "host", "port", "listen"):
        keys.pop(key, None)
    if ini == "production.ini":
        # The proxy trust is the redirect tests' concern; here the client is the attacker.
        for key in ("trusted_proxy", "trusted_proxy_headers", "clear_untrusted_proxy_headers"):
            keys.pop(key, None)
    return keys


@pytest.fixture(scope="package")
def gunicorn_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``pserve bench.ini``: two gunicorn workers of 4 threads, tokens in SQLite, Redis."""
    require_redis()
    folder = tmp_path_factory.mktemp("bench")
    ini = bench_ini_with(folder, "")
    port = free_port()
    env = {
        **CLEAN_ENV,
        # /healthz asks the token store and Redis only: no RingCentral is needed.
        "RINGCENTRAL_SERVER_URL": f"http://127.0.0.1:{free_port()}",
        "RCPYRAMID_HTTP_PORT": str(port),
        "RCPYRAMID_VAR_DIR": str(folder / "var"),
        "RCPYRAMID_CACHE_URL": REDIS_URL,
    }
    app = Process([str(BIN / "pserve"), str(ini)], env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_answering(url + "/healthz", app)
        yield url
    finally:
        app.stop()


@pytest.fixture(params=["development.ini", "production.ini", GUNICORN])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, str]]]:
    """The server's base URL and the ``[server:main]`` keys it serves with."""
    keys = serving_keys(request.param)
    if request.param == "bench.ini":
        yield request.getfixturevalue("gunicorn_url"), keys
        return
    testapp: webtest.TestApp = request.getfixturevalue("testapp")
    running = serve(testapp.app, **keys)
    yield running.url, keys
    running.stop()
