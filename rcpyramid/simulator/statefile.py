"""The optional state file: dataclasses to JSON and back, written atomically."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import pathlib
import tempfile
import types
import typing
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)

VERSION = 1


def _encode(value: Any) -> str:
    """The one converter json.dumps needs: `asdict` leaves only datetimes to it."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in the state file")


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        (hint,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if hint is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive datetime in the state file")
        return parsed
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return revive(hint, value)
    return value


def revive(cls: type, data: dict[str, Any]) -> Any:
    """Rebuild a dataclass (nested ones and datetimes too) from what `asdict` gave."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    if not isinstance(data, dict) or set(data) - known:
        raise ValueError(f"unexpected fields for {cls.__name__}")
    return cls(**{name: _decode(hints[name], value) for name, value in data.items()})


def write(path: pathlib.Path, sections: dict[str, dict[str, Any]]) -> None:
    """Write sections of dataclasses atomically (temp file + os.replace, mode 0600)."""
    data = {
        "version": VERSION,
        **{
            name: {key: dataclasses.asdict(item) for key, item in items.items()}
            for name, items in sections.items()
        },
    }
    tmp: str | None = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"), default=_encode)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        # The simulator keeps serving from memory; the next change retries the write.
        log.exception("could not write the state file %s", path)
    finally:
        if tmp is not None:
            pathlib.Path(tmp).unlink(missing_ok=True)


def read(path: pathlib.Path, sections: dict[str, type]) -> dict[str, dict[str, Any]] | None:
    """Each section's dataclasses by key; None when the file is missing or unreadable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != VERSION:
            raise ValueError(f"unsupported state file version {raw.get('version')!r}")
        return {
            name: {key: revive(cls, item) for key, item in raw[name].items()}
            for name, cls in sections.items()
        }
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning(
            "ignoring unreadable state file %s (%s); starting empty", path, type(exc).__name__
        )
        return None
