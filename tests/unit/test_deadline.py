"""The watchdogs cut a call at its deadline, also in a forked worker (gunicorn).

One watchdog thread per process (``rcpyramid.watchdog``) keeps the deadlines of both the
database's calls (``rcpyramid.models.deadline``) and RingCentral's.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from rcpyramid import watchdog as call_deadline
from rcpyramid.watchdog import Deadline
from tests.processes import ROOT

#: Run ``cut_at_deadline()`` (defined before this) in the process, then in a forked child.
IN_PARENT_AND_WORKER = """
print("parent", cut_at_deadline())
pid = os.fork()
if pid == 0:
    print("worker", cut_at_deadline(), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
"""

DATABASE = """
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
"""

RINGCENTRAL = """
import os, socket
from rcpyramid.watchdog import Deadline

def cut_at_deadline():
    ours, theirs = socket.socketpair()
    ours.settimeout(30)  # a limit for the test only: the watchdog ends the read long before
    with Deadline(0.2) as deadline:
        deadline.watch(ours)
        data = ours.recv(1)
    return data == b"" and deadline.expired
"""


def in_parent_and_worker(script: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", script + IN_PARENT_AND_WORKER],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.subprocess
def test_the_watchdog_cuts_a_blocked_read_in_the_parent_and_in_a_forked_worker() -> None:
    assert in_parent_and_worker(DATABASE) == ["parent", "True", "worker", "True"]


@pytest.mark.subprocess
def test_a_ringcentral_call_is_cut_at_its_deadline_in_the_parent_and_in_a_forked_worker() -> None:
    assert in_parent_and_worker(RINGCENTRAL) == ["parent", "True", "worker", "True"]


def test_ringcentral_calls_that_ended_in_time_are_not_cut_and_not_kept() -> None:
    finished = []
    for _ in range(1000):
        with Deadline(30) as deadline:
            pass
        finished.append(deadline)
    assert not any(deadline.expired for deadline in finished)
    watchdog = call_deadline.watchdog()
    # Ended calls are swept out as new ones come: the heap holds about the calls in flight.
    assert len(watchdog._heap) <= watchdog.SWEEP_AT + 1
