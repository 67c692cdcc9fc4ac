"""The parsers of the settings table: text in, a checked value out, ValueError with a reason."""

from __future__ import annotations

import ipaddress
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def text(value: str) -> str:
    return value.strip()


def positive_float(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError("must be a positive number")
    return number


def non_negative_float(value: str) -> float:
    number = float(value)
    if not number >= 0:
        raise ValueError("must be a number, 0 or more")
    return number


def positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("must be a positive whole number")
    return number


def non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be a whole number, 0 or more")
    return number


def port(value: str) -> int:
    number = int(value)
    if not 0 < number < 65536:
        raise ValueError("must be a TCP port (1-65535)")
    return number


def timezone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {value!r} (an IANA name: Europe/Paris)") from error


def networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Addresses or networks, separated by commas or spaces (``127.0.0.0/8 ::1``)."""
    try:
        return tuple(ipaddress.ip_network(part) for part in re.split(r"[\s,]+", value) if part)
    except ValueError as error:
        raise ValueError(f"{error} (addresses or networks, such as 10.0.0.0/8 ::1)") from error


def environment(value: str) -> str:
    value = value.strip().lower()
    if value not in {"development", "production"}:
        raise ValueError("must be 'development' or 'production'")
    return value
