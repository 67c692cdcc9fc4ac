"""The app as people run it, one fixture for the three configurations of the suites.

``development``: ``development.ini``'s own settings (SQLite tokens, waitress, 8 threads);
``prefork``: ``bench.ini`` (two gunicorn workers) on PostgreSQL and Redis; ``memory``:
``development.ini`` on the memory backend. Each runs as ``pserve`` in a process of
its own against a simulator of its own, so a test sees what a person would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy.engine import make_url

from rcpyramid.simulator import DEMO_CLIENT
from rcpyramid.simulator.controls_client import SimulatorControls
from rcpyramid.simulator.testing import parse_form
from tests.browser import authorize_at_simulator
from tests.databases import postgres_schema
from tests.functional.test_pserve import CLEAN_ENV
from tests.processes import BIN, ROOT, Process, free_port, start_simulator_cli, wait_until_answering
from tests.relay import Relay
from tests.services import REDIS_URL, require_redis

CONFIGURATIONS = ("development", "prefork", "memory")
MEMORY_BACKEND = "rcpyramid.tokens.memory.MemoryTokenRepository"


@dataclass
class Served:
    """A running configuration: its URL, its simulator, its processes and its name."""

    name: str
    url: str
    simulator: SimulatorControls
    app: Process
    #: PostgreSQL's URL (prefork), reached directly, not through ``relay``.
    database_url: str | None = None
    #: The relay the app reaches PostgreSQL through, when one was asked for (prefork).
    relay: Relay | None = None
    #: The SQLite file of the development configuration.
    sqlite: Path | None = None
    #: Where the app's processes are listed (each is stopped after the test).
    processes: list[Process] | None = None

    def restart(self) -> None:
        """Start the app again as it was started (after it was killed, say)."""
        assert self.processes is not None
        if self.app.popen.poll() is None:
            self.app.stop()
        self.app = Process([str(arg) for arg in self.app.popen.args], env=self.app.env)
        self.processes.append(self.app)
        wait_until_answering(self.url + "/healthz", self.app)

    def signed_in(self, username: str = "alice") -> requests.Session:
        """A browser signed in (cookies kept), as a person would be."""
        browser = requests.Session()
        form = parse_form(browser.get(self.url + "/", timeout=20).text)
        started = browser.post(
            self.url + form.action, data=form.fields, allow_redirects=False, timeout=20
        )
        assert started.status_code == 303, started.text
        landed = browser.get(
            authorize_at_simulator(started.headers["Location"], username), timeout=20
        )
        assert landed.status_code == 200, landed.text
        return browser


def _ini(tmp_path: Path, source: str, changes: dict[str, str]) -> Path:
    """``source`` with its paths pointing at the checkout and ``changes`` to its keys.

    A key ``source`` does not have is added to ``[app:main]``.
    """
    text = (ROOT / source).read_text().replace("%(here)s/migrations", str(ROOT / "migrations"))
    for key, value in changes.items():
        text, count = re.subn(rf"(?m)^{re.escape(key)} = .*$", f"{key} = {value}", text)
        if count == 0:
            text, count = re.subn(r"(?m)^\[app:main\]$", f"[app:main]\n{key} = {value}", text)
        assert count == 1, f"{source} has no {key}"
    path = tmp_path / source
    path.write_text(text)
    return path


def serve_configuration(
    name: str,
    processes: list[Process],
    tmp_path: Path,
    stack: ExitStack,
    *,
    settings: dict[str, str] | None = None,
    relay: bool = False,
) -> Served:
    """Start configuration ``name`` (see the module docstring) and its simulator.

    ``settings``: keys of ``[app:main]`` to change or add; ``relay``: PostgreSQL is
    reached through a :class:`~tests.relay.Relay` the test can stall or slow.
    """
    settings = settings or {}
    http_port, simulator_port = free_port(), free_port()
    redirect = f"http://localhost:{http_port}/oauth2callback"
    simulator = start_simulator_cli(
        processes,
        simulator_port,
        f"{DEMO_CLIENT.client_id}:{DEMO_CLIENT.client_secret}:{redirect}",
    )
    env = {
        **CLEAN_ENV,
        "RINGCENTRAL_SERVER_URL": f"http://127.0.0.1:{simulator_port}",
        "RINGCENTRAL_REDIRECT_URL": redirect,
        "RCPYRAMID_HTTP_PORT": str(http_port),
        "RCPYRAMID_VAR_DIR": str(tmp_path / "var"),
    }
    database_url = relayed = None
    if name == "prefork":
        require_redis()
        database_url = env["RCPYRAMID_DATABASE_URL"] = stack.enter_context(postgres_schema())
        if relay:
            parsed = make_url(database_url)
            relayed = Relay((parsed.host or "127.0.0.1", parsed.port or 5432))
            stack.callback(relayed.close)
            env["RCPYRAMID_DATABASE_URL"] = parsed.set(
                host="127.0.0.1", port=relayed.port
            ).render_as_string(hide_password=False)
        env["RCPYRAMID_CACHE_URL"] = REDIS_URL
        ini = _ini(tmp_path, "bench.ini", settings)
    elif name == "memory":
        ini = _ini(
            tmp_path, "development.ini", {"rcpyramid.tokens.backend": MEMORY_BACKEND, **settings}
        )
    else:
        ini = _ini(tmp_path, "development.ini", settings)
    app = Process([str(BIN / "pserve"), str(ini)], env=env)
    processes.append(app)
    url = f"http://localhost:{http_port}"
    wait_until_answering(url + "/healthz", app)
    del simulator
    return Served(
        name,
        url,
        SimulatorControls(f"http://127.0.0.1:{simulator_port}"),
        app,
        database_url=database_url,
        relay=relayed,
        sqlite=tmp_path / "var" / "rcpyramid.sqlite" if name == "development" else None,
        processes=processes,
    )


def served(
    name: str,
    processes: list[Process],
    tmp_path: Path,
    *,
    settings: dict[str, str] | None = None,
    relay: bool = False,
) -> Iterator[Served]:
    with ExitStack() as stack:
        running = serve_configuration(
            name, processes, tmp_path, stack, settings=settings, relay=relay
        )
        yield running
        # The app stops before its schema goes.
        running.app.stop()
