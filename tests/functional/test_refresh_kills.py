"""A process killed (``kill -9``) in the middle of a refresh, in the configurations people run.

prefork: the gunicorn worker holding the login's refresh lock while RingCentral's token
endpoint is slow; development: the one waitress process, on SQLite, likewise. The
person stays signed in, and the stored pair is the newest (see test_refresh_outages).
"""

from __future__ import annotations

import os
import signal
import sqlite3
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import psutil
import pytest
import requests

from rcpyramid.simulator.testing import wait_until
from tests.configurations import Served, served
from tests.functional.test_refresh_outages import (
    QUICK,
    page_shows,
    refresh_lock_ports,
    refresh_started,
    the_stored_pair_is_the_newest,
)
from tests.processes import Process

pytestmark = pytest.mark.subprocess


@pytest.fixture
def prefork_direct(processes: list[Process], tmp_path: Path) -> Iterator[Served]:
    """prefork with PostgreSQL reached directly: its sessions' ports are the workers'."""
    yield from served("prefork", processes, tmp_path, settings=QUICK)


def refresh_lock_holder(database_url: str) -> int:
    """The pid of the gunicorn worker holding a login's refresh lock."""
    ports = refresh_lock_ports(database_url)
    for connection in psutil.net_connections(kind="tcp"):
        if connection.laddr and connection.laddr.port in ports and connection.pid:
            return connection.pid
    raise AssertionError(f"no process has the lock's connection (ports {ports})")


def test_a_worker_killed_mid_refresh_leaves_the_person_signed_in_with_the_newest_pair(
    prefork_direct: Served,
) -> None:
    configuration = prefork_direct
    # RingCentral answers the token request late: the worker is killed while it waits.
    browser, started = refresh_started(configuration, 3, _quietly)
    assert configuration.database_url is not None
    os.kill(refresh_lock_holder(configuration.database_url), signal.SIGKILL)
    started.join(60)
    # gunicorn starts another worker; the row lock went with the killed one's connection.
    page_shows(configuration, browser, 2)
    the_stored_pair_is_the_newest(configuration, browser, killed=True)


def _quietly(url: str, cookies: dict[str, str]) -> None:
    """A request whose worker is killed under it: whatever it gets (or not) is not the point."""
    with suppress(requests.RequestException):
        requests.get(url, cookies=cookies, timeout=60)


@pytest.fixture
def development(processes: list[Process], tmp_path: Path) -> Iterator[Served]:
    """development.ini as it is, but for the history worker, whose writes take the write lock."""
    settings = {**QUICK, "rcpyramid.history.worker": "false"}
    yield from served("development", processes, tmp_path, settings=settings)


def sqlite_write_lock_taken(path: Path) -> None:
    """Waits until another connection (the app's refresh) holds the write lock."""

    def locked() -> bool:
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error):
                return True
            raise
        else:
            probe.rollback()
        finally:
            probe.close()
        return False

    wait_until(locked, timeout=30)


def test_the_development_server_killed_mid_refresh_keeps_the_person_signed_in(
    development: Served,
) -> None:
    """One waitress process on SQLite, killed (``kill -9``) while RingCentral rotates the pair."""
    browser, started = refresh_started(development, 3, _quietly)
    assert development.sqlite is not None
    sqlite_write_lock_taken(development.sqlite)  # the refresh's BEGIN IMMEDIATE
    os.kill(development.app.popen.pid, signal.SIGKILL)
    started.join(60)
    development.restart()  # the same var/: the same session secret, keys and database
    page_shows(development, browser, 2)
    the_stored_pair_is_the_newest(development, browser, killed=True)
