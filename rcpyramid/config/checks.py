"""Checks a section makes on what one row's parser cannot see alone, and their messages."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from rcpyramid.config.table import SettingsError, where

PLACEHOLDER = re.compile(
    r"^$|<.*>|change.?me|replace.?me|placeholder|your[-_ ]|enter[-_ ]|^x+$|^todo$|^secret$",
    re.IGNORECASE,
)
DEMO_SECRET_HINT = "simulator-demo-secret"  # noqa: S105 - recognised so production refuses it


def fail(key: str, message: str) -> SettingsError:
    return SettingsError(f"{where(key)} {message}")


RATE_GROUPS = ("Light", "Medium", "Heavy", "Auth")


def parse_lifetimes(value: str) -> dict[str, int]:
    """``Light=60,Medium=120,Heavy=300``: a group not named keeps its default."""
    lifetimes = {"Light": 60, "Medium": 120, "Heavy": 300, "Auth": 60}
    for part in value.split(","):
        if not part.strip():
            continue
        group, sep, number = part.partition("=")
        group = group.strip()
        if not sep or group not in RATE_GROUPS:
            raise ValueError(f"{part.strip()!r} is not GROUP=SECONDS, GROUP one of {RATE_GROUPS}")
        try:
            seconds = int(number)
        except ValueError as error:
            raise ValueError(f"{group}: {number.strip()!r} is not a whole number") from error
        if seconds <= 0:
            raise ValueError(f"{group}: a lifetime is a positive number of seconds")
        lifetimes[group] = seconds
    return lifetimes


def check_prefork(read: Callable[[str], Any], backend: str, url: str) -> None:
    """Refuse what would break a guarantee across worker processes."""
    workers = where("rcpyramid.workers")
    if read("rcpyramid.tokens.backend").endswith(".MemoryTokenRepository"):
        raise SettingsError(
            f"{workers} is more than 1, but {where('rcpyramid.tokens.backend')} keeps tokens "
            "in one process's memory: use rcpyramid.tokens.sqla.SQLAlchemyTokenRepository"
        )
    if backend == "dogpile.cache.memory":
        raise SettingsError(
            f"{workers} is more than 1, but {where('rcpyramid.cache.backend')} is "
            "dogpile.cache.memory (one cache per process): use dogpile.cache.redis"
        )
    if not url:
        raise SettingsError(
            f"{workers} is more than 1, but {where('rcpyramid.cache.url')} is empty: the "
            "workers must share one rate-limit budget and the sign-out generations in Redis"
        )


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(key: str, url: str, production: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise fail(key, f"is not an http(s) URL: {url!r}")
    if parts.scheme == "http":
        if production:
            raise fail(key, f"is plain http ({url}); production needs https")
        if not is_loopback_host(parts.hostname):
            raise fail(key, f"is plain http to {parts.hostname}; http is allowed only to loopback")
