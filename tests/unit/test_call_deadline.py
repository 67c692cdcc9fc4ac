"""The RingCentral call deadline: one watchdog per process cuts blocked reads, forks included."""

from __future__ import annotations

import subprocess
import sys

from rcpyramid.ringcentral import deadline as module
from rcpyramid.ringcentral.deadline import Deadline
from tests.processes import ROOT

SCRIPT = """
import os, socket
from rcpyramid.ringcentral.deadline import Deadline

def cut_at_deadline():
    ours, theirs = socket.socketpair()
    ours.settimeout(30)  # a limit for the test only: the watchdog ends the read long before
    with Deadline(0.2) as deadline:
        deadline.watch(ours)
        data = ours.recv(1)
    return data == b"" and deadline.expired

print("parent", cut_at_deadline())
pid = os.fork()
if pid == 0:
    print("worker", cut_at_deadline(), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
"""


def test_a_blocked_read_is_cut_at_the_deadline_in_the_parent_and_in_a_forked_worker() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=20
    )
    assert done.stdout.split() == ["parent", "True", "worker", "True"], done.stderr


def test_calls_that_ended_in_time_are_not_cut_and_not_kept() -> None:
    finished = []
    for _ in range(1000):
        with Deadline(30) as deadline:
            pass
        finished.append(deadline)
    assert not any(deadline.expired for deadline in finished)
    watchdog = module._watchdog()
    # Ended calls are swept out as new ones come: the heap holds about the calls in flight.
    assert len(watchdog._heap) <= watchdog.SWEEP_AT + 1
