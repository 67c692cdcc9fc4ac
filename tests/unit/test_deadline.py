"""The database watchdog cuts a call at its deadline, also in a forked worker (gunicorn)."""

from __future__ import annotations

import subprocess
import sys

from tests.processes import ROOT

SCRIPT = """
import os, socket
from rcpyramid.models.deadline import DatabaseGuard

class Connection:  # what the guard asks of a driver's connection: its socket
    def __init__(self, sock): self.sock = sock
    def fileno(self): return self.sock.fileno()

guard = DatabaseGuard(0.2, 2)

def cut_at_deadline():
    ours, theirs = socket.socketpair()
    ours.settimeout(30)  # a limit for the test only: the watchdog ends the read long before
    guard.arm(Connection(ours))
    return ours.recv(1) == b""  # the blocked read ends: the socket was shut

print("parent", cut_at_deadline())
pid = os.fork()
if pid == 0:
    print("worker", cut_at_deadline(), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
"""


def test_the_watchdog_cuts_a_blocked_read_in_the_parent_and_in_a_forked_worker() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["parent", "True", "worker", "True"]
