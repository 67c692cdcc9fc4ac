"""What ``/metrics`` answers, and the files gunicorn's workers keep their metrics in."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
    values,
)

from rcpyramid.ops.instruments import instruments

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def exposition() -> tuple[bytes, str]:
    """The text ``/metrics`` answers: this process's, or every worker's under gunicorn."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    instruments()  # the metric families appear, at zero, before anything happened
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def prepare_multiprocess(directory: Path) -> None:
    """In the gunicorn master, before forking: an empty directory for the workers' files.

    Wiped, because files left by a previous run would be added to this one's counts.
    prometheus_client picks its file-backed values when the first metric is made, so
    the environment variable is set here, before any worker makes one.
    """
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROC_ENV] = str(directory)
    # Imported earlier (by a view module), it chose in-memory values: choose again.
    values.ValueClass = values.get_value_class()


def worker_exited(pid: int) -> None:
    """gunicorn's ``child_exit``: the dead worker's live gauges stop counting."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)
