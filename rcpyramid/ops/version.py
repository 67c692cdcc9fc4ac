"""Which build is running: the package version and the commit it was built from.

An operator (or a deploy script) asks ``/version`` to confirm that what runs is what
was deployed. The commit comes from ``RCPYRAMID_COMMIT`` (set by the image or the unit
file), else from a ``version.json`` the build wrote (Mozilla Dockerflow's shape:
``{"source": ..., "version": ..., "commit": ..., "build": ...}``), else ``"unknown"``:
nothing at run time asks git, which a deployed tree does not have.
"""

from __future__ import annotations

import json
import logging
from importlib import metadata
from pathlib import Path
from typing import Any

from rcpyramid.config import OpsSettings

log = logging.getLogger(__name__)

UNKNOWN = "unknown"


def package_version() -> str:
    try:
        return metadata.version("rcpyramid")
    except metadata.PackageNotFoundError:
        return UNKNOWN


def _build_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.warning("the build's version file %s could not be read: %s", path, error)
        return {}
    return data if isinstance(data, dict) else {}


def build_info(settings: OpsSettings) -> dict[str, str]:
    """What ``/version`` answers, read once at start (a deploy restarts the process)."""
    written = _build_file(settings.version_file)
    info = {
        "version": package_version(),
        "commit": settings.commit or str(written.get("commit") or "") or UNKNOWN,
    }
    for extra in ("build", "source"):
        if written.get(extra):
            info[extra] = str(written[extra])[:200]
    return info
