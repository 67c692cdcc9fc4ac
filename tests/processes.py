"""Start the app and the simulator as separate processes, the way people run them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run_command(
    name: str, *args: str, env: dict[str, str], stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run an installed command from the checkout, ``env`` over our environment; its outcome."""
    return subprocess.run(
        [str(BIN / name), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_listening(port: int) -> bool:
    for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family) as sock:
            sock.settimeout(0.5)
            try:
                if sock.connect_ex((address, port)) == 0:
                    return True
            except OSError:
                continue
    return False


class Process:
    """A child process whose output is collected in the background.

    With ``output`` (a file), the child writes there itself and nothing in this process
    reads it until asked: a benchmark's app logs a line per request, and reading them
    here would take CPU from what is measured.
    """

    def __init__(
        self,
        args: list[str],
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
        output: Path | None = None,
    ) -> None:
        #: What the process was given on top of this one's environment (to start it again).
        self.env = env
        full_env = {**os.environ, **(env or {})}
        self._output_file = output
        self._lines: list[str] = []
        self._reader: threading.Thread | None = None
        if output is not None:
            with output.open("w") as sink:  # the child keeps its own descriptor
                self.popen = subprocess.Popen(
                    args, cwd=cwd, env=full_env, stdout=sink, stderr=subprocess.STDOUT
                )
            return
        self.popen = subprocess.Popen(
            args,
            cwd=cwd,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self._lines.append(line)

    @property
    def lines(self) -> list[str]:
        if self._output_file is not None:
            return self._output_file.read_text(errors="replace").splitlines(keepends=True)
        return self._lines

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if text in line:
                    return line
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"never printed {text!r}; output:\n{self.output}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        # The reader sees end of file once the child is gone; close the pipe after it rather
        # than leave it to the garbage collector (a ResourceWarning, an error under pytest).
        if self._reader is not None:
            self._reader.join(timeout=10)
        if self.popen.stdout is not None:
            self.popen.stdout.close()


def start_simulator_cli(processes: list[Process], port: int, client: str) -> Process:
    """``rcpyramid-simulator`` on ``port``: limits off, one ``id:secret:redirect`` client."""
    simulator = Process(
        [
            str(BIN / "rcpyramid-simulator"),
            f"--port={port}",
            "--rate-limits=off",
            f"--client={client}",
        ]
    )
    processes.append(simulator)
    simulator.wait_for_line("listening on")
    return simulator


def wait_until_answering(url: str, process: Process, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise AssertionError(f"{process.popen.args} exited; output:\n{process.output}")
        try:
            requests.get(url, timeout=1, allow_redirects=False)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered; output:\n{process.output}")
