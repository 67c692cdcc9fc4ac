"""Hosts of their own for a test: network namespaces on a bridge, as root.

Each host is a network namespace with one interface on a bridge in the machine's
namespace; the bridge's address is where the load balancer's traffic comes from and
where the forwarders (:mod:`tests.hosts.forward`) take the hosts' database, Redis and
simulator connections. Names and the subnet are random, so a crashed run leaves
nothing that a later one trips on (and :meth:`Network.close` removes everything).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess

from tests.services import missing

TOOLS = {"ip": "iproute2", "haproxy": "haproxy", "wrk": "wrk"}


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def why_no_hosts() -> str | None:
    """Why namespaces cannot be made here (None: they can)."""
    missing = [package for tool, package in TOOLS.items() if not shutil.which(tool)]
    if missing:
        return f"needs {', '.join(missing)} (apt-get install {' '.join(missing)})"
    if os.geteuid() != 0:
        return "needs root to make network namespaces (CI runs as root)"
    probe = f"rcpprobe{secrets.token_hex(3)}"
    try:
        _ip("netns", "add", probe)
    except subprocess.CalledProcessError as error:
        return f"cannot make a network namespace here: {error.stderr.strip()}"
    _ip("netns", "del", probe)
    return None


def require_hosts() -> None:
    """Skip, saying why, where namespaces cannot be made; under CI that is a failure."""
    problem = why_no_hosts()
    if problem is not None:
        missing("the several-hosts test cannot run here", f"it {problem}")


class Network:
    """A bridge at ``<prefix>.1`` and hosts at ``<prefix>.2``, ``.3``, ..."""

    def __init__(self) -> None:
        tag = secrets.token_hex(3)
        self.bridge = f"rcpbr{tag}"
        self.prefix = f"10.{200 + secrets.randbelow(50)}.{secrets.randbelow(250) + 1}"
        self.gateway = f"{self.prefix}.1"
        self.namespaces: list[str] = []
        self._tag = tag
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")

    def add_host(self) -> tuple[str, str]:
        """A new namespace on the bridge: (its name, its address)."""
        number = len(self.namespaces) + 2
        name = f"rcp{self._tag}h{number}"
        outside, inside = f"rcp{self._tag}v{number}", f"rcp{self._tag}p{number}"
        address = f"{self.prefix}.{number}"
        _ip("netns", "add", name)
        self.namespaces.append(name)
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", name)
        _ip("link", "set", outside, "master", self.bridge)
        _ip("link", "set", outside, "up")
        _ip("-n", name, "addr", "add", f"{address}/24", "dev", inside)
        _ip("-n", name, "link", "set", inside, "up")
        _ip("-n", name, "link", "set", "lo", "up")
        return name, address

    def kill_host(self, name: str) -> None:
        """Every process of the host dies at once (SIGKILL), as when a machine is lost."""
        pids = subprocess.run(
            ["ip", "netns", "pids", name], check=True, capture_output=True, text=True
        ).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)

    def close(self) -> None:
        for name in self.namespaces:
            with contextlib.suppress(subprocess.CalledProcessError):
                self.kill_host(name)
            with contextlib.suppress(subprocess.CalledProcessError):
                _ip("netns", "del", name)
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("link", "del", self.bridge)
