"""Secrets that development generates once into ``var/`` and reuses across restarts."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path


def load_or_create(var_dir: Path, name: str, nbytes: int = 48) -> str:
    """Read ``var_dir/name``, creating it (mode 0600, folder 0700) with fresh random text first.

    Safe when several processes start at once: the file is created with O_EXCL, and
    whoever loses the race reads the winner's value.
    """
    var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = var_dir / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    value = secrets.token_urlsafe(nbytes)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value)
    return value


def _read(path: Path) -> str:
    # The winner of a creation race may not have written yet; wait for its bytes.
    for _ in range(200):
        value = path.read_text(encoding="ascii").strip()
        if value:
            return value
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty; delete it to have a new secret generated")
