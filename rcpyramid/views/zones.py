"""The time zone a person's times are shown in: chosen on a page, RingCentral's, or the app's."""

from __future__ import annotations

import functools
import importlib.resources
import zoneinfo
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pyramid.request import Request

from rcpyramid.views.signed_in import person

#: A zone the person chose on a page; it wins over RingCentral's regional settings.
ZONE_KEY = "zone"
#: Names RingCentral uses (``US/Pacific``) are links in the tz database; tzdata has them all.
_REGIONS: tuple[str, ...] = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia")
_REGIONS += ("Europe", "Indian", "Pacific")


def zone_named(name: str) -> ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def fallback_zone(request: Request) -> ZoneInfo:
    """The app's configured zone, for people whose RingCentral settings name none we know."""
    zone: ZoneInfo = request.registry.app_settings.app.timezone
    return zone


@dataclass(frozen=True)
class ZoneChoice:
    zone: ZoneInfo
    #: "chosen" (on a page), "ringcentral" (regional settings) or "default" (the app's).
    source: str
    ringcentral_name: str

    @property
    def name(self) -> str:
        return self.zone.key

    @property
    def explained(self) -> str:
        if self.source == "chosen":
            return "the time zone you chose"
        if self.source == "ringcentral":
            return "your RingCentral time zone"
        return "this app's default time zone"


def zone_choice(request: Request) -> ZoneChoice:
    who = person(request)
    rc_name = who.ringcentral_zone if who else ""
    chosen = request.session.get(ZONE_KEY)
    if isinstance(chosen, str) and (zone := zone_named(chosen)) is not None:
        return ZoneChoice(zone, "chosen", rc_name)
    if (zone := zone_named(rc_name)) is not None:
        return ZoneChoice(zone, "ringcentral", rc_name)
    return ZoneChoice(fallback_zone(request), "default", rc_name)


def _current_names() -> set[str]:
    """The tz database's zones by country (zone.tab): today's names, no legacy aliases."""
    # zone.tab, not "every zone that is no link": Europe/Oslo is a link now, yet people's name.
    table = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab")
    rows = (line.split("\t") for line in table.read_text(encoding="utf-8").splitlines())
    return {row[2].strip() for row in rows if len(row) >= 3 and not row[0].startswith("#")}


@functools.cache
def zone_names() -> tuple[str, ...]:
    """Zone names a person picks from: the regional ones, without the legacy aliases."""
    current = _current_names()
    names = {
        name
        for name in zoneinfo.available_timezones()
        if name.split("/", 1)[0] in _REGIONS and "/" in name and name in current
    }
    return ("UTC", *sorted(names))


@functools.cache
def zone_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """:func:`zone_names` by region (``Europe``: its cities), for a grouped choice."""
    groups: dict[str, list[str]] = {}
    for name in zone_names():
        if "/" in name:
            groups.setdefault(name.split("/", 1)[0], []).append(name)
    return tuple((region, tuple(names)) for region, names in sorted(groups.items()))


@functools.cache
def browser_names() -> frozenset[str]:
    """Every regional IANA name a browser may report (``Asia/Calcutta`` as well as Kolkata)."""
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and name.split("/", 1)[0] in _REGIONS
    )
